// AVX2 has no compress instruction (AVX-512's vpcompressd): for each 8-bit keep mask, a table
// gives the permutation that moves the kept lanes to the front, in order (8 KB). Built at compile
// time: a static initialiser in a file compiled for AVX2 runs at load on every CPU, and the
// compiler may give it AVX2 or BMI2 instructions.
#pragma once
#include <cstdint>

#include "simd/vec.h"

#if defined(SN_TARGET_AVX2)
SN_BEGIN_TARGET

struct CompressTable {
  alignas(32) int32_t perm[256][8]{};
  constexpr CompressTable() {
    for (int m = 0; m < 256; ++m) {
      int k = 0;
      for (int l = 0; l < 8; ++l)
        if (m & (1 << l)) perm[m][k++] = l;
      for (; k < 8; ++k) perm[m][k] = 0;
    }
  }
};
inline constexpr CompressTable kCompress;

// The permutation (for _mm256_permutevar8x32_*) that moves the lanes set in keep to the front.
inline __m256i compress_permutation(uint32_t keep) {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(kCompress.perm[keep]));
}

SN_END_TARGET
#endif
