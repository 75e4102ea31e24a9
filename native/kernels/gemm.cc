#include "kernels/gemm.h"

#include "blas/openblas.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "kernels/gemm_choice.h"
#include "kernels/scratch.h"
#include "simd/vec.h"

SN_BEGIN_TARGET

namespace {

#if defined(SN_TARGET_AVX512)
// 10 rows × 3 vectors = 30 accumulators. With the 3 B vectors and the broadcast that makes 34 of
// the 32 zmm registers: GCC keeps two accumulators on the stack (a load, FMA and store a step).
// 9 rows, which fit, ran Affine's forward no faster (130 against 135 GFLOP/s on one Zen 5 core),
// and 10 rows divide the networks' 100-image batches and 30 filters.
constexpr int kMR = 10, kNV = 3;
#elif defined(SN_TARGET_AVX2)
// 6 × 2 = 12 accumulators + 2 B vectors + 1 broadcast of the 16 ymm registers (BLIS's Haswell
// and Zen tile).
constexpr int kMR = 6, kNV = 2;
#else
// 4 × 3 = 12 accumulators + 3 B vectors of the 16 xmm (SSE2) or 32 (NEON) registers.
constexpr int kMR = 4, kNV = 3;
#endif

constexpr int kNR = kNV * W;  // columns per register tile
// Depth of one pass: a kKC × kNR slice of B (48 KB at most) is re-read by every row tile of the
// block from L1/L2, and C is reloaded once per pass.
constexpr int64_t kKC = 256;
// Rows of A per block (kMC × kKC floats, 240 KB, stays in L2 while every column panel reads it).
constexpr int64_t kMC = 240;

thread_local Scratch t_bpack;
thread_local Scratch t_apack;

// Aᵀ is packed when its block is bigger than L1 (Affine's weight gradient: xᵀ with x 100 × 4320
// a batch). Read in place, each step p of a row tile broadcasts from a different row of x,
// 17 KB apart: a new cache line for every step, from L2 at best (packed, that GEMM takes ×0.95
// the time, one thread, Zen 3). A small Aᵀ (a convolution's weights, a few KB) stays in L1 and is
// read in place.
constexpr int64_t kPackAFloats = 8192;
inline bool packs_at(int64_t n, int64_t kc, int64_t lda) { return kc * lda > kPackAFloats && n > kNR; }
// A packed row tile: kc steps of kMR floats, then room for the whole vector that the last step's
// copy stores (each step is copied as one vector of W lanes, kMR of them kept).
inline int64_t apack_tile_stride(int64_t kc) { return kc * kMR + (W > kMR ? W - kMR : 0); }

// ap = the row tiles of the block Aᵀ(i, p) = a[p·lda + i], i < mc, p < kc: tile t holds, step by
// step, the kMR values a[p·lda + t·kMR + r] (r < kMR; rows past mc are whatever the copy read,
// and the micro-kernel never stores their results).
void pack_at(const float* a, int64_t lda, int64_t mc, int64_t kc, float* ap) {
  const int64_t tiles = (mc + kMR - 1) / kMR;
  const int64_t stride = apack_tile_stride(kc);
  for (int64_t p = 0; p < kc; ++p) {
    const float* src = a + p * lda;
    float* dst = ap + p * kMR;
    int64_t t = 0;
    // Whole vectors while the source row has W floats from the tile's first: steps go in
    // increasing p, so the W − kMR extra lanes a step stores are overwritten by the next step.
    for (; t < tiles && t * kMR + W <= mc; ++t) vstore(dst + t * stride, vload(src + t * kMR));
    for (; t < tiles; ++t) {
      const int64_t left = std::min<int64_t>(kMR, mc - t * kMR);
      for (int64_t r = 0; r < left; ++r) dst[t * stride + r] = src[t * kMR + r];
    }
  }
}

// A row-major B is read in place by a block of mc rows of C when there are too few row tiles to
// repay a copy, or when B's rows already are a panel's rows; otherwise each panel is copied.
inline bool reads_b_in_place(int64_t mc, int64_t ldb) { return mc <= 3 * kMR || ldb <= kNR; }

// ap = the row tiles of the block A(i, p) = a[i·lda + p] (row-major), in pack_at's layout. With
// AVX2, eight steps of a tile at a time: its six rows' next eight values (and two rows of zeros)
// transposed through registers, each step stored as one vector of which six lanes are kept.
void pack_a_rows(const float* a, int64_t lda, int64_t mc, int64_t kc, float* ap) {
  const int64_t tiles = (mc + kMR - 1) / kMR;
  const int64_t stride = apack_tile_stride(kc);
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t rows = std::min<int64_t>(kMR, mc - t * kMR);
    const float* src = a + t * kMR * lda;
    float* dst = ap + t * stride;
    int64_t p = 0;
#if defined(SN_TARGET_AVX2)
    if (rows == kMR) {
      for (; p + 8 <= kc; p += 8) {
        __m256 r[8];
        for (int q = 0; q < kMR; ++q) r[q] = _mm256_loadu_ps(src + q * lda + p);
        for (int q = kMR; q < 8; ++q) r[q] = _mm256_setzero_ps();
        // step p + j is column j of the 8 × 8 block: lanes 0–5 its six rows
        store_transposed_8x8(r, dst + p * kMR, kMR);
      }
    }
#endif
    for (; p < kc; ++p)
      for (int64_t r = 0; r < rows; ++r) dst[p * kMR + r] = src[r * lda + p];
  }
}

