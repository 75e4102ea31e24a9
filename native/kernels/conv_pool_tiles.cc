#include "kernels/conv_pool_tiles.h"

#include "kernels/gemm.h"
#include "simd/vec.h"

SN_BEGIN_TARGET

#if SN_POOLED_TILES

namespace {

// Filters a tile: 6 × 3 accumulators, 3 vectors of col and a broadcast fit the 32 registers. The
// built-in GEMM's 10 × 3 tile keeps two accumulators on the stack, whose load, FMA and store
// each step chain the steps; over only 25 taps that cost more than the smaller tile's extra
// reloads of col. The sums are the GEMM's in its order (tap by tap from zero, then the bias):
// the same bits as conv_forward_image.
constexpr int kFilters = 6;
constexpr int64_t kWidth = 24;        // the convolution's row: two of them are the tile's 48 columns
constexpr int64_t kPooledWidth = 12;  // windows a pooled row

inline __m512 max16(__m512 a, __m512 b) { return _mm512_mask_max_ps(b, __mmask16(0xFFFF), a, b); }

// One pooled row (conv rows 2·pr and 2·pr + 1) of MR filters (wt + f0, b + f0, out + f0 · pohw),
// read from the padded image: tap t of the pair's first row starts at pair + taps[t], its second
// row pw floats on (stride 1), so no im2col is written. The tile's 48 lanes are those of the
// GEMM's column panel over im2col: x0 = row0[0..15], x1 = row0[16..23] row1[0..7] (two masked
// loads), x2 = row1[8..23]. After the sums, the even and odd columns of each row come out of one
// two-source permute each.
template <int MR, bool Argmax>
void pooled_tile(int64_t ckk, const float* wt, int64_t f, const float* pair, const int32_t* taps, int64_t pw,
                 const float* b, int64_t pr, int64_t pohw, float* out, int32_t* argmax) {
  __m512 acc[MR][3];
  SN_UNROLL
  for (int r = 0; r < MR; ++r)
    SN_UNROLL
    for (int v = 0; v < 3; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int64_t p = 0; p < ckk; ++p) {
    const float* r0 = pair + taps[p];
    const float* r1 = r0 + pw;
    const __m512 b0 = _mm512_loadu_ps(r0), b2 = _mm512_loadu_ps(r1 + 8);
    const __m512 b1 = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(0x00FF, r0 + 16), 0xFF00, r1 - 8);
    const float* ap = wt + p * f;
    SN_UNROLL
    for (int r = 0; r < MR; ++r) {
      const __m512 a = _mm512_set1_ps(ap[r]);
      acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
      acc[r][2] = _mm512_fmadd_ps(a, b2, acc[r][2]);
    }
  }
  const __m512i even0 = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 0, 0, 0, 0);
  const __m512i odd0 = _mm512_add_epi32(even0, _mm512_set1_epi32(1));
  const __m512i even1 = _mm512_add_epi32(even0, _mm512_set1_epi32(8));
  const __m512i odd1 = _mm512_add_epi32(even0, _mm512_set1_epi32(9));
  const __mmask16 row = __mmask16((1u << kPooledWidth) - 1u);
  const int64_t at_out = pr * kPooledWidth;
  SN_UNROLL
  for (int r = 0; r < MR; ++r) {
    const __m512 bias = _mm512_set1_ps(b[r]);
    const __m512 x0 = _mm512_add_ps(acc[r][0], bias), x1 = _mm512_add_ps(acc[r][1], bias),
                 x2 = _mm512_add_ps(acc[r][2], bias);
    const __m512 v0 = _mm512_permutex2var_ps(x0, even0, x1), v1 = _mm512_permutex2var_ps(x0, odd0, x1);
    const __m512 v2 = _mm512_permutex2var_ps(x1, even1, x2), v3 = _mm512_permutex2var_ps(x1, odd1, x2);
    // pool_plane's chain: strict >, the first maximum wins; max_ps(b, a) = b > a ? b : a. (The
    // maxima are the masked form with every lane set: the plain one leaves GCC 12 warning of an
    // uninitialized source operand; the code is the same.)
    const __m512 m1 = max16(v1, v0), m2 = max16(v2, m1), best = max16(v3, m2);
    _mm512_mask_storeu_ps(out + r * pohw + at_out, row, max16(best, _mm512_setzero_ps()));
    if (Argmax) {
      const __mmask16 k1 = _mm512_cmp_ps_mask(v1, v0, _CMP_GT_OQ), k2 = _mm512_cmp_ps_mask(v2, m1, _CMP_GT_OQ),
                      k3 = _mm512_cmp_ps_mask(v3, m2, _CMP_GT_OQ);
      __m512i at = _mm512_maskz_mov_epi32(k1, _mm512_set1_epi32(1));
      at = _mm512_mask_mov_epi32(at, k2, _mm512_set1_epi32(int32_t(kWidth)));
      at = _mm512_mask_mov_epi32(at, k3, _mm512_set1_epi32(int32_t(kWidth + 1)));
      // cell = 2·pr·24 + 2·lane + the offset within the window
      at = _mm512_add_epi32(at, _mm512_add_epi32(even0, _mm512_set1_epi32(int32_t(2 * pr * kWidth))));
      _mm512_mask_storeu_epi32(argmax + r * pohw + at_out, row, at);
    }
  }
}

