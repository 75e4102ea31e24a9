#include "kernels/conv_pool_tiles.h"

#include "kernels/gemm.h"
#include "simd/vec.h"

SN_BEGIN_TARGET

#if SN_POOLED_TILES

namespace {

// How a tile's two output rows lie in its vectors. Packed: rows of 24 (SimpleConvNet), 48 lanes
// in 3 vectors, x0 = row0[0..15], x1 = row0[16..23] row1[0..7], x2 = row1[8..23], the lanes of the
// GEMM's column panel over im2col. Rows: rows of 17–32 (LeNet's and DeepConvNet's 28), each in two
// vectors, the second masked to the row's end: x0, x1 the first row, x2, x3 the second.
enum class Layout { Packed, Rows };
template <Layout L>
constexpr int kVectors = L == Layout::Packed ? 3 : 4;

// One image as the tiles read it.
struct Image {
  const float* xp;       // padded: c planes of ph rows of pw floats
  const uint32_t* live;  // per padded row, whether it holds a non-zero (NaN and ±∞ count); null: all
  const float* wt;       // wᵀ, c·kh·kw × f
  const float* b;
  int64_t c, kh, kw, ph, pw, f, ow, pohw;
  __mmask16 rest;  // Rows: the lanes of a row's second vector inside the row
};

// The filter rows (channel ci, kernel row ki) of a row pair, by which of the pair's two input rows
// hold a non-zero: Rows bit 0 the first, bit 1 the second. A zero row's products are w·(±0) = ±0,
// which change no sum (an accumulator that starts at +0 never holds −0) when w is finite: about a
// fifth of MNIST's row pairs are zero in both, more in one. Every output is still the built-in
// GEMM's sum in its order (tap by tap from zero, then the bias): the same bits as
// conv_forward_image (whose AVX2 direct kernel skips zeros the same way).
//
// Filters a tile: 6 × 3 (or 6 × 4) accumulators, the image vectors and a broadcast fit the 32
// registers. The built-in GEMM's 10 × 3 tile keeps two accumulators on the stack, whose load, FMA
// and store each step chain the steps; over only 25 taps that cost more than the smaller tile's
// extra reloads of the image (5, 6 or 8 filters ran alike).
constexpr int kFilters = 6;

// The kw taps of one filter row, from the pair's first input row r0 and second r1 (tap kj reads
// from column kj on). A zero row leaves out the vectors only it fills.
template <Layout L, int MR, unsigned Rows>
__attribute__((always_inline)) inline void filter_row(__m512 (&acc)[MR][kVectors<L>], const float* r0, const float* r1,
                                                      const float* ap, int64_t f, int64_t kw, __mmask16 rest) {
  constexpr int NV = kVectors<L>;
  for (int64_t kj = 0; kj < kw; ++kj, ap += f) {
    __m512 bv[NV];
    bool used[NV];
    if constexpr (L == Layout::Packed) {
      used[0] = Rows & 1u, used[1] = true, used[2] = Rows & 2u;
      if (used[0]) bv[0] = _mm512_loadu_ps(r0 + kj);
      bv[1] = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(0x00FF, r0 + kj + 16), 0xFF00, r1 + kj - 8);
      if (used[2]) bv[2] = _mm512_loadu_ps(r1 + kj + 8);
    } else {
      used[0] = used[1] = Rows & 1u, used[2] = used[3] = Rows & 2u;
      if (used[0]) bv[0] = _mm512_loadu_ps(r0 + kj), bv[1] = _mm512_maskz_loadu_ps(rest, r0 + kj + 16);
      if (used[2]) bv[2] = _mm512_loadu_ps(r1 + kj), bv[3] = _mm512_maskz_loadu_ps(rest, r1 + kj + 16);
    }
    SN_UNROLL
    for (int r = 0; r < MR; ++r) {
      const __m512 a = _mm512_set1_ps(ap[r]);
      SN_UNROLL
      for (int v = 0; v < NV; ++v)
        if (used[v]) acc[r][v] = _mm512_fmadd_ps(a, bv[v], acc[r][v]);
    }
  }
}