// ---- the GEMM micro-kernel ------------------------------------------------------------------

// C(MR × nr) = A(MR × kc) · B(kc × nr) [+ C] [+ bias], nr ≤ NV·W (the last vector is masked by
// `last`). A(r, p) = a[r·a_rs + p·a_cs], read in place: Aᵀ (a_rs = 1, a_cs = lda) or a row-major
// A (a_rs = lda, a_cs = 1) whose MR rows stream side by side; each broadcast comes straight from
// memory, so A needs no packing (the scalar transposing copy cost a fifth of Affine's forward;
// see kPackRowsMinN for when a vector copy pays).
// B(p, j) = b[p·ldb + j] (in place or packed).
// Full says whether the last of the NV vectors is whole (nr = NV·W): the edge form loads it
// masked and stores it piecewise, and the whole form never pays for either.
// UnitRows: a_rs = 1 (Aᵀ read in place, or packed), so a step's MR values are adjacent and one
// pointer walks them all instead of one per row. Used by micro_tiles below, whose loop otherwise
// kept those pointers on the stack (35 stack accesses instead of 151 in the 6×16 run: the
// convolutions' input gradients ×0.95–0.96 more, one thread, Zen 3); the one-tile function keeps
// its registers either way and showed no difference.
template <int MR, int NV, bool Full, bool UnitRows = false>
__attribute__((always_inline)) inline void tile_body(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs,
                                                     const float* b, int64_t ldb, int64_t last_n, float* c,
                                                     int64_t ldc, bool add_c, const float* row_bias,
                                                     const float* col_bias) {
  const Mask last = tail_mask(last_n);
  const float* arow[MR];
  SN_UNROLL
  for (int r = 0; r < MR; ++r) arow[r] = a + r * a_rs;
  V acc[MR][NV];
  SN_UNROLL
  for (int r = 0; r < MR; ++r)
    SN_UNROLL
    for (int v = 0; v < NV; ++v) acc[r][v] = vzero();
  const float* ap = a;
#if defined(SN_TARGET_AVX2)
  // Four k steps a loop trip: Affine's GEMMs ×0.87–0.93 and the convolutions' ×0.93–0.98 on Zen 3
  // (one thread, A/B in one process; 8 the same as 4, 2 slower). SSE2 showed no gain (×0.98–1.17,
  // within this machine's noise); AVX-512 and NEON are not measured. They keep GCC's choice.
#pragma GCC unroll 4
#endif
  for (int64_t p = 0; p < kc; ++p) {
    V bv[NV];
    SN_UNROLL
    for (int v = 0; v < NV - 1; ++v) bv[v] = vload(b + v * W);
    bv[NV - 1] = Full ? vload(b + (NV - 1) * W) : vloadm(b + (NV - 1) * W, last);
    SN_UNROLL
    for (int r = 0; r < MR; ++r) {
      const V ar = UnitRows ? vset1(ap[r]) : vset1(arow[r][p * a_cs]);
      SN_UNROLL
      for (int v = 0; v < NV; ++v) acc[r][v] = vfma(ar, bv[v], acc[r][v]);
    }
    b += ldb;
    if (UnitRows) ap += a_cs;
  }
  SN_UNROLL
  for (int r = 0; r < MR; ++r) {
    float* cr = c + r * ldc;
    const V rb = row_bias ? vset1(row_bias[r]) : vzero();
    SN_UNROLL
    for (int v = 0; v < NV; ++v) {
      const bool full = Full || v < NV - 1;
      V x = acc[r][v];
      if (row_bias) x = vadd(x, rb);
      if (col_bias) x = vadd(x, full ? vload(col_bias + v * W) : vloadm(col_bias + v * W, last));
      if (add_c) x = vadd(x, full ? vload(cr + v * W) : vloadm(cr + v * W, last));
      if (full) {
        vstore(cr + v * W, x);
      } else {
        vstore_first(cr + v * W, x, last_n);
      }
    }
  }
}

