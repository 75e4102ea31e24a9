// The convolution's forward straight from the padded image, 16 filters in the vector lanes and 6
// output positions a register tile (AVX2): no im2col.
#pragma once
#include <cstdint>

#include "kernels/geometry.h"
#include "simd/target.h"

SN_BEGIN_TARGET

#if defined(SN_TARGET_AVX2)
// Whether conv_forward_lanes takes this shape: stride 1, filters in whole panels of 16, and the
// built-in GEMM in use (whose bits it gives).
bool conv_forward_lanes_fits(const ConvGeom& g);

// out_n (f, oh·ow) = w · im2col(x_n) + b, read from xp = im2col_pad_image(x_n): tap t of output
// position (oi, oj) is xp[tap_offsets[t] + oi·pw + oj] (pw the padded width). wt_panels: wᵀ as
// sgemm_pack_b packs it (panels of 16 filters). out_t: ohw × f floats of scratch, outᵀ's partial
// sums while more than one pass of taps is left (the last pass stores into out_n).
void conv_forward_lanes(const float* xp, const float* wt_panels, const int32_t* tap_offsets, const float* b,
                        const ConvGeom& g, float* out_t, float* out_n);

// tap_offsets for g: c·kh·kw entries.
void conv_tap_offsets(const ConvGeom& g, int32_t* tap_offsets);
#endif

SN_END_TARGET
