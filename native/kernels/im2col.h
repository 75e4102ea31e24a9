#pragma once
#include "kernels/geometry.h"
#include "simd/target.h"

SN_BEGIN_TARGET

// One image. x_n is (c, h, w); col_n is (c·kh·kw, oh·ow), padding reads as 0.
void im2col_image(const float* x_n, const ConvGeom& g, float* col_n);
// One image. col_n is (c·kh·kw, oh·ow); dx_n (c, h, w) is overwritten with the adjoint sum.
void col2im_image(const float* col_n, const ConvGeom& g, float* dx_n);

// Stride 1 only: im2col a band of output rows at a time, so that a big map's col (DeepConvNet's
// 28 × 28 layer, 450 KB an image) is written and read within L2. im2col_pad_image returns x_n with its zero border
// made real, in the calling thread's scratch (valid until its next call); im2col_rows writes
// col (c·kh·kw, (r1 − r0)·ow) for output rows [r0, r1) from it, as im2col_image writes them.
// (The direct small-filter forward, kernels/convolution.cc, reads the padded image too.)
// Whole vectors a reader of the padded image may run past a row's end: the scratch has that
// many vectors of zeros after the last plane.
constexpr int64_t kPadSlackVectors = 3;
const float* im2col_pad_image(const float* x_n, const ConvGeom& g);
// The same into the caller's xp, of padded_image_floats(g) floats (slack included).
int64_t padded_image_floats(const ConvGeom& g);
void im2col_pad_image_into(const float* x_n, const ConvGeom& g, float* xp);
void im2col_rows(const float* xp, const ConvGeom& g, int64_t r0, int64_t r1, float* col);

// Whole batch, split across the pool: x is (n, c, h, w), col is (n, c·kh·kw, oh·ow).
void im2col(const float* x, const ConvGeom& g, float* col);
// Whole batch: col is (n, c·kh·kw, oh·ow), dx is (n, c, h, w).
void col2im(const float* col, const ConvGeom& g, float* dx);

SN_END_TARGET
