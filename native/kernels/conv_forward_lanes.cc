#include "kernels/conv_forward_lanes.h"

#include <algorithm>
#include <utility>

#include "kernels/gemm.h"
#include "kernels/gemm_choice.h"
#include "simd/vec.h"

SN_BEGIN_TARGET

#if SN_FORWARD_LANES
namespace {

// outᵀ = colᵀ · wᵀ as the transposed GEMM computes it (positions as rows, filters in the lanes),
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
// AVX-512: panels of 32 filters (two vectors) × 12 positions, or of 16 (one vector, where 32 does
// not divide the filters: LeNet's second layer, DeepConvNet's first two) × up to 28 — a whole
// 28-wide row, one panel load per 28 FMAs (30 of the 32 registers; with 14 a tile, DeepConvNet's
// inference took ×1.02 longer, Zen 5, 2 threads); the same sums in the same order as its GEMM,
// so the same bits too.
#if defined(SN_TARGET_AVX512)
constexpr int kRowsFor[3] = {0, 28, 12};  // positions a tile, by vectors of filters
constexpr int kMinVectors = 1;
#else
constexpr int kRowsFor[3] = {0, 0, 6};
constexpr int kMinVectors = 2;
#endif

// The tile's sums s[r] (the filters of position r) into out_n's layout: filter j's R positions
// are out_n[j·ohw + 0..R), contiguous (out_n is (f, oh·ow)), so each 8 × 8 block (rows R..7
// unused) is turned in registers and its rows stored R lanes wide — no outᵀ and no transpose pass
// over it, which cost 8–9% of DeepConvNet's inference on AVX2 (its stores spilled).
// AVX2: 16 filters of position r in two vectors.
#if defined(SN_TARGET_AVX2)
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
#else
// AVX-512: each accumulator is 16 filters, turned as two 8-filter halves in 8 × 8 blocks of
// positions (a tile's 12 or 14 positions: a block of 8 and one of 4 or 6, stored masked).
template <int R, int NV>
__attribute__((always_inline)) inline void store_positions_by_filter(const V (&s)[R][NV], float* on, int64_t ohw) {
  constexpr int kBlocks = (R + 7) / 8, kLast = R % 8 == 0 ? 8 : R % 8;
  SN_UNROLL
  for (int pb = 0; pb < kBlocks; ++pb) {
    const int rows = pb == kBlocks - 1 ? kLast : 8;
    SN_UNROLL
    for (int h = 0; h < 2 * NV; ++h) {
      __m256 r[8];
      SN_UNROLL
      for (int q = 0; q < 8; ++q) {
        const V x = s[pb * 8 + q < R ? pb * 8 + q : 0][h / 2];
        // The zero-masked extracts: the plain forms' undefined operand makes GCC 12 warn.
        r[q] = q >= rows ? _mm256_setzero_ps() : _mm512_maskz_extractf32x8_ps(0xFF, x, h % 2);
      }
      __m256 o[8];
      transpose_8x8(r, o);
      SN_UNROLL
      for (int j = 0; j < 8; ++j) {
        float* d = on + (h * 8 + j) * ohw + pb * 8;
        if (rows == 8) _mm256_storeu_ps(d, o[j]);
        else _mm256_mask_storeu_ps(d, __mmask8((1u << rows) - 1u), o[j]);
      }
    }
  }
}
#endif

// R positions from (oi, oj) on (R ≤ kRowsFor[NV]; fewer only at the image's end), NV·W filters.
// Direct (the last pass): the sums go straight into out_n at on (its column of the tile's
// first position) instead of into outᵀ, which then needs no transpose.
// kInRow (AVX-512): a tile never leaves its output row, so its positions are one pointer and
// constant offsets; AVX-512's 12- and 14-position tiles across row ends kept a pointer a position,
// more than the 16 general registers hold (with tiles within rows: inference LeNet5 ×0.971,
// DeepConvNet ×0.949, Xeon, 2 threads).
#if defined(SN_TARGET_AVX512)
constexpr bool kInRow = true;
#else
constexpr bool kInRow = false;
#endif

// acc[r] += Σ over the taps of the tap's panel row (NV vectors of filters, bp on) times position
// r's input at the tap's offset, at(r, off[t]): the taps in order, one FMA chain per accumulator.
template <int NV, int R, typename At>
__attribute__((always_inline)) inline void lane_sums(V (&acc)[R][NV], const int32_t* off, int64_t taps, const float* bp,
                                                     At at) {
  for (int64_t t = 0; t < taps; ++t, bp += NV * W) {
    const int64_t o = off[t];
    V bv[NV];
    SN_UNROLL
    for (int v = 0; v < NV; ++v) bv[v] = vload(bp + v * W);
    SN_UNROLL
    for (int r = 0; r < R; ++r) {
      const V ar = vset1(at(r, o));
      SN_UNROLL
      for (int v = 0; v < NV; ++v) acc[r][v] = vfma(ar, bv[v], acc[r][v]);
    }
  }
}

template <int NV, int R, bool First, bool Direct>
void tile(const float* xp, int64_t oi, int64_t oj, int64_t ow, int64_t pw, const int32_t* off, int64_t taps,
          const float* bp, const float* bias, float* ot, int64_t ldo, float* on, int64_t ohw) {
  const float* x0 = xp + oi * pw + oj;
  const float* rows[kInRow ? 1 : R];
  V acc[R][NV];
  SN_UNROLL
  for (int r = 0; r < R; ++r) {
    if constexpr (!kInRow) {
      rows[r] = xp + oi * pw + oj;
      if (++oj == ow) oj = 0, ++oi;
    }
    SN_UNROLL
    for (int v = 0; v < NV; ++v) acc[r][v] = vzero();
  }
  (void)rows;
  (void)ow;
  lane_sums<NV, R>(acc, off, taps, bp, [&](int r, int64_t o) {
    if constexpr (kInRow) return x0[o + r];
    else return rows[r][o];
  });
  SN_UNROLL
  for (int r = 0; r < R; ++r) {
    float* o = ot + r * ldo;
    SN_UNROLL
    for (int v = 0; v < NV; ++v) {
      acc[r][v] = vadd(acc[r][v], First ? vload(bias + v * W) : vload(o + v * W));
      if (!Direct) vstore(o + v * W, acc[r][v]);
    }
  }
#if defined(SN_TARGET_AVX2)
  if constexpr (Direct) store_positions_by_filter<R>(acc, on, ohw);
#else
  if constexpr (Direct) store_positions_by_filter<R, NV>(acc, on, ohw);
#endif
}

using TileFn = void (*)(const float*, int64_t, int64_t, int64_t, int64_t, const int32_t*, int64_t, const float*,
                        const float*, float*, int64_t, float*, int64_t);

template <int NV, bool First, bool Direct, int... R>
constexpr TileFn tile_table(int rows, std::integer_sequence<int, R...>) {
  constexpr TileFn fns[] = {tile<NV, R + 1, First, Direct>...};
  return fns[rows - 1];
}

// tile<nv, rows, first, direct> (rows ≤ kRowsFor[nv])
template <int NV>
TileFn tile_for(int rows, bool first, bool direct) {
  constexpr auto seq = std::make_integer_sequence<int, (kRowsFor[NV] > 0 ? kRowsFor[NV] : 1)>{};
  if (direct) return first ? tile_table<NV, true, true>(rows, seq) : tile_table<NV, false, true>(rows, seq);
  return first ? tile_table<NV, true, false>(rows, seq) : tile_table<NV, false, false>(rows, seq);
}

// The width of each of a row's tiles when the row is cut into as few tiles of at most `most`
// columns as it takes, all of one width (a 28-wide row with 24 at most: 14 + 14, not 24 + 4) but
// the last; even, when `even` (2 × 2 pooling: a 16-wide pair with 6 at most, 6 + 6 + 4).
int64_t equal_tile_width(int64_t ow, int64_t most, bool even) {
  const int64_t per_row = (ow + most - 1) / most;
  const int64_t width = (ow + per_row - 1) / per_row;
  return even ? width + width % 2 : width;
}

// Filters a panel: the widest that divides f.
int panel_vectors(const ConvGeom& g) {
  for (int nv = 2; nv >= kMinVectors; --nv)
    if (g.f % (nv * W) == 0) return nv;
  return 0;
}

#if defined(SN_TARGET_AVX512)
// A tile of two output rows × C columns (C even) from (oi, oj), oi even: its 2C positions are
// r < C at x0 + r and r ≥ C at x0 + pw + r − C. Passes before the last store their sums into outᵀ
// as tile() does. The last one pools each 2 × 2 window across four accumulators (pool_plane's
// chain: strict >, the first maximum wins; max_ps(b, a) = b > a ? b : a), applies the Relu and
// stores the C/2 windows of each filter into po (the pooled planes, pohw apart) and, with Argmax,
// the winners' cells in the convolution's plane into pa, both turned filter by filter in
// registers as store_positions_by_filter does. The sums are tile()'s: the same bits.
template <int NV, int C, bool First, bool Direct, bool Argmax>
void pooled_tile(const float* xp, int64_t oi, int64_t oj, int64_t ow, int64_t pw, const int32_t* off, int64_t taps,
                 const float* bp, const float* bias, float* ot, int64_t ldo, float* po, int32_t* pa, int64_t pohw) {
  constexpr int R = 2 * C;
  const float* x0 = xp + oi * pw + oj;
  const float* x1 = x0 + pw;
  V acc[R][NV];
  SN_UNROLL
  for (int r = 0; r < R; ++r)
    SN_UNROLL
    for (int v = 0; v < NV; ++v) acc[r][v] = vzero();
  lane_sums<NV, R>(acc, off, taps, bp, [&](int r, int64_t o) { return r < C ? x0[o + r] : x1[o + r - C]; });
  float* o0 = ot + (oi * ow + oj) * ldo;
  SN_UNROLL
  for (int r = 0; r < R; ++r) {
    float* o = r < C ? o0 + r * ldo : o0 + (ow + r - C) * ldo;
    SN_UNROLL
    for (int v = 0; v < NV; ++v) {
      acc[r][v] = vadd(acc[r][v], First ? vload(bias + v * W) : vload(o + v * W));
      if (!Direct) vstore(o + v * W, acc[r][v]);
    }
  }
  if constexpr (Direct) {
    V best[C / 2][NV], at[C / 2][NV];
    SN_UNROLL
    for (int j = 0; j < C / 2; ++j) {
      SN_UNROLL
      for (int v = 0; v < NV; ++v) {
        const V v0 = acc[2 * j][v], v1 = acc[2 * j + 1][v], v2 = acc[C + 2 * j][v], v3 = acc[C + 2 * j + 1][v];
        const V m1 = vmax(v1, v0), m2 = vmax(v2, m1);
        best[j][v] = vmax(vmax(v3, m2), vzero());
        if (Argmax) {
          const __mmask16 k1 = _mm512_cmp_ps_mask(v1, v0, _CMP_GT_OQ), k2 = _mm512_cmp_ps_mask(v2, m1, _CMP_GT_OQ),
                          k3 = _mm512_cmp_ps_mask(v3, m2, _CMP_GT_OQ);
          // the window's top-left cell, then + 1, + ow or + ow + 1
          const int32_t cell = int32_t(oi * ow + oj + 2 * j);
          __m512i a = _mm512_mask_mov_epi32(_mm512_set1_epi32(cell), k1, _mm512_set1_epi32(cell + 1));
          a = _mm512_mask_mov_epi32(a, k2, _mm512_set1_epi32(cell + int32_t(ow)));
          a = _mm512_mask_mov_epi32(a, k3, _mm512_set1_epi32(cell + int32_t(ow) + 1));
          at[j][v] = _mm512_castsi512_ps(a);
        }
      }
    }
    store_positions_by_filter<C / 2, NV>(best, po, pohw);
    if (Argmax) store_positions_by_filter<C / 2, NV>(at, reinterpret_cast<float*>(pa), pohw);
  }
}

using PooledTileFn = void (*)(const float*, int64_t, int64_t, int64_t, int64_t, const int32_t*, int64_t, const float*,
                              const float*, float*, int64_t, float*, int32_t*, int64_t);

// Columns a pooled tile: up to half of kRowsFor[NV], even.
template <int NV>
constexpr int kPooledColumns = (kRowsFor[NV] / 2) & ~1;

template <int NV, bool First, bool Direct, bool Argmax, int... K>
constexpr PooledTileFn pooled_tile_table(int columns, std::integer_sequence<int, K...>) {
  constexpr PooledTileFn fns[] = {pooled_tile<NV, 2 * (K + 1), First, Direct, Argmax>...};
  return fns[columns / 2 - 1];
}

// pooled_tile<nv, columns, first, direct, argmax> (columns even, ≤ kPooledColumns<nv>)
template <int NV>
PooledTileFn pooled_tile_for(int columns, bool first, bool direct, bool argmax) {
  constexpr auto seq = std::make_integer_sequence<int, kPooledColumns<NV> / 2>{};
  if (!direct) {
    return first ? pooled_tile_table<NV, true, false, false>(columns, seq)
                 : pooled_tile_table<NV, false, false, false>(columns, seq);
  }
  if (argmax) {
    return first ? pooled_tile_table<NV, true, true, true>(columns, seq)
                 : pooled_tile_table<NV, false, true, true>(columns, seq);
  }
  return first ? pooled_tile_table<NV, true, true, false>(columns, seq)
               : pooled_tile_table<NV, false, true, false>(columns, seq);
}
#endif

}  // namespace

