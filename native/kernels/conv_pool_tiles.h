// The convolution's forward with the Relu and the 2 × 2 max Pooling taken in the register tile
// (AVX-512): a tile is a few filters × two output rows of a map 17–32 wide (SimpleConvNet's 24,
// LeNet's and DeepConvNet's first pooled 28), so each pooled row comes straight from the
// accumulators and the convolution's output is never stored nor read back. (An AVX2 form,
// 2 filters × 2 rows × 3 vectors, ran ×1.11 slower than its direct kernel and pooling, Zen 5.)
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
// convolution 17–32 outputs wide, with an even number of rows and columns, at most one GEMM pass
// of taps deep (c·kh·kw ≤ sgemm_pass_depth()). The caller also checks that the built-in GEMM is
// in use, whose bits these are.
bool pooled_tiles_fit(const ConvGeom& g, const PoolGeom& p);

// out_n (f, oh/2 · ow/2) = relu(maxpool(w · im2col(x_n) + b)) for one image, read from xp, x_n with
// its zero border (c planes of (h + 2·pad) × (w + 2·pad); x_n itself when pad is 0). wt = wᵀ
// (c·kh·kw × f). live: null, or, when every weight is finite, per row of xp 1 where it holds a
// value other than ±0 (NaN included), else 0 (a zero row's products are then skipped). argmax_n,
// when non-null, gets each window's winner in the convolution's plane as pool_plane writes it
// (first maximum wins). The values, sums and winners are those of conv_forward_image then
// pool_plane (or pool_plane_relu), bit for bit.
void conv_relu_pool_tiles(const float* xp, const uint32_t* live, const float* wt, const float* b, const ConvGeom& g,
                          float* out_n, int32_t* argmax_n);
#endif

SN_END_TARGET
