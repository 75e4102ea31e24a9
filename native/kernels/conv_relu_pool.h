// Convolution → Relu → max Pooling as one kernel (the block every network of the book's ch. 7–8
// repeats). The convolution's output never leaves the core's cache: each image is convolved into
// per-thread scratch and pooled from there, so the (n, f, oh, ow) map — 6.9 MB for SimpleConvNet's
// batch of 100, written and read back four times by the three separate layers — is never stored.
#pragma once
#include <cstdint>

#include "kernels/convolution.h"
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

// How conv_relu_pool_forward runs each image of a batch, chosen once from the geometry and the
// weights (forward_weights(w, g), kept by the caller while the plan is used).
struct ConvReluPoolPlan {
  enum class Path { PooledTiles, Lanes, DirectPooled, Separate };
  ForwardWeights fw;
  Path path;
  bool finite;  // PooledTiles: every weight finite, so rows of zeros may be skipped
};
ConvReluPoolPlan conv_relu_pool_plan(const ForwardWeights& fw, const ConvGeom& g, const PoolGeom& p);
// One image of conv_relu_pool_forward: x_i (c, h, w) → out_i and argmax_i (f, poh, pow), argmax_i
// null for inference. Single-threaded: callers split the batch.
void conv_relu_pool_image(const ConvReluPoolPlan& plan, const float* x_i, const float* b, const ConvGeom& g,
                          const PoolGeom& p, float* out_i, int32_t* argmax_i);

// From dout and forward's out and argmax (all (n, f, poh, pow)) and the same x and w: dw (f, c·kh·kw)
// and db (f) are overwritten, dx (n, c, h, w) too when non-null. A window passes its gradient to its
// winner only when its output is positive (the Relu). Returns -1, or the flat position in argmax of
// an index outside [0, oh·ow) (such entries are skipped).
int64_t conv_relu_pool_backward(const float* dout, const float* out, const int32_t* argmax, const float* x,
                                const float* w, const ConvGeom& g, const PoolGeom& p, float* dw, float* db,
                                float* dx);

SN_END_TARGET