// One register tile.
template <int MR, int NV, bool Full>
void micro_tile(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb, int64_t last_n,
                float* c, int64_t ldc, bool add_c, const float* row_bias, const float* col_bias) {
  tile_body<MR, NV, Full>(kc, a, a_rs, a_cs, b, ldb, last_n, c, ldc, add_c, row_bias, col_bias);
}

#if defined(SN_TARGET_AVX512)
// An edge tile of at most 8 columns (Affine's 100 outputs: two 48-column panels and 4 left) in
// 8-lane vectors instead of 16-lane ones: the same FMAs on the lanes kept, so the same bits. On
// Zen 4, whose 512-bit FMAs take both of its 256-bit units, the 16-lane edge tile cost as much as
// a third of a 48-column one for 4 columns; elsewhere (Zen 5, Intel) both widths issue alike.
template <int MR>
void narrow_tile(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb, int64_t last_n,
                 float* c, int64_t ldc, bool add_c, const float* row_bias, const float* col_bias) {
  const __mmask8 last = __mmask8((1u << last_n) - 1u);
  const float* arow[MR];
  __m256 acc[MR];
  SN_UNROLL
  for (int r = 0; r < MR; ++r) arow[r] = a + r * a_rs, acc[r] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; ++p, b += ldb) {
    const __m256 bv = _mm256_maskz_loadu_ps(last, b);
    SN_UNROLL
    for (int r = 0; r < MR; ++r) acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(arow[r][p * a_cs]), bv, acc[r]);
  }
  SN_UNROLL
  for (int r = 0; r < MR; ++r) {
    float* cr = c + r * ldc;
    __m256 x = acc[r];
    if (row_bias) x = _mm256_add_ps(x, _mm256_set1_ps(row_bias[r]));
    if (col_bias) x = _mm256_add_ps(x, _mm256_maskz_loadu_ps(last, col_bias));
    if (add_c) x = _mm256_add_ps(x, _mm256_maskz_loadu_ps(last, cr));
    _mm256_mask_storeu_ps(cr, last, x);
  }
}

#endif

// `count` full row tiles one after another, A a_tile floats from one to the next, in one call:
// for a short K (a convolution's input gradient, K = its 16–64 filters) a tile is only 16–64
// steps, and a call per tile cost a visible share of them (such GEMMs ×0.94–0.96 alone on one
// thread; whole steps at 2 threads LeNet5 ×0.965–0.969, DeepConvNet ×0.973–1.008, Zen 3). With a
// pointer per row of A, not for longer K: this loop's extra live values push those pointers out
// of registers (151 stack accesses in the 6×16 tile instead of 15; a 150-deep GEMM up to ×1.15
// slower); with A's rows adjacent (UnitRows) one pointer does, and the run pays at any K.
template <int NV, bool Full, bool UnitRows>
__attribute__((noinline)) void micro_tiles(int64_t count, int64_t a_tile, int64_t kc, const float* a, int64_t a_rs,
                                           int64_t a_cs, const float* b, int64_t ldb, int64_t last_n, float* c,
                                           int64_t ldc, bool add_c, const float* row_bias, const float* col_bias) {
  for (int64_t t = 0; t < count; ++t) {
    tile_body<kMR, NV, Full, UnitRows>(kc, a + t * a_tile, a_rs, a_cs, b, ldb, last_n, c + t * kMR * ldc, ldc,
                                       add_c, row_bias ? row_bias + t * kMR : nullptr, col_bias);
  }
}

