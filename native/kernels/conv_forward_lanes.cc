#include "kernels/conv_forward_lanes.h"

#include <algorithm>

#include "kernels/gemm.h"
#include "kernels/gemm_choice.h"
#include "simd/vec.h"

SN_BEGIN_TARGET

#if defined(SN_TARGET_AVX2)
namespace {

// outᵀ = colᵀ · wᵀ as the transposed GEMM computes it (positions as rows, 16 filters a panel),
// colᵀ's rows read from the padded image instead of from im2col: tap t of output position
// (oi, oj) is xp[tap_offsets[t] + oi·pw + oj], one pointer a position (its tile may span two
// output rows) and the tap's offset shared by all. The GEMM's 6 × 16 register tile: 12
// accumulators, both panel vectors and the broadcast in registers (measured alone at 93 GFLOP/s
// of this Zen 3's 97; a 7-row tile, which 7-, 14- and 28-wide rows divide, has to read one panel
// vector from memory in every FMA and ran at 52–75). Every output is the built-in GEMM's sum:
// taps in order from 0 in passes of sgemm_pass_depth(), each pass from 0 and then added to the
// bias (the first) or to the sums so far — the same bits. Against im2col + the GEMM (one thread,
// Zen 3, conv + relu [+ pool] in inference): DeepConvNet's layers ×0.97 (1 channel), ×0.81, ×0.89,
// ×0.90, ×0.83, ×0.81; LeNet5's second ×0.57–0.61, whose im2col of 150 taps for 100 positions
// cost as much as the multiply-adds.
constexpr int kTileRows = 6;
constexpr int kPanel = 2 * W;

// The tile's sums s[r] (16 filters of position r, two vectors) into out_n's layout: filter j's
// R positions are out_n[j·ohw + 0..R), contiguous (out_n is (f, oh·ow)), so each 8 × 8 block
// (rows R..7 unused) is turned in registers and its rows stored R lanes wide — no outᵀ and no
// transpose pass over it, which cost 8–9% of DeepConvNet's inference (its stores spilled).
template <int R>
__attribute__((always_inline)) inline void store_positions_by_filter(const V (&s)[R][2], float* on, int64_t ohw) {
  SN_UNROLL
  for (int h = 0; h < 2; ++h) {
    __m256 r[8];
    SN_UNROLL
    for (int q = 0; q < 8; ++q) r[q] = q < R ? s[q < R ? q : 0][h] : _mm256_setzero_ps();
    __m256 o[8];
    transpose_8x8(r, o);
    SN_UNROLL
    for (int j = 0; j < 8; ++j) {
      const __m256 row = o[j];  // filter h·8 + j's positions 0–7
      float* d = on + (h * 8 + j) * ohw;
      const __m128 lo = _mm256_castps256_ps128(row);
      if (R >= 4) {
        _mm_storeu_ps(d, lo);
        const __m128 hi = _mm256_extractf128_ps(row, 1);
        if (R >= 6) _mm_storel_pi(reinterpret_cast<__m64*>(d + 4), hi);
        else if (R == 5) _mm_store_ss(d + 4, hi);
      } else {
        alignas(16) float t[4];
        _mm_store_ps(t, lo);
        SN_UNROLL
        for (int q = 0; q < R; ++q) d[q] = t[q];
      }
    }
  }
}

// R positions from (oi, oj) on (R ≤ kTileRows; fewer only at the image's end). Direct (the last
// pass): the sums go straight into out_n at on (its column of the tile's first position) instead
// of into outᵀ, which then needs no transpose.
template <int R, bool First, bool Direct>
void tile(const float* xp, int64_t oi, int64_t oj, int64_t ow, int64_t pw, const int32_t* off, int64_t taps,
          const float* bp, const float* bias, float* ot, int64_t ldo, float* on, int64_t ohw) {
  const float* rows[R];
  V acc[R][2];
  SN_UNROLL
  for (int r = 0; r < R; ++r) {
    rows[r] = xp + oi * pw + oj;
    if (++oj == ow) oj = 0, ++oi;
    acc[r][0] = acc[r][1] = vzero();
  }
  for (int64_t t = 0; t < taps; ++t, bp += kPanel) {
    const int64_t o = off[t];
    const V b0 = vload(bp), b1 = vload(bp + W);
    SN_UNROLL
    for (int r = 0; r < R; ++r) {
      const V ar = vset1(rows[r][o]);
      acc[r][0] = vfma(ar, b0, acc[r][0]);
      acc[r][1] = vfma(ar, b1, acc[r][1]);
    }
  }
  SN_UNROLL
  for (int r = 0; r < R; ++r) {
    float* o = ot + r * ldo;
    acc[r][0] = vadd(acc[r][0], First ? vload(bias) : vload(o));
    acc[r][1] = vadd(acc[r][1], First ? vload(bias + W) : vload(o + W));
    if (!Direct) vstore(o, acc[r][0]), vstore(o + W, acc[r][1]);
  }
  if (Direct) store_positions_by_filter<R>(acc, on, ohw);
}

using TileFn = decltype(&tile<1, true, true>);
template <bool First, bool Direct>
constexpr TileFn kTilesOf[kTileRows] = {tile<1, First, Direct>, tile<2, First, Direct>, tile<3, First, Direct>,
                                        tile<4, First, Direct>, tile<5, First, Direct>, tile<6, First, Direct>};
// [first pass][last pass][rows − 1]
constexpr const TileFn* kTiles[2][2] = {{kTilesOf<false, false>, kTilesOf<false, true>},
                                        {kTilesOf<true, false>, kTilesOf<true, true>}};

}  // namespace

bool conv_forward_lanes_fits(const ConvGeom& g) {
  return g.stride == 1 && g.f % kPanel == 0 && gemm_impl() == GemmImpl::Builtin && sgemm_panel_columns() == kPanel;
}

void conv_tap_offsets(const ConvGeom& g, int32_t* tap_offsets) {
  const int64_t pw = g.w + 2 * g.pad, ph = g.h + 2 * g.pad;
  for (int64_t ci = 0, t = 0; ci < g.c; ++ci)
    for (int64_t ki = 0; ki < g.kh; ++ki)
      for (int64_t kj = 0; kj < g.kw; ++kj, ++t) tap_offsets[t] = int32_t(ci * ph * pw + ki * pw + kj);
}

void conv_forward_lanes(const float* xp, const float* wt_panels, const int32_t* tap_offsets, const float* b,
                        const ConvGeom& g, float* out_t, float* out_n) {
  const int64_t ckk = g.ckk(), ohw = g.ohw(), pw = g.w + 2 * g.pad, pass = sgemm_pass_depth();
  for (int64_t p0 = 0; p0 < ckk; p0 += pass) {
    const int64_t taps = std::min(pass, ckk - p0);
    for (int64_t f0 = 0; f0 < g.f; f0 += kPanel) {
      const float* bp = wt_panels + (f0 / kPanel * ckk + p0) * kPanel;
      for (int64_t q = 0, oi = 0, oj = 0; q < ohw; q += kTileRows) {
        const int64_t rows = std::min<int64_t>(kTileRows, ohw - q);
        kTiles[p0 == 0][p0 + taps == ckk][rows - 1](xp, oi, oj, g.ow, pw, tap_offsets + p0, taps, bp, b + f0,
                                                     out_t + q * g.f + f0, g.f, out_n + f0 * ohw + q, ohw);
        for (oj += kTileRows; oj >= g.ow;) oj -= g.ow, ++oi;
      }
    }
  }
}
#endif

SN_END_TARGET
