#pragma once
#include <cstdint>
#include "simd/target.h"

SN_BEGIN_TARGET

// Data augmentation while gathering a batch: the byte images of gather_bytes, each warped on the
// way to floats (forward only; nothing flows back into the data).
//
// src holds images of c × h × w bytes. For s in [0, n), output image s is the warp of source image
// rows[s] (first + s when rows is null). Every output pixel (x, y) — pixel centres at integer
// coordinates — reads the source at
//   sx = a·x + b·y + e,   sy = c'·x + d·y + f        (affine row s: a, b, e, c', d, f)
// plus, when taps is given (ntaps = 2r + 1 > 0), alpha times an elastic displacement field
// (Simard et al. 2003): uniform noise in [−1, 1) from mix32 of (key, s, component, pixel),
// smoothed in float by the separable kernel taps along x then y (the noise extends r pixels past
// the borders, so the field has the same statistics everywhere). The value is bilinear with zero fill
//   v = (1 − fy)·((1 − fx)·p00 + fx·p01) + fy·((1 − fx)·p10 + fx·p11)
// in double, and out = float(v / divisor), as gather_bytes: an identity warp gives its bits.
// Every channel uses the same coordinates. Every operation is an IEEE +, −, ·, / or floor in a
// fixed order (this file is compiled without FMA contraction), so the reference backend
// (lib/backend/reference/augment.ts) gives the same bits, and so does any thread count.
void augment_bytes(const uint8_t* src, int64_t c, int64_t h, int64_t w, const int32_t* rows, int64_t first, int64_t n,
                   double divisor, const float* affine, const float* taps, int64_t ntaps, double alpha, uint32_t key,
                   float* out);

SN_END_TARGET