// Whether sgemm_builtin runs a panel's full row tiles in one call: always when A's rows are
// adjacent (a_rs = 1: the convolutions' wᵀ, Affine's packed xᵀ), whose loop keeps its pointers in
// registers (Affine's weight gradient ×0.94–0.97, whole SimpleConvNet steps ×0.97–0.99 at 2 threads
// against one call per tile); otherwise for K ≤ kShortK only. And a row-major A read by at least
// kPackRowsMinN columns of C is packed into row tiles (pack_a_rows) for such a run: Affine's
// input gradient (dout · Wᵀ, 2,160 columns a thread for SimpleConvNet) ×0.91–0.96 on one thread,
// whole SimpleConvNet steps ×0.965 and ×0.984 at 2 threads; Affine's forward (100 columns) is read
// in place: packed for 7 column panels it was ×1.05–1.13 slower. Measured on AVX2 (Zen 3) only:
// AVX-512's 10-row tile needs more pointers; SSE2 and NEON keep one call per tile.
#if defined(SN_TARGET_AVX2)
constexpr bool kRunsOfTiles = true;
#else
constexpr bool kRunsOfTiles = false;
#endif
constexpr int64_t kShortK = 64;
constexpr int64_t kPackRowsMinN = 256;

// The last columns of C, when they are more than a panel and at most a panel and a vector (Affine's
// 100 outputs: 6 panels of 16 and 4 left), as one wide panel of kNV + 1 vectors in row tiles of
// kWideMR rows (AVX2: 4 × 3 = 12 accumulators, 3 loads and 4 broadcasts a step), instead of a
// full panel and a one-vector one (6 × 1: 6 broadcasts for 6 FMAs, and A read once more). For a
// row-major B and A read in place; the same sums in the same order. Affine's forward (500 × 100 ×
// 4320 a thread) ×0.965–0.97, 50 × 100 ×0.95 (one thread, Zen 3). 0: not used (other targets'
// tiles are not measured).
#if defined(SN_TARGET_AVX2)
constexpr int kWideMR = 4;
#else
constexpr int kWideMR = 0;
#endif

using TileFn = void (*)(int64_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t, float*, int64_t,
                        bool, const float*, const float*);
using TilesFn = void (*)(int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t,
                         float*, int64_t, bool, const float*, const float*);

// The run of full-height row tiles for nv vectors whose last has last_n lanes, A's rows a_rs
// floats apart.
template <bool UnitRows>
TilesFn tiles_for_rows(int nv, int64_t last_n) {
  static_assert(kNV <= 3, "extend the switch below");
  const bool full = last_n == W;
  switch (nv) {
    case 1: return full ? micro_tiles<1, true, UnitRows> : micro_tiles<1, false, UnitRows>;
    case 2:
      return full ? micro_tiles<(kNV >= 2 ? 2 : 1), true, UnitRows> : micro_tiles<(kNV >= 2 ? 2 : 1), false, UnitRows>;
    default: return full ? micro_tiles<kNV, true, UnitRows> : micro_tiles<kNV, false, UnitRows>;
  }
}
TilesFn tiles_for(int nv, int64_t last_n, int64_t a_rs) {
  return a_rs == 1 ? tiles_for_rows<true>(nv, last_n) : tiles_for_rows<false>(nv, last_n);
}

template <int MR, bool Full>
TileFn tile_for_nv(int nv) {
  static_assert(kNV <= 4, "extend the switch below");
  switch (nv) {
    case 1: return micro_tile<MR, 1, Full>;
    case 2: return micro_tile<MR, (kNV >= 2 ? 2 : 1), Full>;
    case 3: return micro_tile<MR, (kNV >= 3 || MR <= kWideMR ? 3 : 1), Full>;
    default: return micro_tile<MR, kNV, Full>;
  }
}

template <bool Full>
TileFn tile_for_mr(int mr, int nv) {
  static_assert(kMR <= 10, "extend the switch below");
  switch (mr) {
    case 1: return tile_for_nv<1, Full>(nv);
    case 2: return tile_for_nv<2, Full>(nv);
    case 3: return tile_for_nv<3, Full>(nv);
    case 4: return tile_for_nv<4, Full>(nv);
    case 5: return tile_for_nv<(kMR >= 5 ? 5 : 1), Full>(nv);
    case 6: return tile_for_nv<(kMR >= 6 ? 6 : 1), Full>(nv);
    case 7: return tile_for_nv<(kMR >= 7 ? 7 : 1), Full>(nv);
    case 8: return tile_for_nv<(kMR >= 8 ? 8 : 1), Full>(nv);
    case 9: return tile_for_nv<(kMR >= 9 ? 9 : 1), Full>(nv);
    default: return tile_for_nv<kMR, Full>(nv);
  }
}

