#include "kernels/pooling.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "kernels/pool_windows.h"
#include "kernels/threadpool.h"
#include "simd/vec.h"

SN_BEGIN_TARGET

// Planes per thread below which the pool is not woken (a 28×28 plane is ~1 µs of work).
constexpr int64_t kMinPlanes = 16;

// The book's 2×2 stride-2 unpadded pooling: every window lies inside the plane, so the four
// candidates are read without bounds and compared in order (first maximum wins) by selects
// the compiler vectorises across oj.
[[maybe_unused]] static void pool_2x2_plane(const float* plane, int64_t w, int64_t oh, int64_t ow, float* o, int32_t* a) {
  for (int64_t oi = 0; oi < oh; ++oi) {
    const float* r0 = plane + 2 * oi * w;
    const float* r1 = r0 + w;
    const int32_t base = int32_t(2 * oi * w);
    for (int64_t oj = 0; oj < ow; ++oj) {
      const float v0 = r0[2 * oj], v1 = r0[2 * oj + 1], v2 = r1[2 * oj], v3 = r1[2 * oj + 1];
      // Masks instead of ternaries: GCC if-converts these, and vectorises the loop.
      const float m1 = std::max(v0, v1);
      const int32_t k1 = -int32_t(v1 > v0);
      const float m2 = std::max(m1, v2);
      const int32_t k2 = -int32_t(v2 > m1);
      const float best = std::max(m2, v3);
      const int32_t k3 = -int32_t(v3 > m2);
      int32_t at = k1 & 1;
      at = (at & ~k2) | (int32_t(w) & k2);
      at = (at & ~k3) | ((int32_t(w) + 1) & k3);
      o[oi * ow + oj] = best;
      a[oi * ow + oj] = base + int32_t(2 * oj) + at;
    }
  }
}

#if defined(__x86_64__)
// max(v0, v1) as std::max(v0, v1) computes it: (v0 < v1) ? v1 : v0, which is MAXPS with the
// operands swapped (MAXPS(a, b) = a > b ? a : b), NaNs included.
static inline __m128 std_max4(__m128 v0, __m128 v1) { return _mm_max_ps(v1, v0); }
#endif
#if defined(SN_TARGET_AVX512) || defined(SN_TARGET_AVX2)
static inline __m256 std_max8(__m256 v0, __m256 v1) { return _mm256_max_ps(v1, v0); }
#endif

// The same window's maximum as pool_2x2_plane (the same std::max chain v0, v1, v2, v3, so the
// same value, NaNs included), then the Relu; no positions. Even and odd columns are split out of
// two loads with one shuffle each, so 8 (or 4) windows take 4 loads and 4 maxima: GCC's own
// vectorisation of the scalar loop, strided loads and all, was no faster than the argmax form.
static void pool_2x2_plane_relu(const float* plane, int64_t w, int64_t oh, int64_t ow, float* o) {
  // A row's last windows, fewer than a vector, are one more vector ending at the row's end (its
  // first windows computed twice, the same values stored twice) where the row has a vector's
  // worth: LeNet's 14- and 5-wide rows left 2 and 1 windows to the scalar loop, whose chain
  // of maxima and branch per window made this 8% of LeNet5's inference. Loads stay inside the
  // two rows: 2·ow ≤ w.
  for (int64_t oi = 0; oi < oh; ++oi) {
    const float* r0 = plane + 2 * oi * w;
    const float* r1 = r0 + w;
    float* out = o + oi * ow;
    int64_t oj = 0;
#if defined(SN_TARGET_AVX512) || defined(SN_TARGET_AVX2)
    const auto eight = [&](int64_t j) {
      const __m256 a0 = _mm256_loadu_ps(r0 + 2 * j), b0 = _mm256_loadu_ps(r0 + 2 * j + 8);
      const __m256 a1 = _mm256_loadu_ps(r1 + 2 * j), b1 = _mm256_loadu_ps(r1 + 2 * j + 8);
      // lanes in the order 0 2 8 10 4 6 12 14 (of the 16 columns): fixed by one permute at the end
      const __m256 v0 = _mm256_shuffle_ps(a0, b0, 0x88), v1 = _mm256_shuffle_ps(a0, b0, 0xDD);
      const __m256 v2 = _mm256_shuffle_ps(a1, b1, 0x88), v3 = _mm256_shuffle_ps(a1, b1, 0xDD);
      const __m256 best = std_max8(std_max8(std_max8(v0, v1), v2), v3);
      const __m256 r = _mm256_max_ps(best, _mm256_setzero_ps());  // NaN > 0 is false: 0
      _mm256_storeu_ps(out + j, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(r), 0xD8)));
    };
    for (; oj + 8 <= ow; oj += 8) eight(oj);
    if (oj < ow && ow >= 8) {
      eight(ow - 8);
      continue;
    }