bool conv_forward_lanes_fits(const ConvGeom& g) {
  // The built-in GEMM in use (whose bits this gives), and on AVX2 its panels are this kernel's.
  if (g.stride != 1 || gemm_impl() != GemmImpl::Builtin || panel_vectors(g) == 0) return false;
#if defined(SN_TARGET_AVX2)
  return sgemm_panel_columns() == 2 * W;
#else
  return true;
#endif
}

#if defined(SN_TARGET_AVX512)
bool conv_relu_pool_lanes_fits(const ConvGeom& g, const PoolGeom& p) {
  return conv_forward_lanes_fits(g) && g.oh % 2 == 0 && g.ow % 2 == 0 && p.ph == 2 && p.pw == 2 && p.stride == 2 &&
         p.pad == 0 && p.h == g.oh && p.w == g.ow && p.oh == g.oh / 2 && p.ow == g.ow / 2;
}

void conv_relu_pool_lanes(const float* xp, const float* panels, const int32_t* tap_offsets, const float* b,
                          const ConvGeom& g, float* out_t, float* out_n, int32_t* argmax_n) {
  const int nv = panel_vectors(g);
  const int64_t L = nv * W, most = nv == 2 ? kPooledColumns<2> : kPooledColumns<1>;
  const int64_t ckk = g.ckk(), pw = g.w + 2 * g.pad, pass = sgemm_pass_depth();
  const int64_t pow = g.ow / 2, pohw = (g.oh / 2) * pow;
  const int64_t width = equal_tile_width(g.ow, most, true);
  for (int64_t p0 = 0; p0 < ckk; p0 += pass) {
    const int64_t taps = std::min(pass, ckk - p0);
    const bool first = p0 == 0, direct = p0 + taps == ckk;
    for (int64_t f0 = 0; f0 < g.f; f0 += L) {
      const float* bp = panels + (f0 / L * ckk + p0) * L;
      for (int64_t oi = 0; oi < g.oh; oi += 2)
        for (int64_t oj = 0; oj < g.ow; oj += width) {
          const int columns = int(std::min<int64_t>(width, g.ow - oj));
          const PooledTileFn fn = nv == 2 ? pooled_tile_for<2>(columns, first, direct, argmax_n != nullptr)
                                          : pooled_tile_for<1>(columns, first, direct, argmax_n != nullptr);
          const int64_t q = (oi / 2) * pow + oj / 2;
          fn(xp, oi, oj, g.ow, pw, tap_offsets + p0, taps, bp, b + f0, out_t + f0, g.f, out_n + f0 * pohw + q,
             argmax_n ? argmax_n + f0 * pohw + q : nullptr, pohw);
        }
    }
  }
}
#endif