template <bool Argmax>
void pooled_tail(int mr, int64_t ckk, const float* wt, int64_t f, const float* pair, const int32_t* taps, int64_t pw,
                 const float* b, int64_t pr, int64_t pohw, float* out, int32_t* argmax) {
  switch (mr) {
    case 1: return pooled_tile<1, Argmax>(ckk, wt, f, pair, taps, pw, b, pr, pohw, out, argmax);
    case 2: return pooled_tile<2, Argmax>(ckk, wt, f, pair, taps, pw, b, pr, pohw, out, argmax);
    case 3: return pooled_tile<3, Argmax>(ckk, wt, f, pair, taps, pw, b, pr, pohw, out, argmax);
    case 4: return pooled_tile<4, Argmax>(ckk, wt, f, pair, taps, pw, b, pr, pohw, out, argmax);
    default: return pooled_tile<5, Argmax>(ckk, wt, f, pair, taps, pw, b, pr, pohw, out, argmax);
  }
}

template <bool Argmax>
void pooled_rows(const float* xp, const int32_t* taps, const float* wt, const float* b, const ConvGeom& g, float* out_n,
                 int32_t* argmax_n) {
  const int64_t ckk = g.ckk(), pw = g.w + 2 * g.pad, pohw = (g.oh / 2) * kPooledWidth;
  // Row pair outer, filters inner: the pair's input rows stay in L1 for every filter tile.
  for (int64_t pr = 0; pr < g.oh / 2; ++pr) {
    const float* pair = xp + 2 * pr * pw;
    int64_t f0 = 0;
    for (; f0 + kFilters <= g.f; f0 += kFilters) {
      pooled_tile<kFilters, Argmax>(ckk, wt + f0, g.f, pair, taps, pw, b + f0, pr, pohw, out_n + f0 * pohw,
                                    Argmax ? argmax_n + f0 * pohw : nullptr);
    }
    if (f0 < g.f) {
      pooled_tail<Argmax>(int(g.f - f0), ckk, wt + f0, g.f, pair, taps, pw, b + f0, pr, pohw, out_n + f0 * pohw,
                          Argmax ? argmax_n + f0 * pohw : nullptr);
    }
  }
}

}  // namespace

bool pooled_tiles_fit(const ConvGeom& g, const PoolGeom& p) {
  return g.stride == 1 && g.ow == kWidth && g.oh % 2 == 0 && p.ph == 2 && p.pw == 2 && p.stride == 2 && p.pad == 0 &&
         p.h == g.oh && p.w == g.ow && p.oh == g.oh / 2 && p.ow == kPooledWidth && g.ckk() <= sgemm_pass_depth();
}

void conv_relu_pool_tiles(const float* xp, const int32_t* taps, const float* wt, const float* b, const ConvGeom& g,
                          float* out_n, int32_t* argmax_n) {
  if (argmax_n) {
    pooled_rows<true>(xp, taps, wt, b, g, out_n, argmax_n);
  } else {
    pooled_rows<false>(xp, taps, wt, b, g, out_n, nullptr);
  }
}

#endif

SN_END_TARGET
