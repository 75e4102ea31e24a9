// Products with a mostly zero operand, as sums of a few scaled rows (AVX2, AVX-512). Behind a Pooling
// only each window's winner gets a gradient, and only where the Relu passed it, so the gradient
// at a pooled convolution's output is about 1 value in 7; a GEMM multiplies the zeros too. Each
// sum here runs over the non-zero terms in the order the GEMM or the weight-gradient tile takes
// them, from 0: the zero terms left out are ±0 (when the other operand is finite, which the
// caller checks) and change no bit, so both forms give the same result. Used by the
// convolution's input gradient (kernels/convolution.cc); the weight gradient done the same way
// (each filter's non-zero positions, colᵀ rows summed) was no faster: col must be transposed for
// it, and filter_tile reads col once per 16 filters (DeepConvNet steps ×1.00 for 64-filter layers
// only, ×1.03 slower with 32).
#pragma once
#include <cstdint>

#include "simd/compress.h"
#include "simd/vec.h"

#if defined(SN_TARGET_AVX2) || defined(SN_TARGET_AVX512)
#define SN_NONZERO_ROWS 1
SN_BEGIN_TARGET

// Vectors of a result row summed in registers at a time.
constexpr int kRowChunkVectors = 12;

// acc = Σ_t gs[t] · m[rows[t]·ld + k0 + (0 … NV·W)], the terms in order from 0; the last vector
// loads its first last_n lanes only (the last row of m may end there).
template <int NV>
__attribute__((always_inline)) inline void sum_weighted_rows(const float* m, int64_t ld, const int32_t* rows,
                                                             const float* gs, int64_t count, int64_t k0,
                                                             int64_t last_n, V (&acc)[NV]) {
  const Mask last = tail_mask(last_n);
  SN_UNROLL
  for (int v = 0; v < NV; ++v) acc[v] = vzero();
  for (int64_t t = 0; t < count; ++t) {
    const V gv = vset1(gs[t]);
    const float* r = m + rows[t] * ld + k0;
    SN_UNROLL
    for (int v = 0; v < NV - 1; ++v) acc[v] = vfma(gv, vload(r + v * W), acc[v]);
    acc[NV - 1] = vfma(gv, last_n == W ? vload(r + (NV - 1) * W) : vloadm(r + (NV - 1) * W, last), acc[NV - 1]);
  }
}

// The same sums over NV whole vectors, each then added to the vector at base + offsets[v] (one
// add per float, after its sum is complete).
template <int NV>
__attribute__((always_inline)) inline void add_weighted_rows(const float* m, int64_t ld, const int32_t* rows,
                                                             const float* gs, int64_t count, int64_t k0, float* base,
                                                             const int32_t* offsets) {
  V acc[NV];
  sum_weighted_rows<NV>(m, ld, rows, gs, count, k0, W, acc);
  SN_UNROLL
  for (int v = 0; v < NV; ++v) {
    float* d = base + offsets[v];
    vstore(d, vadd(vload(d), acc[v]));
  }
}

#if defined(SN_TARGET_AVX512)
// Appends the positions base + i (i < n) where v[i] is not ±0 (NaN counts), and those values,
// to at[count …] and val[count …] (room for n + W more); returns the new count.
inline int64_t append_nonzeros(const float* v, int64_t n, int32_t base, int32_t* at, float* val, int64_t count) {
  const __m512 zero = _mm512_setzero_ps();
  const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int64_t q = 0; q < n; q += W) {
    const Mask in = lane_range(0, n - q);
    const __m512 x = _mm512_maskz_loadu_ps(in, v + q);
    const __mmask16 keep = _mm512_mask_cmp_ps_mask(in, x, zero, _CMP_NEQ_UQ);
    const __m512i pos = _mm512_add_epi32(lanes, _mm512_set1_epi32(base + int32_t(q)));
    // compressed in registers and stored whole (a compressing store to memory is microcoded)
    _mm512_storeu_si512(at + count, _mm512_maskz_compress_epi32(keep, pos));
    _mm512_storeu_ps(val + count, _mm512_maskz_compress_ps(keep, x));
    count += __builtin_popcount(keep);
  }
  return count;
}

// How many values of v[0, n) are not ±0 (NaN counts).
inline int64_t count_nonzero(const float* v, int64_t n) {
  const __m512 zero = _mm512_setzero_ps();
  int64_t count = 0;
  for (int64_t i = 0; i < n; i += W) {
    const Mask in = lane_range(0, n - i);
    count += __builtin_popcount(_mm512_mask_cmp_ps_mask(in, _mm512_maskz_loadu_ps(in, v + i), zero, _CMP_NEQ_UQ));
  }
  return count;
}
#else
// Appends the positions base + i (i < n) where v[i] is not ±0 (NaN counts), and those values,
// to at[count …] and val[count …] (room for n + W more); returns the new count.
inline int64_t append_nonzeros(const float* v, int64_t n, int32_t base, int32_t* at, float* val, int64_t count) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int64_t q = 0; q < n; q += W) {
    const __m256 x = n - q >= W ? _mm256_loadu_ps(v + q) : vloadm(v + q, tail_mask(n - q));
    const uint32_t keep = uint32_t(_mm256_movemask_ps(_mm256_cmp_ps(x, zero, _CMP_NEQ_UQ)));
    const __m256i perm = compress_permutation(keep);
    const __m256i pos = _mm256_add_epi32(lanes, _mm256_set1_epi32(base + int32_t(q)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(at + count), _mm256_permutevar8x32_epi32(pos, perm));
    _mm256_storeu_ps(val + count, _mm256_permutevar8x32_ps(x, perm));
    count += __builtin_popcount(keep);
  }
  return count;
}

// How many values of v[0, n) are not ±0 (NaN counts).
inline int64_t count_nonzero(const float* v, int64_t n) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t count = 0, i = 0;
  for (; i + W <= n; i += W)
    count += __builtin_popcount(uint32_t(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(v + i), zero, _CMP_NEQ_UQ))));
  for (; i < n; ++i) count += !(v[i] == 0.0f);
  return count;
}

#endif

SN_END_TARGET
#endif
