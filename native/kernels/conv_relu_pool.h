// Convolution → Relu → max Pooling as one kernel (the block every network of the book's ch. 7–8
// repeats). The convolution's output never leaves the core's cache: each image is convolved into
// per-thread scratch and pooled from there, so the (n, f, oh, ow) map — 6.9 MB for SimpleConvNet's
// batch of 100, written and read back four times by the three separate layers — is never stored.
#pragma once
#include <cstdint>

#include "kernels/geometry.h"
#include "simd/target.h"

SN_BEGIN_TARGET

// x (n, c, h, w), w (f, c·kh·kw), b (f) → out (n, f, poh, pow) = relu(maxpool(conv(x))), which
// equals maxpool(relu(conv(x))) because relu is monotone. argmax (n, f, poh, pow) holds each
// window's winner in the convolution's (oh, ow) plane (first maximum wins). p describes the
// pooling of the convolution output: p.n = g.n, p.c = g.f, p.h = g.oh, p.w = g.ow. argmax null
// is inference: the same out, no winners written.
void conv_relu_pool_forward(const float* x, const float* w, const float* b, const ConvGeom& g, const PoolGeom& p,
                            float* out, int32_t* argmax);

// From dout and forward's out and argmax (all (n, f, poh, pow)) and the same x and w: dw (f, c·kh·kw)
// and db (f) are overwritten, dx (n, c, h, w) too when non-null. A window passes its gradient to its
// winner only when its output is positive (the Relu). Returns -1, or the flat position in argmax of
// an index outside [0, oh·ow) (such entries are skipped).
int64_t conv_relu_pool_backward(const float* dout, const float* out, const int32_t* argmax, const float* x,
                                const float* w, const ConvGeom& g, const PoolGeom& p, float* dw, float* db,
                                float* dx);

SN_END_TARGET