#if defined(SN_TARGET_AVX512)
TileFn narrow_tile_for(int mr) {
  static_assert(kMR == 10, "extend the table below");
  constexpr TileFn fns[] = {narrow_tile<1>, narrow_tile<2>, narrow_tile<3>, narrow_tile<4>, narrow_tile<5>,
                            narrow_tile<6>, narrow_tile<7>, narrow_tile<8>, narrow_tile<9>, narrow_tile<10>};
  return fns[mr - 1];
}
#endif

// The instantiation for an edge tile of mr rows and nv vectors whose last vector has last_n lanes.
TileFn tile_for(int mr, int nv, int64_t last_n) {
#if defined(SN_TARGET_AVX512)
  if (nv == 1 && last_n <= 8) return narrow_tile_for(mr);
#endif
  return last_n == W ? tile_for_mr<true>(mr, nv) : tile_for_mr<false>(mr, nv);
}

// bp(p, j) = src(j, p) for j < nr, p < kc (src rows ld floats apart), bp rows kNR floats apart:
// 8 × 8 blocks through registers (the scalar copy of Affine's Wᵀ, 16 strided stores per column
// of 100, was a tenth of its backward).
void pack_transposed(const float* src, int64_t ld, int64_t nr, int64_t kc, float* bp) {
  transpose(src, nr, kc, ld, bp, kNR);
}

