// The convolution's forward straight from the padded image, filters in the vector lanes and a few
// output positions a register tile (AVX2: 16 × 6; AVX-512: 32 × 12 or 16 × 28): no im2col.
#pragma once
#include <cstdint>

#include "kernels/geometry.h"
#include "simd/target.h"

SN_BEGIN_TARGET

#if defined(SN_TARGET_AVX2) || defined(SN_TARGET_AVX512)
#define SN_FORWARD_LANES 1
#else
#define SN_FORWARD_LANES 0
#endif

#if SN_FORWARD_LANES
// Whether conv_forward_lanes takes this shape: stride 1, filters in whole panels (16 on AVX2; 16
// or 32 on AVX-512), and the built-in GEMM in use (whose bits it gives).
bool conv_forward_lanes_fits(const ConvGeom& g);

// wᵀ (ckk × f, transpose_weights) into the panels conv_forward_lanes reads: each panel's filters
// side by side, tap after tap (conv_forward_lanes_panel_floats(g) floats).
int64_t conv_forward_lanes_panel_floats(const ConvGeom& g);
void conv_forward_lanes_pack(const float* wt, const ConvGeom& g, float* panels);

// out_n (f, oh·ow) = w · im2col(x_n) + b, read from xp = im2col_pad_image(x_n): tap t of output
// position (oi, oj) is xp[tap_offsets[t] + oi·pw + oj] (pw the padded width). panels: wᵀ as
// conv_forward_lanes_pack packs it. out_t: ohw × f floats of scratch, outᵀ's partial sums while
// more than one pass of taps is left (the last pass stores into out_n).
void conv_forward_lanes(const float* xp, const float* panels, const int32_t* tap_offsets, const float* b,
                        const ConvGeom& g, float* out_t, float* out_n);

// tap_offsets for g: c·kh·kw entries.
void conv_tap_offsets(const ConvGeom& g, int32_t* tap_offsets);

#if defined(SN_TARGET_AVX512)
// The same with a 2 × 2 stride-2 max Pooling and the Relu taken from the last pass's registers
// (tiles of two output rows): out_n (f, oh/2 · ow/2) = relu(maxpool(conv)), argmax_n (same shape;
// null in inference) each window's winner in the convolution's plane, as pool_plane gives them
// (first maximum wins). The map itself is never stored: out_t (ohw × f floats of scratch) holds
// only the partial sums of passes before the last. Fits conv_forward_lanes_fits shapes with an
// even number of rows and columns, pooled whole.
bool conv_relu_pool_lanes_fits(const ConvGeom& g, const PoolGeom& p);
void conv_relu_pool_lanes(const float* xp, const float* panels, const int32_t* tap_offsets, const float* b,
                          const ConvGeom& g, float* out_t, float* out_n, int32_t* argmax_n);
#endif
#endif

SN_END_TARGET
