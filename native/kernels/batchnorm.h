#pragma once
#include "kernels/geometry.h"
#include "simd/target.h"

SN_BEGIN_TARGET

// x, out and xhat are (n, c, s); gamma, beta, running_mean, running_var and inv_std are (c).
// train: batch statistics per channel over n·s values (biased variance), running averages
// updated with momentum; otherwise the running statistics normalise. xhat and inv_std are
// written in both modes.
void batchnorm_forward(const float* x, const float* gamma, const float* beta, const BatchNormGeom& g, bool train,
                       double momentum, double eps, float* running_mean, float* running_var, float* out, float* xhat,
                       float* inv_std);

// dout, xhat and dx are (n, c, s); gamma, inv_std, dgamma, dbeta are (c). Training-mode chain rule.
void batchnorm_backward(const float* dout, const float* xhat, const float* gamma, const float* inv_std,
                        const BatchNormGeom& g, float* dx, float* dgamma, float* dbeta);

SN_END_TARGET