#endif
#if defined(__x86_64__)
    const auto four = [&](int64_t j) {
      const __m128 a0 = _mm_loadu_ps(r0 + 2 * j), b0 = _mm_loadu_ps(r0 + 2 * j + 4);
      const __m128 a1 = _mm_loadu_ps(r1 + 2 * j), b1 = _mm_loadu_ps(r1 + 2 * j + 4);
      const __m128 v0 = _mm_shuffle_ps(a0, b0, 0x88), v1 = _mm_shuffle_ps(a0, b0, 0xDD);
      const __m128 v2 = _mm_shuffle_ps(a1, b1, 0x88), v3 = _mm_shuffle_ps(a1, b1, 0xDD);
      const __m128 best = std_max4(std_max4(std_max4(v0, v1), v2), v3);
      _mm_storeu_ps(out + j, _mm_max_ps(best, _mm_setzero_ps()));
    };
    for (; oj + 4 <= ow; oj += 4) four(oj);
    if (oj < ow && ow >= 4) {
      four(ow - 4);
      continue;
    }
#endif
    for (; oj < ow; ++oj) {
      const float best = std::max(std::max(std::max(r0[2 * oj], r0[2 * oj + 1]), r1[2 * oj]), r1[2 * oj + 1]);
      out[oj] = best > 0.0f ? best : 0.0f;
    }
  }
}

#if defined(SN_TARGET_AVX2) || defined(SN_TARGET_AVX512)
// pool_2x2_plane with positions, 8 (pool_windows8) then 4 windows a step: the even and odd
// columns of both input rows split out by shuffles, the same compare chain as the AVX-512 form
// below (strict >, so the first maximum wins; max_ps(b, a) = b > a ? b : a is std::max(a, b), NaN
// included), the cell picked by blends. Every load is a whole vector inside the two rows: the
// masked loads of an earlier AVX2 form (vmaskmovps, slow on Zen 3) made it slower than GCC's
// vectorisation of the scalar loop.
static void pool_2x2_plane_avx2(const float* plane, int64_t w, int64_t oh, int64_t ow, float* o, int32_t* a) {
  const __m128i one4 = _mm_set1_epi32(1), down4 = _mm_set1_epi32(int32_t(w)),
                down_right4 = _mm_set1_epi32(int32_t(w) + 1);
  const __m128i even4 = _mm_setr_epi32(0, 2, 4, 6);
  for (int64_t oi = 0; oi < oh; ++oi) {
    const float* r0 = plane + 2 * oi * w;
    const float* r1 = r0 + w;
    float* out = o + oi * ow;
    int32_t* at_out = a + oi * ow;
    const int32_t base = int32_t(2 * oi * w);
    const auto eight = [&](int64_t oj) {
      const Windows8 win = pool_windows8<true>(_mm256_loadu_ps(r0 + 2 * oj), _mm256_loadu_ps(r0 + 2 * oj + 8),
                                               _mm256_loadu_ps(r1 + 2 * oj), _mm256_loadu_ps(r1 + 2 * oj + 8),
                                               base + int32_t(2 * oj), int32_t(w));
      _mm256_storeu_ps(out + oj, win.best);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(at_out + oj), win.at);
    };
    const auto four = [&](int64_t oj) {
      const __m128 a0 = _mm_loadu_ps(r0 + 2 * oj), b0 = _mm_loadu_ps(r0 + 2 * oj + 4);
      const __m128 a1 = _mm_loadu_ps(r1 + 2 * oj), b1 = _mm_loadu_ps(r1 + 2 * oj + 4);
      const __m128 v0 = _mm_shuffle_ps(a0, b0, 0x88), v1 = _mm_shuffle_ps(a0, b0, 0xDD);
      const __m128 v2 = _mm_shuffle_ps(a1, b1, 0x88), v3 = _mm_shuffle_ps(a1, b1, 0xDD);
      const __m128 k1 = _mm_cmpgt_ps(v1, v0), m1 = _mm_max_ps(v1, v0);
      const __m128 k2 = _mm_cmpgt_ps(v2, m1), m2 = _mm_max_ps(v2, m1);
      const __m128 k3 = _mm_cmpgt_ps(v3, m2), best = _mm_max_ps(v3, m2);
      __m128i at = _mm_and_si128(_mm_castps_si128(k1), one4);
      at = _mm_blendv_epi8(at, down4, _mm_castps_si128(k2));
      at = _mm_blendv_epi8(at, down_right4, _mm_castps_si128(k3));
      at = _mm_add_epi32(at, _mm_add_epi32(even4, _mm_set1_epi32(base + int32_t(2 * oj))));
      _mm_storeu_ps(out + oj, best);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(at_out + oj), at);
    };
    // A row's last windows, fewer than a step, are one more step ending at the row's end (its
    // first windows computed again, the same values and cells stored again), as in
    // pool_2x2_plane_relu: the scalar tail's branch per window on data mispredicted (LeNet's
    // 5-wide and DeepConvNet's 7-wide pooled rows left it 1 and 3 windows a row).
    int64_t oj = 0;
    for (; oj + 8 <= ow; oj += 8) eight(oj);
    if (oj < ow && ow >= 8) {
      eight(ow - 8);
      continue;
    }
    for (; oj + 4 <= ow; oj += 4) four(oj);
    if (oj < ow && ow >= 4) {
      four(ow - 4);
      continue;
    }
    for (; oj < ow; ++oj) {
      const float v0 = r0[2 * oj], v1 = r0[2 * oj + 1], v2 = r1[2 * oj], v3 = r1[2 * oj + 1];
      const float m1 = std::max(v0, v1), m2 = std::max(m1, v2);
      int32_t at = v1 > v0 ? 1 : 0;
      at = v2 > m1 ? int32_t(w) : at;
      at = v3 > m2 ? int32_t(w) + 1 : at;
      out[oj] = std::max(m2, v3);
      at_out[oj] = base + int32_t(2 * oj) + at;
    }
  }
}
#endif