// One pooled row pr (conv rows 2·pr and 2·pr + 1) of MR filters from f0. After the sums, the even
// and odd columns of each row come out of one two-source permute each.
template <Layout L, int MR, bool Argmax>
void pooled_tile(const Image& im, int64_t pr, int64_t f0, float* out, int32_t* argmax) {
  constexpr int NV = kVectors<L>;
  __m512 acc[MR][NV];
  SN_UNROLL
  for (int r = 0; r < MR; ++r)
    SN_UNROLL
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  const float* ap = im.wt + f0;
  for (int64_t ci = 0; ci < im.c; ++ci) {
    for (int64_t ki = 0; ki < im.kh; ++ki, ap += im.kw * im.f) {
      const int64_t row = ci * im.ph + 2 * pr + ki;
      const float* r0 = im.xp + row * im.pw;
      const unsigned rows = im.live ? im.live[row] | im.live[row + 1] << 1 : 3u;
      if (rows == 3u) filter_row<L, MR, 3u>(acc, r0, r0 + im.pw, ap, im.f, im.kw, im.rest);
      else if (rows == 1u) filter_row<L, MR, 1u>(acc, r0, r0 + im.pw, ap, im.f, im.kw, im.rest);
      else if (rows == 2u) filter_row<L, MR, 2u>(acc, r0, r0 + im.pw, ap, im.f, im.kw, im.rest);
    }
  }
  // Packed: row 0 is lanes 0–23 of (x0, x1), row 1 lanes 8–31 of (x1, x2). Rows: (x0, x1), (x2, x3).
  const __m512i even0 = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd0 = _mm512_add_epi32(even0, _mm512_set1_epi32(1));
  const __m512i even1 = L == Layout::Packed ? _mm512_add_epi32(even0, _mm512_set1_epi32(8)) : even0;
  const __m512i odd1 = _mm512_add_epi32(even1, _mm512_set1_epi32(1));
  const int64_t pow = im.ow / 2;
  const __mmask16 lanes = __mmask16((1u << pow) - 1u);
  const int64_t at_out = f0 * im.pohw + pr * pow;
  SN_UNROLL
  for (int r = 0; r < MR; ++r) {
    const __m512 bias = _mm512_set1_ps(im.b[f0 + r]);
    __m512 x[NV];
    SN_UNROLL
    for (int v = 0; v < NV; ++v) x[v] = _mm512_add_ps(acc[r][v], bias);
    const __m512 s0 = x[0], s1 = x[1], t0 = L == Layout::Packed ? x[1] : x[2], t1 = x[NV - 1];
    const __m512 v0 = _mm512_permutex2var_ps(s0, even0, s1), v1 = _mm512_permutex2var_ps(s0, odd0, s1);
    const __m512 v2 = _mm512_permutex2var_ps(t0, even1, t1), v3 = _mm512_permutex2var_ps(t0, odd1, t1);
    // pool_plane's chain: strict >, the first maximum wins; vmax(b, a) = b > a ? b : a.
    const __m512 m1 = vmax(v1, v0), m2 = vmax(v2, m1), best = vmax(v3, m2);
    _mm512_mask_storeu_ps(out + at_out + r * im.pohw, lanes, vmax(best, _mm512_setzero_ps()));
    if (Argmax) {
      const __mmask16 k1 = _mm512_cmp_ps_mask(v1, v0, _CMP_GT_OQ), k2 = _mm512_cmp_ps_mask(v2, m1, _CMP_GT_OQ),
                      k3 = _mm512_cmp_ps_mask(v3, m2, _CMP_GT_OQ);
      __m512i at = _mm512_maskz_mov_epi32(k1, _mm512_set1_epi32(1));
      at = _mm512_mask_mov_epi32(at, k2, _mm512_set1_epi32(int32_t(im.ow)));
      at = _mm512_mask_mov_epi32(at, k3, _mm512_set1_epi32(int32_t(im.ow + 1)));
      // cell = 2·pr·ow + 2·lane + the offset within the window
      at = _mm512_add_epi32(at, _mm512_add_epi32(even0, _mm512_set1_epi32(int32_t(2 * pr * im.ow))));
      _mm512_mask_storeu_epi32(argmax + at_out + r * im.pohw, lanes, at);
    }
  }
}

// The last tile, of mr < kFilters filters.
template <Layout L, bool Argmax, int MR = kFilters - 1>
void pooled_tail(int mr, const Image& im, int64_t pr, int64_t f0, float* out, int32_t* argmax) {
  if constexpr (MR >= 1) {
    if (mr == MR) return pooled_tile<L, MR, Argmax>(im, pr, f0, out, argmax);
    pooled_tail<L, Argmax, MR - 1>(mr, im, pr, f0, out, argmax);
  }
}

template <Layout L, bool Argmax>
void pooled_rows(const Image& im, int64_t pooled_rows, float* out_n, int32_t* argmax_n) {
  // Row pair outer, filters inner: the pair's input rows stay in L1 for every filter tile.
  for (int64_t pr = 0; pr < pooled_rows; ++pr) {
    int64_t f0 = 0;
    for (; f0 + kFilters <= im.f; f0 += kFilters) pooled_tile<L, kFilters, Argmax>(im, pr, f0, out_n, argmax_n);
    if (f0 < im.f) pooled_tail<L, Argmax>(int(im.f - f0), im, pr, f0, out_n, argmax_n);
  }
}

}  // namespace

bool pooled_tiles_fit(const ConvGeom& g, const PoolGeom& p) {
  return g.stride == 1 && g.ow % 2 == 0 && g.ow > W && g.ow <= 2 * W && g.oh % 2 == 0 && p.ph == 2 && p.pw == 2 &&
         p.stride == 2 && p.pad == 0 && p.h == g.oh && p.w == g.ow && p.oh == g.oh / 2 && p.ow == g.ow / 2 &&
         g.ckk() <= sgemm_pass_depth();
}

void conv_relu_pool_tiles(const float* xp, const uint32_t* live, const float* wt, const float* b, const ConvGeom& g,
                          float* out_n, int32_t* argmax_n) {
  const int64_t pw = g.w + 2 * g.pad, ph = g.h + 2 * g.pad, pohw = (g.oh / 2) * (g.ow / 2);
  const Image im{xp, live, wt, b, g.c, g.kh, g.kw, ph, pw, g.f, g.ow, pohw, __mmask16((1u << (g.ow - W)) - 1u)};
  const bool packed = g.ow == 24;
  if (argmax_n) {
    if (packed) pooled_rows<Layout::Packed, true>(im, g.oh / 2, out_n, argmax_n);
    else pooled_rows<Layout::Rows, true>(im, g.oh / 2, out_n, argmax_n);
  } else {
    if (packed) pooled_rows<Layout::Packed, false>(im, g.oh / 2, out_n, nullptr);
    else pooled_rows<Layout::Rows, false>(im, g.oh / 2, out_n, nullptr);
  }
}


#endif

SN_END_TARGET
