#pragma once
#include <cstdint>
#include "simd/target.h"

SN_BEGIN_TARGET

// The book's update rules, in place. param, grad and every state array are (len). The gradient
// used is g + weight_decay · param (L2 decay; 0 gives the plain book rule).

// p −= lr · g
void sgd_update(float* param, const float* grad, int64_t len, double lr, double weight_decay);
// v = momentum·v − lr·g; p += v
void momentum_update(float* param, const float* grad, float* v, int64_t len, double lr, double momentum,
                     double weight_decay);
// v = m·v − lr·g; p += m·m·v − (1+m)·lr·g
void nesterov_update(float* param, const float* grad, float* v, int64_t len, double lr, double momentum,
                     double weight_decay);
// h += g²; p −= lr·g / (√h + 1e-7)
void adagrad_update(float* param, const float* grad, float* h, int64_t len, double lr, double weight_decay);
// h = decay·h + (1−decay)·g²; p −= lr·g / (√h + 1e-7)
void rmsprop_update(float* param, const float* grad, float* h, int64_t len, double lr, double decay_rate,
                    double weight_decay);
// lrT = lr·√(1−β2^t)/(1−β1^t); m += (1−β1)(g−m); v += (1−β2)(g²−v); p −= lrT·m/(√v + 1e-7)
void adam_update(float* param, const float* grad, float* m, float* v, int64_t len, double lr, double beta1,
                 double beta2, double t, double weight_decay);

SN_END_TARGET