#if defined(SN_TARGET_AVX512)
// The same 2×2 stride-2 window, 16 outputs per step: the even and odd columns of both input rows
// are split out of two loads each with one permute, and the same compare chain (strict >, so the
// first maximum wins, and max_ps(b, a) = b > a ? b : a as std::max(a, b), NaN included) picks
// the value and, through masks, its cell. GCC's own vectorisation of the loop above handles the
// short rows (ow = 12 for the book) with 8-wide halves and scalar tails, ~4× slower.
static void pool_2x2_plane_avx512(const float* plane, int64_t w, int64_t oh, int64_t ow, float* o, int32_t* a) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i one = _mm512_set1_epi32(1), down = _mm512_set1_epi32(int32_t(w)),
                down_right = _mm512_set1_epi32(int32_t(w) + 1);
  for (int64_t oi = 0; oi < oh; ++oi) {
    const float* r0 = plane + 2 * oi * w;
    const float* r1 = r0 + w;
    for (int64_t oj = 0; oj < ow; oj += 16) {
      const int64_t cnt = std::min<int64_t>(16, ow - oj);
      const __mmask16 m_out = __mmask16((1u << cnt) - 1u);
      const __mmask16 m_lo = __mmask16((1u << std::min<int64_t>(2 * cnt, 16)) - 1u);
      const __mmask16 m_hi = __mmask16((1u << std::max<int64_t>(2 * cnt - 16, 0)) - 1u);
      const __m512 a0 = _mm512_maskz_loadu_ps(m_lo, r0 + 2 * oj), a1 = _mm512_maskz_loadu_ps(m_hi, r0 + 2 * oj + 16);
      const __m512 b0 = _mm512_maskz_loadu_ps(m_lo, r1 + 2 * oj), b1 = _mm512_maskz_loadu_ps(m_hi, r1 + 2 * oj + 16);
      const __m512 v0 = _mm512_permutex2var_ps(a0, even, a1), v1 = _mm512_permutex2var_ps(a0, odd, a1);
      const __m512 v2 = _mm512_permutex2var_ps(b0, even, b1), v3 = _mm512_permutex2var_ps(b0, odd, b1);
      const __mmask16 k1 = _mm512_cmp_ps_mask(v1, v0, _CMP_GT_OQ);
      const __m512 m1 = vmax(v1, v0);
      const __mmask16 k2 = _mm512_cmp_ps_mask(v2, m1, _CMP_GT_OQ);
      const __m512 m2 = vmax(v2, m1);
      const __mmask16 k3 = _mm512_cmp_ps_mask(v3, m2, _CMP_GT_OQ);
      const __m512 best = vmax(v3, m2);
      __m512i at = _mm512_maskz_mov_epi32(k1, one);
      at = _mm512_mask_mov_epi32(at, k2, down);
      at = _mm512_mask_mov_epi32(at, k3, down_right);
      // cell = 2·oi·w + 2·(oj + lane) + offset within the window
      at = _mm512_add_epi32(at, _mm512_add_epi32(even, _mm512_set1_epi32(int32_t(2 * oi * w + 2 * oj))));
      _mm512_mask_storeu_ps(o + oi * ow + oj, m_out, best);
      _mm512_mask_storeu_epi32(a + oi * ow + oj, m_out, at);
    }
  }
}
#endif

