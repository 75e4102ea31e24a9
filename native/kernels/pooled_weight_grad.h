// The weight gradient of a Convolution → Relu → max Pooling block (kernels/conv_relu_pool.h) from
// its pooled gradient's positive windows alone: only a window's winner receives gradient, and
// only when the window's output is positive — at most 1 in 4 of the convolution's outputs — yet
// the dense form (conv_backward_from_x) multiplies every zero. Three forms, by kernel shape: by
// patch rows, by patches (5 × 5 kernels: SimpleConvNet, LeNet5), and with the image
// channels-innermost (3 × 3 kernels on many channels: DeepConvNet).
#pragma once
#include <cstdint>

#include "kernels/geometry.h"
#include "simd/target.h"

SN_BEGIN_TARGET

// dw (f, c·kh·kw) and db (f), overwritten, from dout, out and argmax (n, f, poh, pow) and x
// (n, c, h, w), where a sparse form applies to g; false (nothing written) where none does. bad:
// -1, or the flat position in argmax of the first index outside [0, oh·ow) (left out of the sums).
bool pooled_weight_grad(const float* dout, const float* out, const int32_t* argmax, const float* x, const ConvGeom& g,
                        const PoolGeom& p, float* dw, float* db, int64_t* bad);

SN_END_TARGET
