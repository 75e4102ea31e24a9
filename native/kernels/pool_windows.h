// Eight 2 × 2 stride-2 max-pooling windows from the 16 columns of two rows, in registers: shared
// by the pooling of a stored map (kernels/pooling.cc) and the AVX2 direct convolution that pools
// its rows as it sums them (kernels/convolution.cc), so both give the same values and winners.
#pragma once
#include <cstdint>

#include "simd/vec.h"

#if defined(SN_TARGET_AVX2) || defined(SN_TARGET_AVX512)
SN_BEGIN_TARGET

struct Windows8 {
  __m256 best;  // window j's maximum in lane j
  __m256i at;   // Argmax: its winner's cell, counted from cell0 (window 0's top-left cell)
};

// a0 b0: the upper row's columns 0–7 and 8–15; a1 b1: the lower row's. pool_plane's chain:
// strict >, so the first maximum wins; max_ps(b, a) = b > a ? b : a is std::max(a, b), NaN
// included. w: the row length of the plane the cells count in.
template <bool Argmax>
__attribute__((always_inline)) inline Windows8 pool_windows8(__m256 a0, __m256 b0, __m256 a1, __m256 b1,
                                                             int32_t cell0, int32_t w) {
  // lanes in the order 0 2 8 10 4 6 12 14 (of the 16 columns): fixed by one permute at the end
  const __m256 v0 = _mm256_shuffle_ps(a0, b0, 0x88), v1 = _mm256_shuffle_ps(a0, b0, 0xDD);
  const __m256 v2 = _mm256_shuffle_ps(a1, b1, 0x88), v3 = _mm256_shuffle_ps(a1, b1, 0xDD);
  const __m256 m1 = _mm256_max_ps(v1, v0), m2 = _mm256_max_ps(v2, m1), best = _mm256_max_ps(v3, m2);
  Windows8 r;
  r.best = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(best), 0xD8));
  if constexpr (Argmax) {
    const __m256 k1 = _mm256_cmp_ps(v1, v0, _CMP_GT_OQ), k2 = _mm256_cmp_ps(v2, m1, _CMP_GT_OQ),
                 k3 = _mm256_cmp_ps(v3, m2, _CMP_GT_OQ);
    __m256i at = _mm256_and_si256(_mm256_castps_si256(k1), _mm256_set1_epi32(1));
    at = _mm256_blendv_epi8(at, _mm256_set1_epi32(w), _mm256_castps_si256(k2));
    at = _mm256_blendv_epi8(at, _mm256_set1_epi32(w + 1), _mm256_castps_si256(k3));
    at = _mm256_permute4x64_epi64(at, 0xD8);
    // cell = cell0 + 2·lane + the offset within the window
    const __m256i first_cells = _mm256_add_epi32(_mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14), _mm256_set1_epi32(cell0));
    r.at = _mm256_add_epi32(at, first_cells);
  } else {
    r.at = _mm256_setzero_si256();
  }
  return r;
}

SN_END_TARGET
#endif