int64_t conv_forward_lanes_panel_floats(const ConvGeom& g) { return g.ckk() * g.f; }

void conv_forward_lanes_pack(const float* wt, const ConvGeom& g, float* panels) {
  const int64_t L = panel_vectors(g) * W, ckk = g.ckk();
  for (int64_t f0 = 0; f0 < g.f; f0 += L)
    for (int64_t t = 0; t < ckk; ++t)
      for (int64_t j = 0; j < L; ++j) panels[(f0 * ckk) + t * L + j] = wt[t * g.f + f0 + j];
}

void conv_tap_offsets(const ConvGeom& g, int32_t* tap_offsets) {
  const int64_t pw = g.w + 2 * g.pad, ph = g.h + 2 * g.pad;
  for (int64_t ci = 0, t = 0; ci < g.c; ++ci)
    for (int64_t ki = 0; ki < g.kh; ++ki)
      for (int64_t kj = 0; kj < g.kw; ++kj, ++t) tap_offsets[t] = int32_t(ci * ph * pw + ki * pw + kj);
}

void conv_forward_lanes(const float* xp, const float* panels, const int32_t* tap_offsets, const float* b,
                        const ConvGeom& g, float* out_t, float* out_n) {
  const int nv = panel_vectors(g);
  const int64_t L = nv * W, rows_max = kRowsFor[nv];
  const int64_t ckk = g.ckk(), ohw = g.ohw(), pw = g.w + 2 * g.pad, pass = sgemm_pass_depth();
  for (int64_t p0 = 0; p0 < ckk; p0 += pass) {
    const int64_t taps = std::min(pass, ckk - p0);
    const bool first = p0 == 0, direct = p0 + taps == ckk;
    for (int64_t f0 = 0; f0 < g.f; f0 += L) {
      const float* bp = panels + (f0 / L * ckk + p0) * L;
      if constexpr (kInRow) {
        const int64_t width = equal_tile_width(g.ow, rows_max, false);
        for (int64_t oi = 0; oi < g.oh; ++oi)
          for (int64_t oj = 0; oj < g.ow; oj += width) {
            const int rows = int(std::min<int64_t>(width, g.ow - oj));
            const int64_t q = oi * g.ow + oj;
            const TileFn fn = nv == 2 ? tile_for<2>(rows, first, direct) : tile_for<kMinVectors>(rows, first, direct);
            fn(xp, oi, oj, g.ow, pw, tap_offsets + p0, taps, bp, b + f0, out_t + q * g.f + f0, g.f,
               out_n + f0 * ohw + q, ohw);
          }
        continue;
      }
      for (int64_t q = 0, oi = 0, oj = 0; q < ohw; q += rows_max) {
        const int rows = int(std::min<int64_t>(rows_max, ohw - q));
        const TileFn fn = nv == 2 ? tile_for<2>(rows, first, direct) : tile_for<kMinVectors>(rows, first, direct);
        fn(xp, oi, oj, g.ow, pw, tap_offsets + p0, taps, bp, b + f0, out_t + q * g.f + f0, g.f, out_n + f0 * ohw + q,
           ohw);
        for (oj += rows_max; oj >= g.ow;) oj -= g.ow, ++oi;
      }
    }
  }
}
#endif

SN_END_TARGET