// sgemm_builtin, or with b_packed non-null: B from sgemm_pack_b.
void gemm_blocks(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                 const float* b, int64_t ldb, const float* b_packed, bool accumulate, const float* row_bias,
                 const float* col_bias, float* c, int64_t ldc) {
  // C is (m, n); op(A)(i, p) = trans_a ? a[p·lda + i] : a[i·lda + p]; op(B)(p, j) likewise
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int64_t i = 0; i < m; ++i) {
      float* ci = c + i * ldc;
      for (int64_t j = 0; j < n; ++j)
        ci[j] = (accumulate ? ci[j] : 0.0f) + (row_bias ? row_bias[i] : 0.0f) + (col_bias ? col_bias[j] : 0.0f);
    }
    return;
  }
  for (int64_t p0 = 0; p0 < k; p0 += kKC) {
    const int64_t kc = std::min<int64_t>(kKC, k - p0);
    // The first pass writes C (plus bias); later passes add to it.
    const bool add_c = accumulate || p0 > 0;
    const float* rb = p0 == 0 ? row_bias : nullptr;
    const float* cb = p0 == 0 ? col_bias : nullptr;
    for (int64_t i0 = 0; i0 < m; i0 += kMC) {
      const int64_t mc = std::min<int64_t>(kMC, m - i0);
      // A read in place (Aᵀ column-wise, a row-major A row-wise; see micro_tile), or packed into
      // row tiles once per block, then read by every column panel: a big Aᵀ, or a row-major A
      // that many columns read (kPackRowsMinN). With B packed by the caller (a convolution's
      // colᵀ · wᵀ) a big Aᵀ is packed only for 4 panels or more: 64 filters ×0.92 faster, 32
      // (two panels, the copy then paid for by only two reads) ×1.17–1.19 slower (Zen 3).
      const float* ablock = trans_a ? a + p0 * lda + i0 : a + i0 * lda + p0;
      int64_t a_rs = trans_a ? 1 : lda, a_cs = trans_a ? lda : 1;
      int64_t a_tile = kMR * a_rs;  // from one row tile to the next
      const bool pack_t = trans_a && packs_at(n, kc, lda) && (!b_packed || n >= 4 * kNR);
      const bool a_packed = pack_t || (!b_packed && !trans_a && kRunsOfTiles && n >= kPackRowsMinN && mc >= 2 * kMR);
      if (a_packed) {
        float* ap = t_apack.get(size_t(((mc + kMR - 1) / kMR) * apack_tile_stride(kc)));
        if (pack_t) {
          pack_at(ablock, lda, mc, kc, ap);
        } else {
          pack_a_rows(ablock, lda, mc, kc, ap);
        }
        ablock = ap;
        a_rs = 1;
        a_cs = kMR;
        a_tile = apack_tile_stride(kc);
      }
      for (int64_t j0 = 0; j0 < n; j0 += kNR) {
        const bool wide = kWideMR > 0 && !b_packed && !trans_b && !a_packed && n - j0 > kNR && n - j0 <= kNR + W;
        const int64_t nr = wide ? n - j0 : std::min<int64_t>(kNR, n - j0);
        const int nv = int((nr + W - 1) / W);
        const int64_t last_n = nr - (nv - 1) * W;
        const float* bpanel;
        int64_t b_step;
        if (b_packed) {
          bpanel = b_packed + ((j0 / kNR) * k + p0) * kNR;
          b_step = kNR;
        } else if (!trans_b && reads_b_in_place(mc, ldb)) {
          // Read in place (reads_b_in_place).
          bpanel = b + p0 * ldb + j0;
          b_step = ldb;
        } else if (!trans_b) {
          // Copied into a contiguous kc × kNR panel that every row tile then reads from L1: in
          // place, each of its kc rows is a separate cache line or two (Affine's W, 100 floats
          // a row), more than L1 holds, so every row tile streamed it from L2 again.
          // Rows of whole vectors, the last one masked (a memcpy call per row cost more than the
          // copy): kNR floats, or kNR + W for a wide panel.
          const int64_t stride = wide ? kNR + W : kNR;
          float* bp = t_bpack.get(size_t(kKC * (kNR + W)));
          for (int64_t p = 0; p < kc; ++p) {
            const float* src = b + (p0 + p) * ldb + j0;
            float* dst = bp + p * stride;
            SN_UNROLL
            for (int v = 0; v < kNV + 1; ++v) {
              if (v < nv - 1) {
                vstore(dst + v * W, vload(src + v * W));
              } else if (v == nv - 1) {
                vstore(dst + v * W, vloadm(src + v * W, tail_mask(last_n)));
              }
            }
          }
          bpanel = bp;
          b_step = stride;
        } else {
          // Bᵀ rows are B's columns: gather them into a kc × kNR panel read by every row tile.
          float* bp = t_bpack.get(size_t(kKC * kNR));
          pack_transposed(b + j0 * ldb + p0, ldb, nr, kc, bp);
          bpanel = bp;
          b_step = kNR;
        }
        if (wide) {
          for (int64_t q = 0; q < mc; q += kWideMR) {
            const int mr = int(std::min<int64_t>(kWideMR, mc - q));
            tile_for(mr, nv, last_n)(kc, ablock + q * a_rs, a_rs, a_cs, bpanel, b_step, last_n, c + (i0 + q) * ldc + j0,
                                     ldc, add_c, rb ? rb + i0 + q : nullptr, cb ? cb + j0 : nullptr);
          }
          break;  // the last columns
        }
        int64_t q = 0;
        if (kRunsOfTiles && (a_rs == 1 || kc <= kShortK) && mc >= 2 * kMR) {
          const int64_t full = mc / kMR;
          tiles_for(nv, last_n, a_rs)(full, a_tile, kc, ablock, a_rs, a_cs, bpanel, b_step, last_n,
                                      c + i0 * ldc + j0, ldc, add_c, rb ? rb + i0 : nullptr, cb ? cb + j0 : nullptr);
          q = full * kMR;
        }
        for (; q < mc; q += kMR) {
          const int mr = int(std::min<int64_t>(kMR, mc - q));
          tile_for(mr, nv, last_n)(kc, ablock + (q / kMR) * a_tile, a_rs, a_cs, bpanel, b_step, last_n,
                           c + (i0 + q) * ldc + j0, ldc, add_c, rb ? rb + i0 + q : nullptr, cb ? cb + j0 : nullptr);
        }
      }
    }
  }
}

}  // namespace

void sgemm_builtin(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                   const float* b, int64_t ldb, bool accumulate, const float* row_bias, const float* col_bias,
                   float* c, int64_t ldc) {
  gemm_blocks(trans_a, trans_b, m, n, k, a, lda, b, ldb, nullptr, accumulate, row_bias, col_bias, c, ldc);
}

int64_t sgemm_packed_b_floats(int64_t k, int64_t n) { return ((n + kNR - 1) / kNR) * k * kNR; }

