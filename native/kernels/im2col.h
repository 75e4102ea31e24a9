#pragma once
#include "kernels/geometry.h"
#include "simd/target.h"

SN_BEGIN_TARGET

// One image. x_n is (c, h, w); col_n is (c·kh·kw, oh·ow), padding reads as 0.
void im2col_image(const float* x_n, const ConvGeom& g, float* col_n);
// One image. col_n is (c·kh·kw, oh·ow); dx_n (c, h, w) is overwritten with the adjoint sum.
void col2im_image(const float* col_n, const ConvGeom& g, float* dx_n);

// Whole batch, split across the pool: x is (n, c, h, w), col is (n, c·kh·kw, oh·ow).
void im2col(const float* x, const ConvGeom& g, float* col);
// Whole batch: col is (n, c·kh·kw, oh·ow), dx is (n, c, h, w).
void col2im(const float* col, const ConvGeom& g, float* dx);

SN_END_TARGET
