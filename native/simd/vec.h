// The SIMD vocabulary every kernel is written in: one vector type V of W floats, lane masks,
// masked loads that never touch masked-off lanes (a tail may end at the last float of an
// array, a padded row may start before the first), FMA, and a horizontal sum. One definition
// per target, selected by simd/target.h; kernels written in it compile for every target.
//   avx512  16 lanes, __mmask16 masks
//   avx2     8 lanes, vector masks (vmaskmovps does not fault on masked-off lanes)
//   sse2     4 lanes, bit masks; partial loads and stores go lane by lane (no masked moves)
//   neon     4 lanes, bit masks, likewise
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#include "simd/target.h"

SN_BEGIN_TARGET

#if defined(SN_TARGET_AVX512)
constexpr int W = 16;
using V = __m512;
using Mask = __mmask16;
inline V vzero() { return _mm512_setzero_ps(); }
inline V vset1(float x) { return _mm512_set1_ps(x); }
inline V vload(const float* p) { return _mm512_loadu_ps(p); }
inline V vloadm(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
inline void vstore(float* p, V v) { _mm512_storeu_ps(p, v); }
inline void vstorem(float* p, V v, Mask m) { _mm512_mask_storeu_ps(p, m, v); }
// The first n lanes (n clipped to [0, W]).
inline void vstore_first(float* p, V v, int64_t n) {
  _mm512_mask_storeu_ps(p, Mask(n >= W ? 0xFFFFu : n <= 0 ? 0u : (1u << n) - 1u), v);
}
inline V vfma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
inline V vadd(V a, V b) { return _mm512_add_ps(a, b); }
inline V vmul(V a, V b) { return _mm512_mul_ps(a, b); }
// a > b ? a : b per lane (max_ps: b when either is NaN), the pooling's compare chain. The masked
// form with every lane set: the plain one leaves GCC 12 warning of an uninitialized source
// operand; the instruction is the same.
inline V vmax(V a, V b) { return _mm512_mask_max_ps(b, Mask(0xFFFF), a, b); }
// _mm512_reduce_add_ps's order (halves, then quarters, then pairs): the same sum, written with
// masked extracts because the intrinsic's undefined operand makes GCC 12 warn wherever it
// inlines.
inline float vsum(V v) {
  const __m256 h = _mm256_add_ps(_mm512_maskz_extractf32x8_ps(0xFF, v, 1), _mm512_maskz_extractf32x8_ps(0xFF, v, 0));
  const __m128 q = _mm_add_ps(_mm256_extractf128_ps(h, 1), _mm256_castps256_ps128(h));
  const __m128 p = _mm_add_ps(q, _mm_movehl_ps(q, q));
  return _mm_cvtss_f32(_mm_add_ss(p, _mm_movehdup_ps(p)));
}
// Lanes [lo, hi), clipped to the vector.
inline Mask lane_range(int64_t lo, int64_t hi) {
  lo = std::max<int64_t>(lo, 0);
  hi = std::min<int64_t>(hi, W);
  return hi <= lo ? Mask(0) : Mask(((1u << (hi - lo)) - 1u) << lo);
}
inline Mask no_lanes() { return Mask(0); }
// Keeps v in a register: without it GCC folds a load into each FMA that uses it.
inline void pin(V& v) { asm("" : "+v"(v)); }

#elif defined(SN_TARGET_AVX2)
constexpr int W = 8;
using V = __m256;
using Mask = __m256i;
inline V vzero() { return _mm256_setzero_ps(); }
inline V vset1(float x) { return _mm256_set1_ps(x); }
inline V vload(const float* p) { return _mm256_loadu_ps(p); }
inline V vloadm(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
inline void vstore(float* p, V v) { _mm256_storeu_ps(p, v); }
inline void vstorem(float* p, V v, Mask m) { _mm256_maskstore_ps(p, m, v); }
// The first n lanes (n clipped to [0, W]) in 4-, 2- and 1-float pieces: vmaskmovps as a store
// is microcoded on AMD Zen (~40 ns each on Zen 3, measured: it made the AVX2 im2col 5× slower
// than plain scalar code), where masked loads are cheap.
inline void vstore_first(float* p, V v, int64_t n) {
  if (n >= W) return _mm256_storeu_ps(p, v);
  __m128 part = _mm256_castps256_ps128(v);
  if (n >= 4) {
    _mm_storeu_ps(p, part);
    part = _mm256_extractf128_ps(v, 1);
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(p), part);
    part = _mm_movehl_ps(part, part);
    p += 2;
    n -= 2;
  }
  if (n >= 1) _mm_store_ss(p, part);
}
inline V vfma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
inline V vadd(V a, V b) { return _mm256_add_ps(a, b); }
inline V vmul(V a, V b) { return _mm256_mul_ps(a, b); }
inline float vsum(V v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline Mask lane_range(int64_t lo, int64_t hi) {
  const int l = int(std::clamp<int64_t>(lo, 0, W)), h = int(std::clamp<int64_t>(hi, 0, W));
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  // lane ≥ l and lane < h
  return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(l), iota),
                             _mm256_cmpgt_epi32(_mm256_set1_epi32(h), iota));
}
inline Mask no_lanes() { return _mm256_setzero_si256(); }
inline void pin(V& v) { asm("" : "+x"(v)); }
// vloadm(p, m), but a plain load and an AND where all W floats lie inside [lo, hi): vmaskmovps
// loads are slow on AMD Zen, and the masked-off lanes then read neighbouring floats, which the
// AND drops. Outside, the masked load, which never touches masked-off lanes.
inline V vloadm_within(const float* p, Mask m, const float* lo, const float* hi) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (a >= reinterpret_cast<uintptr_t>(lo) && a + W * sizeof(float) <= reinterpret_cast<uintptr_t>(hi))
    return _mm256_and_ps(_mm256_loadu_ps(p), _mm256_castsi256_ps(m));
  return vloadm(p, m);
}