void sgemm_pack_b(int64_t k, int64_t n, const float* b, int64_t ldb, float* packed) {
  for (int64_t j0 = 0; j0 < n; j0 += kNR) {
    const int64_t nr = std::min<int64_t>(kNR, n - j0);
    float* panel = packed + (j0 / kNR) * k * kNR;
    for (int64_t p = 0; p < k; ++p) {
      const float* src = b + p * ldb + j0;
      float* dst = panel + p * kNR;
      for (int64_t j = 0; j < kNR; ++j) dst[j] = j < nr ? src[j] : 0.0f;
    }
  }
}

void sgemm_packed_b(bool trans_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b_packed,
                    const float* col_bias, float* c, int64_t ldc) {
  gemm_blocks(trans_a, false, m, n, k, a, lda, nullptr, 0, b_packed, false, nullptr, col_bias, c, ldc);
}

int64_t sgemm_panel_columns() { return kNR; }

int64_t sgemm_pass_depth() { return kKC; }

bool sgemm_copies_b_per_call(int64_t m, int64_t ldb) {
  return kRunsOfTiles && !reads_b_in_place(std::min(m, kMC), ldb);
}

bool sgemm_transposed_is_cheaper(int64_t m, int64_t n) {
  if (!kRunsOfTiles) return false;
  // Per k step a tile of mr rows × nv vectors takes mr·nv FMAs (2 a cycle) and mr + nv loads (3 a
  // cycle on Zen 3), whichever is longer; in sixths of a cycle. "Clearly": by more than 5%.
  const auto cost = [](int64_t rows, int64_t cols) {
    const auto tile = [](int64_t mr, int64_t nv) { return std::max(3 * mr * nv, 2 * (mr + nv)); };
    const int64_t full_rows = rows / kMR, edge_rows = rows % kMR;
    const int64_t full_panels = cols / kNR, edge_vectors = (cols % kNR + W - 1) / W;
    int64_t c = full_rows * full_panels * tile(kMR, kNV);
    if (edge_rows) c += full_panels * tile(edge_rows, kNV);
    if (edge_vectors) c += full_rows * tile(kMR, edge_vectors);
    if (edge_rows && edge_vectors) c += tile(edge_rows, edge_vectors);
    return c;
  };
  return cost(n, m) * 20 < cost(m, n) * 19;
}

// ---- which implementation ------------------------------------------------------------------

static std::atomic<GemmImpl> g_impl{GemmImpl::Builtin};

GemmImpl gemm_impl() { return g_impl.load(std::memory_order_relaxed); }
void set_gemm_impl(GemmImpl impl) {
  g_impl.store(openblas().found() ? impl : GemmImpl::Builtin, std::memory_order_relaxed);
}
const char* gemm_impl_name(GemmImpl impl) { return impl == GemmImpl::Builtin ? "builtin" : "openblas"; }

bool sgemm_packs_transposed_a(int64_t n, int64_t k, int64_t lda) {
  // OpenBLAS packs every operand; which layout it is handed matters little there.
  return gemm_impl() == GemmImpl::Builtin && n > 0 && k > 0 && packs_at(n, std::min(k, kKC), lda);
}

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, bool accumulate, float* c, int64_t ldc) {
  // set_gemm_impl never picks OpenBLAS when it was not found; the check keeps that a promise.
  const CblasSgemmFn blas = openblas().sgemm;
  if (gemm_impl() == GemmImpl::Builtin || !blas) {
    sgemm_builtin(trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, nullptr, nullptr, c, ldc);
    return;
  }
  if (m <= 0 || n <= 0) return;
  blas(kCblasRowMajor, trans_a ? kCblasTrans : kCblasNoTrans, trans_b ? kCblasTrans : kCblasNoTrans, int(m), int(n),
       int(k), 1.0f, a, int(lda), b, int(ldb), accumulate ? 1.0f : 0.0f, c, int(ldc));
}

void sgemm_bias(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                const float* b, int64_t ldb, const float* row_bias, const float* col_bias, float* c, int64_t ldc) {
  if (gemm_impl() == GemmImpl::Builtin || !openblas().found()) {
    sgemm_builtin(trans_a, trans_b, m, n, k, a, lda, b, ldb, false, row_bias, col_bias, c, ldc);
    return;
  }
  // OpenBLAS has no bias: C starts as the bias and the product is accumulated onto it.
  for (int64_t i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) ci[j] = (row_bias ? row_bias[i] : 0.0f) + (col_bias ? col_bias[j] : 0.0f);
  }
  sgemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, true, c, ldc);
}

SN_END_TARGET