// Any window, stride and padding. Relu (inference): out = max(0, maximum), no positions written.
template <bool Relu>
static void pool_plane_generic(const float* plane, const PoolGeom& g, float* o, int32_t* a) {
  for (int64_t oi = 0; oi < g.oh; ++oi) {
    const int64_t i0 = std::max<int64_t>(oi * g.stride - g.pad, 0);
    const int64_t i1 = std::min<int64_t>(oi * g.stride - g.pad + g.ph, g.h);
    for (int64_t oj = 0; oj < g.ow; ++oj) {
      const int64_t j0 = std::max<int64_t>(oj * g.stride - g.pad, 0);
      const int64_t j1 = std::min<int64_t>(oj * g.stride - g.pad + g.pw, g.w);
      // The first in-bounds cell starts the search, so padding never wins and a window of
      // NaNs or −∞ still reports a real cell (pad < window size guarantees one exists).
      int64_t best_at = i0 * g.w + j0;
      float best = plane[best_at];
      for (int64_t i = i0; i < i1; ++i) {
        for (int64_t j = j0; j < j1; ++j) {
          // Branch-free select: window maxima of real data are unpredictable.
          const float v = plane[i * g.w + j];
          const bool wins = v > best;
          best = wins ? v : best;
          if (!Relu) best_at = wins ? i * g.w + j : best_at;
        }
      }
      if (Relu) {
        o[oi * g.ow + oj] = best > 0.0f ? best : 0.0f;
      } else {
        o[oi * g.ow + oj] = best;
        a[oi * g.ow + oj] = int32_t(best_at);
      }
    }
  }
}

void pool_plane(const float* plane, const PoolGeom& g, float* o, int32_t* a) {
  if (g.ph == 2 && g.pw == 2 && g.stride == 2 && g.pad == 0) {
#if defined(SN_TARGET_AVX512)
    // Rows of fewer than 16 windows (the book's 12, LeNet's 14 and 5) take the 8-wide form: the
    // 16-wide one's masked loads and two-source permutes cost more than its one step saves
    // (Zen 5, one 30-plane image: 46 against 61 ns a plane at 12 windows a row, 17 against 23
    // at 5; at 14 the same). Both give the same winners and values.
    if (g.ow < 16) {
      pool_2x2_plane_avx2(plane, g.w, g.oh, g.ow, o, a);
    } else {
      pool_2x2_plane_avx512(plane, g.w, g.oh, g.ow, o, a);
    }
#elif defined(SN_TARGET_AVX2)
    pool_2x2_plane_avx2(plane, g.w, g.oh, g.ow, o, a);
#else
    pool_2x2_plane(plane, g.w, g.oh, g.ow, o, a);
#endif
    return;
  }
  pool_plane_generic<false>(plane, g, o, a);
}

void pool_plane_relu(const float* plane, const PoolGeom& g, float* o) {
  if (g.ph == 2 && g.pw == 2 && g.stride == 2 && g.pad == 0) {
    pool_2x2_plane_relu(plane, g.w, g.oh, g.ow, o);
    return;
  }
  pool_plane_generic<true>(plane, g, o, nullptr);
}

void pool_forward(const float* x, const PoolGeom& g, float* out, int32_t* argmax) {
  // x is (n, c, h, w), out and argmax are (n, c, oh, ow)
  const int64_t hw = g.h * g.w, ohw = g.oh * g.ow;
  parallel_for(g.n * g.c, kMinPlanes, [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; ++p) pool_plane(x + p * hw, g, out + p * ohw, argmax + p * ohw);
  });
}

int64_t pool_backward(const float* dout, const int32_t* argmax, const PoolGeom& g, float* dx) {
  // dout and argmax are (n, c, oh, ow), dx is (n, c, h, w)
  const int64_t hw = g.h * g.w, ohw = g.oh * g.ow;
  std::atomic<int64_t> first_bad{-1};
  parallel_for(g.n * g.c, kMinPlanes, [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; ++p) {
      float* plane = dx + p * hw;
      // Cleared plane by plane, just before its scatter: the plane is then still in L1, where
      // clearing the whole range first would push it out to L3 and read it back.
      std::memset(plane, 0, sizeof(float) * hw);
      const float* d = dout + p * ohw;
      const int32_t* a = argmax + p * ohw;
      for (int64_t q = 0; q < ohw; ++q) {
        const int32_t at = a[q];
        // argmax comes from JavaScript: an index outside the plane would write out of bounds
        if (uint32_t(at) >= uint64_t(hw)) {
          int64_t bad = p * ohw + q, cur = first_bad.load();
          while ((cur < 0 || bad < cur) && !first_bad.compare_exchange_weak(cur, bad)) {
          }
          continue;
        }
        plane[at] += d[q];
      }
    }
  });
  return first_bad.load();
}

SN_END_TARGET
