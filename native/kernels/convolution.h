#pragma once
#include "kernels/geometry.h"
#include "kernels/scratch.h"
#include "simd/target.h"

SN_BEGIN_TARGET

// x is (n, c, h, w), w is (f, c·kh·kw), b is (f); out is (n, f, oh·ow); col (n, c·kh·kw, oh·ow)
// receives im2col(x) and is kept for backward.
void conv_forward(const float* x, const float* w, const float* b, const ConvGeom& g, float* out, float* col);

// w (f, c·kh·kw) transposed to (c·kh·kw, f) in the calling thread's scratch, valid until its
// next call: the GEMM reads it in place, where it would pack w again for every image (and
// where it would pack wt instead, sgemm_packs_transposed_a, the other one is passed).
const float* transpose_weights(const float* w, const ConvGeom& g);

// The weights as every image of a batch's forward reads them, made once per batch in the
// calling thread's scratch (valid until its next call): w, wᵀ, and wᵀ packed into the GEMM's
// panels when the images' products run transposed or without im2col (null otherwise; see
// forward_weights), and
// whether every weight is finite (then an input that is zero adds exactly nothing and the direct
// kernel may skip it: w·0 would be NaN for w = ±∞ or NaN).
struct ForwardWeights {
  const float* w;
  const float* wt;
  const float* wt_panels;
  bool finite;
  // Each tap's offset in the padded image where the forward reads the image without im2col
  // (conv_forward_lanes), and wᵀ in that kernel's panels; else null.
  const int32_t* tap_offsets;
  const float* lane_panels;
  bool transposed;  // the GEMM's form (im2col kept for backward) reads wt_panels, as colᵀ · wᵀ
};
ForwardWeights forward_weights(const float* w, const ConvGeom& g);
// Where forward_weights keeps what it derives from w. The form above uses the calling thread's
// own store; a chain of layers run image by image (conv_chain_forward) keeps one per layer.
struct ForwardWeightStore {
  Scratch wt, wt_panels, tap_offsets, lane_panels;
};
ForwardWeights forward_weights(const float* w, const ConvGeom& g, ForwardWeightStore& store);

// Whether every one of v's n values is finite: read by the kernels that skip zero inputs, whose
// products w·0 are NaN for w = ±∞ or NaN.
bool all_finite(const float* v, int64_t n);

// One image of conv_forward: x_n (c, h, w) → out_n (f, oh·ow).
// col_n (c·kh·kw, oh·ow) is scratch that holds im2col(x_n) afterwards when keep_col (else its
// contents are undefined: the fused small-filter path then skips writing it). Single-threaded:
// callers split the batch.
void conv_forward_image(const float* x_n, const ForwardWeights& fw, const float* b, const ConvGeom& g, float* out_n,
                        float* col_n, bool keep_col);

// The direct kernel (AVX2) with 2 × 2 stride-2 max pooling and the Relu after each pair of output
// rows, for conv_relu_pool: whether it takes this convolution and pooling, and one image x_n
// (c, h, w) → out_n (f, oh/2, ow/2) and, unless null, argmax_n (each window's winner in the
// (oh, ow) plane). The same bits as conv_forward_image followed by pool_plane and the Relu.
bool conv_relu_pool_direct_fits(const ConvGeom& g, const PoolGeom& p);
void conv_relu_pool_direct_image(const float* x_n, const ForwardWeights& fw, const float* b, const ConvGeom& g,
                                 float* out_n, int32_t* argmax_n);

// dout is (n, f, oh·ow), w is (f, c·kh·kw), col is convForward's; dw (f, c·kh·kw) and db (f)
// are overwritten; dx (n, c, h, w) too when non-null, using col as scratch.
void conv_backward(const float* dout, const float* w, float* col, const ConvGeom& g, float* dw, float* db, float* dx);

// Fills dconv_i (f, oh·ow), the gradient at image i's convolution output, from whatever follows
// the convolution (a Relu, a Relu and a Pooling). Returns -1, or a position the caller reports
// as invalid input (the image is still filled, with that entry left out).
using DconvFn = int64_t (*)(const void* ctx, int64_t image, float* dconv);

// The convolution's backward when col was not kept: blocks of images at a time, each image's
// dconv filled by `fill` and its col recomputed from x in cache. dw (f, c·kh·kw) and db (f) are
// overwritten when dw is non-null, dx (n, c, h, w) when non-null. The bits of dw and db do not
// depend on the thread count. Returns the smallest position `fill` reported, or -1.
int64_t conv_backward_from_x(const float* x, const float* w, const ConvGeom& g, DconvFn fill, const void* ctx,
                             float* dw, float* db, float* dx);

SN_END_TARGET
