// The convolution weight gradient as register-blocked dot products: dw = Σ_i dout_i · col_iᵀ.
#pragma once
#include <cstdint>
#include "kernels/geometry.h"
#include "simd/target.h"

// The weight gradient with filters in the vector lanes (filter_tile in the .cc): AVX2 and AVX-512.
#if defined(SN_TARGET_AVX2) || defined(SN_TARGET_AVX512)
#define SN_FILTER_LANES 1
#else
#define SN_FILTER_LANES 0
#endif

SN_BEGIN_TARGET

// How conv_weight_grad tiles one shape: an rf × rt register tile (filters × taps), the number
// of images summed in registers per pass, and the columns (of P) per pass. It depends only on
// the shape and the L2 size, never on the thread count, so every split of the taps gives the
// same bits.
struct WeightGradPlan {
  int rf, rt;
  int64_t images;
  int64_t columns;
  // Filters in vector lanes (SN_FILTER_LANES, filters a multiple of rf): rf = 16 or 32 filters
  // (one or two vectors) × rt taps, col broadcast a float at a time, dout transposed per image
  // (filter_tile in the .cc).
  bool filter_lanes;
};
WeightGradPlan conv_weight_grad_plan(int64_t f, int64_t ckk, int64_t p, int64_t n);

// The convolution weight gradient for filters [f0, f1) and taps (columns of dw) [t0, t1):
// dw(f, ckk) = Σ_i dout_i(f × P) · col_i(ckk × P)ᵀ, and db(f) = Σ_i,p dout_i(f, p) for those filters
// when t0 = 0, over images i in [0, n) (dout_i at dout + i·dout_stride, col_i at col + i·col_stride,
// rows P floats apart); that block of dw (and of db) is overwritten. Both operands are contiguous
// along P = oh·ow, so this runs as register-blocked dot products kept in vector lanes across all
// images (one horizontal sum per output at the end) instead of a GEMM that would transpose col_i
// per image — or, with plan.filter_lanes, with plan.rf filters in the lanes and col broadcast,
// dout_i transposed per image (f0 and f1 then multiples of plan.rf). Each output's sum runs in its own
// accumulator in the same order whatever tile or block holds it, so any split of the filters and
// taps gives the same bits; splits at multiples of plan.rf / plan.rt avoid edge tiles.
void conv_weight_grad(const WeightGradPlan& plan, int64_t f0, int64_t f1, int64_t t0, int64_t t1, int64_t ckk,
                      int64_t p, int64_t n, const float* dout, int64_t dout_stride, const float* col,
                      int64_t col_stride, float* dw, float* db);

#if SN_FILTER_LANES
// The same weight gradient over all filters and taps, for plan.filter_lanes and stride 1, with
// col_i read from image i's padded planes (xp + i·xp_stride, each (g.h + 2·pad) × (g.w + 2·pad),
// as im2col_pad_image makes them) instead of from im2col: the same values in the same order,
// so the same bits, without writing col and reading it back. dw (g.f · ckk floats) receives the
// sums in the order the tiles hold them, (g.f / plan.rf, ckk, plan.rf), and lanes_order_to_dw
// puts them in place: its caller adds up many such partial gradients (conv_backward_from_x's
// blocks of images) and transposes once instead of once a block (DeepConvNet's 64 × 576 weights:
// 25–49 blocks of 37,000 floats).
void conv_weight_grad_padded(const WeightGradPlan& plan, const ConvGeom& g, int64_t n, const float* dout,
                             int64_t dout_stride, const float* xp, int64_t xp_stride, float* dw, float* db);
void lanes_order_to_dw(const WeightGradPlan& plan, int64_t f, int64_t ckk, const float* sums, float* dw);
#endif

SN_END_TARGET