#else
// 4 lanes: SSE2 on x86-64, NEON on arm64.
constexpr int W = 4;
#if defined(__aarch64__)
using V = float32x4_t;
inline V vzero() { return vdupq_n_f32(0.0f); }
inline V vset1(float x) { return vdupq_n_f32(x); }
inline V vload(const float* p) { return vld1q_f32(p); }
inline void vstore(float* p, V v) { vst1q_f32(p, v); }
inline V vfma(V a, V b, V c) { return vfmaq_f32(c, a, b); }
inline V vadd(V a, V b) { return vaddq_f32(a, b); }
inline V vmul(V a, V b) { return vmulq_f32(a, b); }
inline float vsum(V v) { return vaddvq_f32(v); }
inline void pin(V& v) { asm("" : "+w"(v)); }
#else
using V = __m128;
inline V vzero() { return _mm_setzero_ps(); }
inline V vset1(float x) { return _mm_set1_ps(x); }
inline V vload(const float* p) { return _mm_loadu_ps(p); }
inline void vstore(float* p, V v) { _mm_storeu_ps(p, v); }
// No FMA in the baseline: a multiply and an add, rounded twice.
inline V vfma(V a, V b, V c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
inline V vadd(V a, V b) { return _mm_add_ps(a, b); }
inline V vmul(V a, V b) { return _mm_mul_ps(a, b); }
inline float vsum(V v) {
  __m128 s = _mm_add_ps(v, _mm_movehl_ps(v, v));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
inline void pin(V& v) { asm("" : "+x"(v)); }
#endif
// Bit l set = lane l live.
using Mask = uint32_t;
inline Mask lane_range(int64_t lo, int64_t hi) {
  lo = std::max<int64_t>(lo, 0);
  hi = std::min<int64_t>(hi, W);
  return hi <= lo ? Mask(0) : Mask(((1u << (hi - lo)) - 1u) << lo);
}
inline Mask no_lanes() { return 0; }
inline V vloadm(const float* p, Mask m) {
  if (m == 0xFu) return vload(p);
  alignas(16) float t[W] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (int l = 0; l < W; ++l)
    if (m & (1u << l)) t[l] = p[l];
  return vload(t);
}
inline void vstorem(float* p, V v, Mask m) {
  if (m == 0xFu) return vstore(p, v);
  alignas(16) float t[W];
  vstore(t, v);
  for (int l = 0; l < W; ++l)
    if (m & (1u << l)) p[l] = t[l];
}
inline void vstore_first(float* p, V v, int64_t n) {
  if (n >= W) return vstore(p, v);
  alignas(16) float t[W];
  vstore(t, v);
  for (int64_t l = 0; l < n; ++l) p[l] = t[l];
}
#endif

// Whether partial vectors are single masked instructions (AVX-512, AVX2): kernels that load a
// masked vector per short row use them only then, and plain loops on the 4-lane targets.
#if defined(SN_TARGET_AVX512) || defined(SN_TARGET_AVX2)
#define SN_MASKED_SIMD 1
#else
#define SN_MASKED_SIMD 0
#endif

#if SN_MASKED_SIMD
// The first n (≤ 8) lanes of an 8-lane vector: a mask register on AVX-512; on AVX2 in 4-, 2- and
// 1-float pieces (vstore_first), not vmaskmovps, which as a store is microcoded on AMD Zen: one
// per patch made the sparse weight gradient's patches cost twice AVX-512's (SimpleConvNet, Zen 4).
inline void store_first8(float* d, __m256 v, int64_t n) {
#if defined(SN_TARGET_AVX512)
  _mm256_mask_storeu_ps(d, __mmask8((1u << n) - 1u), v);
#else
  vstore_first(d, v, n);
#endif
}

// o[j] lane q = r[q] lane j for j, q < 8: the 8 × 8 block turned in registers.
inline void transpose_8x8(const __m256 r[8], __m256 o[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  o[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  o[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  o[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  o[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  o[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  o[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  o[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  o[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// d[j·stride + q] = r[q][j] for j, q < 8: column j of the 8 × 8 block whose row q is r[q], stored
// as one vector (all 8 lanes, whatever the stride).
inline void store_transposed_8x8(const __m256 r[8], float* d, int64_t stride) {
  __m256 o[8];
  transpose_8x8(r, o);
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) _mm256_storeu_ps(d + j * stride, o[j]);
}
#endif

// dst(j, i) = src(i, j) for i < rows, j < cols (src rows lds floats apart, dst rows ldd): 8 × 8
// blocks through registers where the target has them.
// (GCC 12, given a constant row count of 16, warns that the scalar tail — which then never
// runs — would overflow its index after 2^62 steps.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Waggressive-loop-optimizations"
inline void transpose(const float* src, int64_t rows, int64_t cols, int64_t lds, float* dst, int64_t ldd) {
  int64_t i = 0;
#if SN_MASKED_SIMD
  for (; i + 8 <= rows; i += 8) {
    int64_t j = 0;
    for (; j + 8 <= cols; j += 8) {
      __m256 r[8];
      for (int q = 0; q < 8; ++q) r[q] = _mm256_loadu_ps(src + (i + q) * lds + j);
      store_transposed_8x8(r, dst + j * ldd + i, ldd);
    }
    for (; j < cols; ++j)
      for (int q = 0; q < 8; ++q) dst[j * ldd + i + q] = src[(i + q) * lds + j];
  }
#endif
  for (; i < rows; ++i) {
    const float* row = src + i * lds;
    float* column = dst + i;
    for (int64_t j = 0; j < cols; ++j) column[j * ldd] = row[j];
  }
}
#pragma GCC diagnostic pop

// The first n lanes.
inline Mask tail_mask(int64_t n) { return lane_range(0, n); }

// Every loop over a register tile's rows or vectors must be unrolled completely: one loop left
// rolled makes the accumulator array addressable, and GCC then keeps it on the stack.
#define SN_UNROLL _Pragma("GCC unroll 32")

SN_END_TARGET
