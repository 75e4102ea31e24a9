// The convolution's forward with the Relu and the 2 × 2 max Pooling taken in the GEMM's register
// tile (AVX-512): a tile of 10 filters × 48 output positions is exactly two output rows of a
// 24-wide convolution (SimpleConvNet's 30 filters over 24 × 24), so each pooled row comes straight
// from the accumulators and the convolution's output is never stored nor read back.
#pragma once
#include <cstdint>

#include "kernels/geometry.h"
#include "simd/target.h"

SN_BEGIN_TARGET

#if defined(SN_TARGET_AVX512)
#define SN_POOLED_TILES 1
#else
#define SN_POOLED_TILES 0
#endif

#if SN_POOLED_TILES
// Whether conv_relu_pool_tiles takes this shape: a 2 × 2 stride-2 unpadded pooling of a stride-1
// convolution 24 outputs wide with an even number of rows, at most one GEMM pass of taps deep
// (c·kh·kw ≤ sgemm_pass_depth()). The caller also checks that conv_forward_image would sum
// with the built-in GEMM (conv_forward_sums_by_gemm), whose bits these are.
bool pooled_tiles_fit(const ConvGeom& g, const PoolGeom& p);

// out_n (f, oh/2 · 12) = relu(maxpool(w · im2col(x_n) + b)) for one image, read from xp, x_n with
// its zero border (c planes of (h + 2·pad) × (w + 2·pad); x_n itself when pad is 0): tap t of
// output (oi, oj) is xp[taps[t] + oi·(w + 2·pad) + oj] (conv_tap_offsets). wt = wᵀ (c·kh·kw × f).
// argmax_n, when non-null, gets each window's winner in the convolution's plane as pool_plane
// writes it (first maximum wins). The values, sums and winners are those of conv_forward_image's
// GEMM then pool_plane (or pool_plane_relu), bit for bit.
void conv_relu_pool_tiles(const float* xp, const int32_t* taps, const float* wt, const float* b, const ConvGeom& g,
                          float* out_n, int32_t* argmax_n);
#endif

SN_END_TARGET
