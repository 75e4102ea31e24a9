#include "kernels/pooled_weight_grad.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "kernels/im2col.h"
#include "kernels/scratch.h"
#include "kernels/threadpool.h"
#include "simd/compress.h"
#include "simd/dispatch.h"
#include "simd/vec.h"

SN_BEGIN_TARGET

#if SN_MASKED_SIMD
namespace {

// By patch rows: each positive window adds its gradient times its input patch to dw, one masked
// vector per patch row (c·kh rows of kw lanes), summed in registers. (The dense form builds a
// dconv map and multiplies its zeros in a weight-gradient GEMM.)

// Where the patch of each convolution output position starts in its input plane.
struct PatchOrigins {
  int32_t* offset;  // r0·w + c0
  int32_t* row;     // r0 = oi·stride − pad
  uint32_t* cols;   // bit j set for the lanes j < kw with 0 ≤ c0 + j < w
};

static thread_local Scratch t_origins;
static thread_local Scratch t_windows;
static thread_local Scratch t_window_counts;

PatchOrigins patch_origins(const ConvGeom& g) {
  const int64_t ohw = g.ohw();
  // 3 32-bit values per position, in float-sized slots
  float* mem = t_origins.get(size_t(3 * ohw));
  PatchOrigins o{reinterpret_cast<int32_t*>(mem), reinterpret_cast<int32_t*>(mem + ohw),
                 reinterpret_cast<uint32_t*>(mem + 2 * ohw)};
  for (int64_t oi = 0; oi < g.oh; ++oi) {
    for (int64_t oj = 0; oj < g.ow; ++oj) {
      const int64_t a = oi * g.ow + oj, r0 = oi * g.stride - g.pad, c0 = oj * g.stride - g.pad;
      uint32_t m = 0;
      for (int64_t j = 0; j < g.kw; ++j)
        if (c0 + j >= 0 && c0 + j < g.w) m |= 1u << j;
      o.offset[a] = int32_t(r0 * g.w + c0);
      o.row[a] = int32_t(r0);
      o.cols[a] = m;
    }
  }
  return o;
}

void report_bad(std::atomic<int64_t>& first_bad, int64_t pos) {
  int64_t cur = first_bad.load();
  while ((cur < 0 || pos < cur) && !first_bad.compare_exchange_weak(cur, pos)) {
  }
}

#if defined(SN_TARGET_AVX512)
// The positive windows of one (image, filter) plane of the pooled output: their winners' positions
// and gradients, packed. at and d need room for count + 15 entries. Winners outside [0, ohw) are
// reported through first_bad (position base + q) and left out.
int64_t positive_windows(const float* dout, const float* out, const int32_t* argmax, int64_t count, int64_t ohw,
                         int64_t base, std::atomic<int64_t>& first_bad, int32_t* at, float* d) {
  const __m512i limit = _mm512_set1_epi32(int32_t(ohw));
  int64_t k = 0;
  for (int64_t q = 0; q < count; q += 16) {
    const __mmask16 m = count - q >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (count - q)) - 1u);
    const __m512 o = _mm512_maskz_loadu_ps(m, out + q);
    const __m512i a = _mm512_maskz_loadu_epi32(m, argmax + q);
    const __m512 g = _mm512_maskz_loadu_ps(m, dout + q);
    const __mmask16 bad = _mm512_mask_cmpge_epu32_mask(m, a, limit);
    if (bad) report_bad(first_bad, base + q + __builtin_ctz(bad));
    const __mmask16 keep = _mm512_mask_cmp_ps_mask(__mmask16(m & ~bad), o, _mm512_setzero_ps(), _CMP_GT_OQ);
    _mm512_storeu_si512(at + k, _mm512_maskz_compress_epi32(keep, a));
    _mm512_storeu_ps(d + k, _mm512_maskz_compress_ps(keep, g));
    k += __builtin_popcount(keep);
  }
  return k;
}
#else
// As above; at and d need room for count + 7 entries.
int64_t positive_windows(const float* dout, const float* out, const int32_t* argmax, int64_t count, int64_t ohw,
                         int64_t base, std::atomic<int64_t>& first_bad, int32_t* at, float* d) {
  const __m256i last_ok = _mm256_set1_epi32(int32_t(ohw) - 1), zero = _mm256_setzero_si256();
  int64_t k = 0;
  const Mask all = tail_mask(8);
  for (int64_t q = 0; q < count; q += 8) {
    // whole vectors but for the plane's tail (most planes are whole: 144 windows for the book)
    const bool whole = count - q >= 8;
    const Mask m = whole ? all : tail_mask(count - q);
    const __m256 o = whole ? _mm256_loadu_ps(out + q) : vloadm(out + q, m);
    const __m256i a = whole ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(argmax + q))
                            : _mm256_maskload_epi32(argmax + q, m);
    const __m256 g = whole ? _mm256_loadu_ps(dout + q) : vloadm(dout + q, m);
    // a ≥ ohw or a < 0, on the live lanes
    const __m256i bad_v = _mm256_and_si256(m, _mm256_or_si256(_mm256_cmpgt_epi32(a, last_ok), _mm256_cmpgt_epi32(zero, a)));
    const uint32_t bad = uint32_t(_mm256_movemask_ps(_mm256_castsi256_ps(bad_v)));
    if (bad) report_bad(first_bad, base + q + __builtin_ctz(bad));
    const uint32_t live = uint32_t(_mm256_movemask_ps(_mm256_castsi256_ps(m))) & ~bad;
    const uint32_t keep = live & uint32_t(_mm256_movemask_ps(_mm256_cmp_ps(o, _mm256_setzero_ps(), _CMP_GT_OQ)));
    const __m256i perm = compress_permutation(keep);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(at + k), _mm256_permutevar8x32_epi32(a, perm));
    _mm256_storeu_ps(d + k, _mm256_permutevar8x32_ps(g, perm));
    k += __builtin_popcount(keep);
  }
  return k;
}
#endif

// One patch row as a vector of kw lanes.
#if defined(SN_TARGET_AVX512)
// 8 lanes when kw ≤ 8, else 16. The narrower load crosses a cache line less often (a 32-byte
// load at a random float offset splits 7 times in 16, a 64-byte one 15 times), and the split
// loads are what bound the loop below.
struct Row512 {
  using V = __m512;
  using M = __mmask16;
  static constexpr int kRegisters = 32;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float v) { return _mm512_set1_ps(v); }
  static M bits(uint32_t b) { return M(b); }
  static M none() { return M(0); }
  static V load(M m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static V load_in(M m, const float* p, const float*, const float*) { return load(m, p); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static void store(float* p, int64_t n, V v) { _mm512_mask_storeu_ps(p, M((1u << n) - 1u), v); }
};
struct Row256 {
  using V = __m256;
  using M = __mmask8;
  static constexpr int kRegisters = 32;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float v) { return _mm256_set1_ps(v); }
  static M bits(uint32_t b) { return M(b); }
  static M none() { return M(0); }
  static V load(M m, const float* p) { return _mm256_maskz_loadu_ps(m, p); }
  static V load_in(M m, const float* p, const float*, const float*) { return load(m, p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static void store(float* p, int64_t n, V v) { _mm256_mask_storeu_ps(p, M((1u << n) - 1u), v); }
};
#else
struct Row256 {
  using V = __m256;
  using M = __m256i;
  static constexpr int kRegisters = 16;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float v) { return _mm256_set1_ps(v); }
  // lane l live when bit l of b is set
  static M bits(uint32_t b) {
    const __m256i lane_bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(int32_t(b)), lane_bit), lane_bit);
  }
  static M none() { return _mm256_setzero_si256(); }
  static V load(M m, const float* p) { return _mm256_maskload_ps(p, m); }
  // Most patch rows have neighbours on both sides, so a plain load and an AND (vec.h). Used for
  // padded patches, whose masks vary from window to window (LeNet's conv1: dw 7.7–8.0% → 5.8–5.9%
  // of a training step on Zen 3); with a fixed mask (pad 0) the masked load was no slower.
  static V load_in(M m, const float* p, const float* lo, const float* hi) { return vloadm_within(p, m, lo, hi); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static void store(float* p, int64_t n, V v) { vstore_first(p, v, n); }
};
#endif

// The positive windows of every (filter, image) plane, slot fi·n + i: count[slot] winners'
// positions at[slot·stride + e] and gradients d[slot·stride + e]. Found once, image by image —
// streaming through dout, out and argmax in memory order — and then read by every row group of
// the filter. Found per filter job instead, each job read its filter's plane of every image, a
// few hundred bytes 17 KB apart (SimpleConvNet), and a filter whose patch rows take several
// groups (LeNet's conv2: 30 rows, 3 groups) found them once per group.
struct WindowLists {
  int32_t* at;
  float* d;
  int64_t* count;
  int64_t stride;  // pohw + 16: positive_windows stores whole vectors past the last entry
};

WindowLists find_positive_windows(const float* dout, const float* out, const int32_t* argmax, const ConvGeom& g,
                                  int64_t pohw, std::atomic<int64_t>& first_bad) {
  const int64_t stride = pohw + 16, slots = g.f * g.n, ohw = g.ohw();
  float* mem = t_windows.get(size_t(2 * slots * stride));
  WindowLists wl{reinterpret_cast<int32_t*>(mem), mem + slots * stride,
                 reinterpret_cast<int64_t*>(t_window_counts.get(size_t(2 * slots))), stride};
  parallel_for_pieces(g.n, [&](int64_t i0, int64_t i1, int) {
    for (int64_t i = i0; i < i1; ++i)
      for (int64_t fi = 0; fi < g.f; ++fi) {
        const int64_t base = (i * g.f + fi) * pohw, slot = fi * g.n + i;
        wl.count[slot] = positive_windows(dout + base, out + base, argmax + base, pohw, ohw, base, first_bad,
                                          wl.at + slot * stride, wl.d + slot * stride);
      }
  });
  return wl;
}

// Windows in flight for R rows of accumulators: each window sums into its own accumulators, so
// its FMAs never wait on the previous window's (4-cycle latency); S·R accumulators + the
// gradient broadcast + a load must fit the register file. The masked row loads, most of them
// split across two cache lines, bound the loop after that (S = 1 was ~4% slower on
// SimpleConvNet with AVX-512).
template <int R, int Registers>
constexpr int windows_in_flight() {
  return Registers == 32 ? (R <= 4 ? 4 : R <= 6 ? 3 : R <= 10 ? 2 : 1) : (R <= 3 ? 4 : R <= 7 ? 2 : 1);
}

// Rows [r0, r0 + R) of filter fi's dw (row = (ci, ki), kw lanes), summed over every image's
// positive windows in image order, in registers. With Padded false every patch lies inside the
// input (pad = 0), so no bounds are needed.
template <int R, bool Padded, typename Row>
void dw_rows(const WindowLists& wl, const float* x, const ConvGeom& g, const PatchOrigins& po, int64_t fi, int64_t r0,
             float* dw_f, float* db_f) {
  const int64_t in_size = g.c * g.h * g.w;
  const float* const x_end = x + g.n * in_size;
  using RV = typename Row::V;
  using RM = typename Row::M;
  const RM kwm = Row::bits((1u << g.kw) - 1u);
  int64_t roff[R], rki[R];
  for (int r = 0; r < R; ++r) {
    const int64_t ci = (r0 + r) / g.kh, ki = (r0 + r) % g.kh;
    roff[r] = ci * g.h * g.w + ki * g.w;
    rki[r] = ki;
  }
  constexpr int S = windows_in_flight<R, Row::kRegisters>();
  RV acc[S][R];
  _Pragma("GCC unroll 16") for (int s = 0; s < S; ++s)
    _Pragma("GCC unroll 16") for (int r = 0; r < R; ++r) acc[s][r] = Row::zero();
  V dsum = vzero();
  const auto add_window = [&](RV* acc_s, const float* x_i, int32_t a, float dval) __attribute__((always_inline)) {
    const RV dv = Row::set1(dval);
    const float* origin = x_i + po.offset[a];
    if (!Padded) {
      _Pragma("GCC unroll 16") for (int r = 0; r < R; ++r) {
        acc_s[r] = Row::fma(dv, Row::load(kwm, origin + roff[r]), acc_s[r]);
      }
    } else {
      const int64_t row = po.row[a];
      const RM cm = Row::bits(po.cols[a]);
      _Pragma("GCC unroll 16") for (int r = 0; r < R; ++r) {
        const RM m = uint64_t(row + rki[r]) < uint64_t(g.h) ? cm : Row::none();
        acc_s[r] = Row::fma(dv, Row::load_in(m, origin + roff[r], x, x_end), acc_s[r]);
      }
    }
  };
  for (int64_t i = 0; i < g.n; ++i) {
    const int64_t slot = fi * g.n + i, k = wl.count[slot];
    const int32_t* at = wl.at + slot * wl.stride;
    const float* d = wl.d + slot * wl.stride;
    const float* x_i = x + i * in_size;
    int64_t e = 0;
    for (; e + S <= k; e += S) {
      _Pragma("GCC unroll 4") for (int s = 0; s < S; ++s) add_window(acc[s], x_i, at[e + s], d[e + s]);
    }
    for (; e < k; ++e) add_window(acc[0], x_i, at[e], d[e]);
    for (int64_t e = 0; db_f && e < k; e += W) dsum = vadd(dsum, vloadm(d + e, tail_mask(k - e)));
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < R; ++r) {
    RV sum = acc[0][r];
    _Pragma("GCC unroll 4") for (int s = 1; s < S; ++s) sum = Row::add(sum, acc[s][r]);
    Row::store(dw_f + (r0 + r) * g.kw, g.kw, sum);
  }
  if (db_f) *db_f = vsum(dsum);
}

using DwRowsFn = void (*)(const WindowLists&, const float*, const ConvGeom&, const PatchOrigins&, int64_t, int64_t,
                          float*, float*);

// Rows of accumulators at a time (plus the gradient broadcast and a load, within the register
// file); more rows are split into equal groups, each a pass over the windows.
#if defined(SN_TARGET_AVX512)
constexpr int kMaxRows = 16;
// Patch rows the sparse form takes: kw lanes of one vector.
constexpr int64_t kSparseMaxKw = 16;
#else
constexpr int kMaxRows = 12;
constexpr int64_t kSparseMaxKw = 8;
#endif

template <bool Padded, typename Row>
DwRowsFn dw_rows_for(int r) {
  switch (r) {
#define SN_CASE(n) \
  case n: return n <= kMaxRows ? dw_rows<(n <= kMaxRows ? n : 1), Padded, Row> : nullptr;
    SN_CASE(1) SN_CASE(2) SN_CASE(3) SN_CASE(4) SN_CASE(5) SN_CASE(6) SN_CASE(7) SN_CASE(8)
    SN_CASE(9) SN_CASE(10) SN_CASE(11) SN_CASE(12) SN_CASE(13) SN_CASE(14) SN_CASE(15) SN_CASE(16)
#undef SN_CASE
    default: return nullptr;
  }
}

DwRowsFn dw_rows_fn(const ConvGeom& g, int rows) {
#if defined(SN_TARGET_AVX512)
  if (g.kw > 8) return g.pad == 0 ? dw_rows_for<false, Row512>(rows) : dw_rows_for<true, Row512>(rows);
#endif
  return g.pad == 0 ? dw_rows_for<false, Row256>(rows) : dw_rows_for<true, Row256>(rows);
}

// dw and db.
int64_t backward_sparse(const float* dout, const float* out, const int32_t* argmax, const float* x,
                        const ConvGeom& g, const PoolGeom& p, float* dw, float* db) {
  const int64_t pohw = p.oh * p.ow, rows = g.c * g.kh, groups = (rows + kMaxRows - 1) / kMaxRows;
  const PatchOrigins po = patch_origins(g);
  std::atomic<int64_t> first_bad{-1};
  const WindowLists wl = find_positive_windows(dout, out, argmax, g, pohw, first_bad);
  // By filters and row groups: each job owns whole rows of dw, so the sums (image order, window
  // order) do not depend on the thread count.
  parallel_for_pieces(g.f * groups, [&](int64_t j0, int64_t j1, int) {
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t fi = j / groups, grp = j % groups;
      const int64_t r0 = grp * rows / groups, r1 = (grp + 1) * rows / groups;
      dw_rows_fn(g, int(r1 - r0))(wl, x, g, po, fi, r0, dw + fi * g.ckk(), grp == 0 ? db + fi : nullptr);
    }
  });
  return first_bad.load();
}

// dw and db by patches. Each image's patches are laid out position by position (c·kh·kw
// taps side by side, padded to whole vectors: the im2col matrix transposed), so a positive
// window adds its gradient times its winner's patch in ⌈taps/W⌉ full-width FMAs from aligned
// loads — on AVX-512 SimpleConvNet's 25 taps in 2, LeNet's 150 in 10 — where dw_rows takes one
// 8-lane FMA of kw live lanes per patch row (5 of 16 for the book's 5 × 5 kernels), from a load
// that mostly splits two cache lines. The windows are found image by image as the patches are made, so no
// list of every plane's windows is written out and read back (7% of a SimpleConvNet step on Zen
// 5, the lists and the three maps behind them being memory traffic). Each job sums a fixed group
// of kPatchJobImages images into its own partial dw and db; the partials are added in job order,
// so the sums do not depend on the thread count.
constexpr int64_t kPatchJobImages = 4;
// Accumulators a window takes (S·NV of them and a broadcast and a load within the registers).
#if defined(SN_TARGET_AVX512)
constexpr int kMaxPatchVectors = 12;
#else
constexpr int kMaxPatchVectors = 14;
#endif

static thread_local Scratch t_patches, t_patch_windows, t_patch_partials;

int64_t patch_vectors(const ConvGeom& g) { return (g.ckk() + W - 1) / W; }

// More vectors than kMaxPatchVectors are summed in groups, each a pass over the windows (whose
// lists stay in L1): LeNet's second layer on AVX2, 19 vectors, in groups of 10 and 9. A patch
// longer than kMaxPatchRows rows, or patches bigger than half of L2, take dw_rows.
constexpr int64_t kMaxPatchRows = 256;

bool patches_fit(const ConvGeom& g) {
  const int64_t bytes = g.ohw() * patch_vectors(g) * W * int64_t(sizeof(float));
  return g.kw <= kSparseMaxKw && g.c * g.kh <= kMaxPatchRows && bytes <= l2_cache_bytes() / 2;
}

// Position q's patch into dst: its taps in (ci, ki, kj) order. xp: the padded image
// (im2col_pad_image), whose slack covers the whole-vector loads past a row's last tap;
// row_offsets: each kernel row (ci, ki)'s first tap in xp.
inline void make_patch(const float* xp, const ConvGeom& g, const int64_t* row_offsets, int64_t q, float* dst) {
  const int64_t rows = g.c * g.kh, pw = g.w + 2 * g.pad, kw = g.kw;
  const float* src = xp + (q / g.ow) * g.stride * pw + (q % g.ow) * g.stride;
  // Each row's whole vector overlaps the next row's taps, which the next store overwrites;
  // the last row's store would run past the patch, so it keeps only its kw lanes.
  if (kw <= 8) {
    int64_t r = 0;
    for (; r + 1 < rows; ++r) _mm256_storeu_ps(dst + r * kw, _mm256_loadu_ps(src + row_offsets[r]));
    store_first8(dst + r * kw, _mm256_loadu_ps(src + row_offsets[r]), kw);
  } else {
#if defined(SN_TARGET_AVX512)
    int64_t r = 0;
    for (; r + 1 < rows; ++r) _mm512_storeu_ps(dst + r * kw, _mm512_loadu_ps(src + row_offsets[r]));
    _mm512_mask_storeu_ps(dst + r * kw, __mmask16((1u << kw) - 1u), _mm512_loadu_ps(src + row_offsets[r]));
#endif
  }
}

// patches (ohw × stride floats): position q's patch from patches + q·stride. The lanes from c·kh·kw
// up to the stride are not written (clear_patch_tails zeroes them once a call; no row store
// reaches them while kw ≥ 4).
// The patches of every position, or (needed non-null) of those whose byte is set, gathered first
// into `order` without a branch (which positions win is data: a branch per position mispredicted
// often enough to cost more than the patches it saved).
void make_patches(const float* xp, const ConvGeom& g, const int64_t* row_offsets, int64_t stride, const uint8_t* needed,
                  int32_t* order, float* patches) {
  const int64_t ohw = g.ohw();
  if (!needed) {
    for (int64_t q = 0; q < ohw; ++q) make_patch(xp, g, row_offsets, q, patches + q * stride);
    return;
  }
  int64_t count = 0;
  for (int64_t q = 0; q < ohw; ++q) {
    order[count] = int32_t(q);
    count += needed[q];
  }
  for (int64_t t = 0; t < count; ++t) make_patch(xp, g, row_offsets, order[t], patches + order[t] * stride);
}

void clear_patch_tails(const ConvGeom& g, int64_t stride, float* patches) {
  for (int64_t q = 0; q < g.ohw(); ++q) vstore(patches + q * stride + stride - W, vzero());
}

// acc (R rows of KV vectors, rows acc_rs floats apart) += Σ_e d[e] · the same vectors of window
// e's patch: R rows rs floats apart from base + origin(at[e]), in window order; S windows in
// flight (each its own accumulators, so an FMA never waits on the previous window's).
template <int R, int KV, typename Origin>
__attribute__((always_inline)) inline void add_windows(const float* base, int64_t rs, Origin origin, const int32_t* at,
                                                       const float* d, int64_t k, float* acc_mem, int64_t acc_rs) {
  constexpr int NV = R * KV;
#if defined(SN_TARGET_AVX512)
  constexpr int S = NV <= 3 ? 4 : NV <= 7 ? 3 : 2;
#else
  constexpr int S = NV <= 3 ? 4 : NV <= 4 ? 3 : NV <= 7 ? 2 : 1;
#endif
  V acc[S][NV];
  SN_UNROLL
  for (int s = 0; s < S; ++s)
    SN_UNROLL
    for (int v = 0; v < NV; ++v) acc[s][v] = vzero();
  int64_t e = 0;
  for (; e + S <= k; e += S) {
    SN_UNROLL
    for (int s = 0; s < S; ++s) {
      const V dv = vset1(d[e + s]);
      const float* src = base + origin(at[e + s]);
      SN_UNROLL
      for (int r = 0; r < R; ++r)
        SN_UNROLL
        for (int j = 0; j < KV; ++j) acc[s][r * KV + j] = vfma(dv, vload(src + r * rs + j * W), acc[s][r * KV + j]);
    }
  }
  for (; e < k; ++e) {
    const V dv = vset1(d[e]);
    const float* src = base + origin(at[e]);
    SN_UNROLL
    for (int r = 0; r < R; ++r)
      SN_UNROLL
      for (int j = 0; j < KV; ++j) acc[0][r * KV + j] = vfma(dv, vload(src + r * rs + j * W), acc[0][r * KV + j]);
  }
  SN_UNROLL
  for (int r = 0; r < R; ++r) {
    SN_UNROLL
    for (int j = 0; j < KV; ++j) {
      V sum = acc[0][r * KV + j];
      SN_UNROLL
      for (int s = 1; s < S; ++s) sum = vadd(sum, acc[s][r * KV + j]);
      float* m = acc_mem + r * acc_rs + j * W;
      vstore(m, vadd(vload(m), sum));
    }
  }
}

// acc (NV vectors) += Σ_e d[e] · the patch of position at[e] (patches + at[e]·stride), e < k.
template <int NV>
void add_patches(const float* patches, int64_t stride, const int32_t* at, const float* d, int64_t k, float* acc_mem) {
  add_windows<1, NV>(patches, 0, [stride](int32_t a) { return a * stride; }, at, d, k, acc_mem, 0);
}

using AddPatchesFn = void (*)(const float*, int64_t, const int32_t*, const float*, int64_t, float*);

AddPatchesFn add_patches_for(int64_t nv) {
  switch (nv) {
#define SN_CASE(n) \
  case n: return add_patches<n>;
    SN_CASE(1) SN_CASE(2) SN_CASE(3) SN_CASE(4) SN_CASE(5) SN_CASE(6)
    SN_CASE(7) SN_CASE(8) SN_CASE(9) SN_CASE(10) SN_CASE(11) SN_CASE(12)
#if !defined(SN_TARGET_AVX512)
    SN_CASE(13) SN_CASE(14)
#endif
#undef SN_CASE
    default: return nullptr;
  }
}

int64_t backward_patches(const float* dout, const float* out, const int32_t* argmax, const float* x,
                         const ConvGeom& g, const PoolGeom& p, float* dw, float* db) {
  const int64_t ckk = g.ckk(), ohw = g.ohw(), pohw = p.oh * p.ow, in_size = g.c * g.h * g.w;
  const int64_t nv = patch_vectors(g), stride = nv * W, per_filter = stride + W;  // dw's lanes, then db's
  const int64_t jobs = (g.n + kPatchJobImages - 1) / kPatchJobImages;
  // nv vectors in groups of at most kMaxPatchVectors, as equal as can be
  const int64_t groups = (nv + kMaxPatchVectors - 1) / kMaxPatchVectors;
  float* partials = t_patch_partials.get(size_t(jobs * g.f * per_filter));
  int64_t row_offsets[kMaxPatchRows];
  const int64_t ph = g.h + 2 * g.pad, pw = g.w + 2 * g.pad;
  for (int64_t ci = 0, r = 0; ci < g.c; ++ci)
    for (int64_t ki = 0; ki < g.kh; ++ki, ++r) row_offsets[r] = ci * ph * pw + ki * pw;
  std::atomic<int64_t> first_bad{-1};
  // Where the windows are few for the positions (LeNet's first layer: 6 filters × 196 windows, at
  // most, for 784 positions, about half of the windows positive), only their winners' patches
  // are made (its backward ×0.84, Zen 5); elsewhere nearly every position wins somewhere.
  const bool winners_only = g.f * pohw < 2 * ohw;
  const int64_t list = pohw + W;  // a filter's list: positive_windows stores whole vectors
  // Every filter's windows found before the patches are summed where the lists are small
  // (LeNet's second layer: 5 KB, its backward ×0.93) or only the winners' patches are made;
  // SimpleConvNet's 30 lists (38 KB) would push the patches out of L1 (its steps ×1.04 slower),
  // so there each filter's windows are found just before its sums.
  const bool lists_first = winners_only || 2 * g.f * list * int64_t(sizeof(float)) <= 16384;
  parallel_for_pieces(jobs, [&](int64_t j0, int64_t j1, int) {
    float* patches = t_patches.get(size_t(ohw * stride));
    clear_patch_tails(g, stride, patches);
    // every filter's list of the image (positions, gradients), its count, and the needed bytes
    float* lists = t_patch_windows.get(size_t(2 * g.f * list + 2 * g.f + (ohw + 3) / 4 + ohw));
    int32_t* at_all = reinterpret_cast<int32_t*>(lists);
    float* d_all = lists + g.f * list;
    int64_t* counts = reinterpret_cast<int64_t*>(lists + 2 * g.f * list);
    int32_t* order = reinterpret_cast<int32_t*>(lists + 2 * g.f * list + 2 * g.f);
    uint8_t* needed = reinterpret_cast<uint8_t*>(lists + 2 * g.f * list + 2 * g.f + ohw);
    for (int64_t j = j0; j < j1; ++j) {
      float* part = partials + j * g.f * per_filter;
      std::memset(part, 0, sizeof(float) * size_t(g.f * per_filter));
      for (int64_t i = j * kPatchJobImages; i < std::min(g.n, (j + 1) * kPatchJobImages); ++i) {
        const auto find = [&](int64_t fi, int64_t slot) {
          const int64_t base = (i * g.f + fi) * pohw;
          return positive_windows(dout + base, out + base, argmax + base, pohw, ohw, base, first_bad,
                                  at_all + slot * list, d_all + slot * list);
        };
        if (lists_first)
          for (int64_t fi = 0; fi < g.f; ++fi) counts[fi] = find(fi, fi);
        if (winners_only) {
          std::memset(needed, 0, size_t(ohw));
          // The count and list in locals: through counts[fi] and at_all, which a byte store may
          // alias, every store was followed by their reloads (the marking took about 3% of
          // a LeNet5 step, under 1% since; Zen 4, one thread, perf).
          for (int64_t fi = 0; fi < g.f; ++fi) {
            const int32_t* const at = at_all + fi * list;
            const int64_t k = counts[fi];
            for (int64_t e = 0; e < k; ++e) needed[at[e]] = 1;
          }
        }
        make_patches(im2col_pad_image(x + i * in_size, g), g, row_offsets, stride, winners_only ? needed : nullptr,
                     order, patches);
        for (int64_t fi = 0; fi < g.f; ++fi) {
          const int64_t slot = lists_first ? fi : 0;
          const int64_t k = lists_first ? counts[fi] : find(fi, 0);
          const int32_t* at = at_all + slot * list;
          const float* d = d_all + slot * list;
          float* pf = part + fi * per_filter;
          for (int64_t q = 0; q < groups; ++q) {
            const int64_t v0 = q * nv / groups, v1 = (q + 1) * nv / groups;
            add_patches_for(v1 - v0)(patches + v0 * W, stride, at, d, k, pf + v0 * W);
          }
          V dsum = vload(pf + stride);
          for (int64_t e = 0; e < k; e += W) dsum = vadd(dsum, vloadm(d + e, tail_mask(k - e)));
          vstore(pf + stride, dsum);
        }
      }
    }
  });
  // The partials in job order.
  for (int64_t fi = 0; fi < g.f; ++fi) {
    for (int64_t v = 0; v < nv; ++v) {
      V s = vload(partials + fi * per_filter + v * W);
      for (int64_t j = 1; j < jobs; ++j) s = vadd(s, vload(partials + (j * g.f + fi) * per_filter + v * W));
      vstorem(dw + fi * ckk + v * W, s, tail_mask(std::min<int64_t>(W, ckk - v * W)));
    }
    V s = vload(partials + fi * per_filter + stride);
    for (int64_t j = 1; j < jobs; ++j) s = vadd(s, vload(partials + (j * g.f + fi) * per_filter + stride));
    db[fi] = vsum(s);
  }
  return first_bad.load();
}


// dw and db with the image channels-innermost, for 3 × 3 kernels on many channels (DeepConvNet's
// pooled layers: 16, 32 and 64 channels). Their patches (above) take c·kh stores of 3 taps each an
// output position, more work than the sums they feed; dense, the weight gradient multiplies the
// three zeros in four that the pooling leaves in dconv. Here each image is laid out once with its
// channels innermost and padded (xh: pixel (y, x) at (y·pw + x)·c), in which a patch's kernel row
// is kw·c adjacent floats: a positive window adds its gradient times its winner's kh rows of
// whole vectors read in place, every lane live when kw·c is a multiple of W. dw is summed in (ki,
// kj, channel) order, each kernel row padded to whole vectors, and put back in (channel, ki, kj)
// order at the end; jobs, images and windows in the same order as the patches' form, so the
// sums do not depend on the thread count.
#if defined(SN_TARGET_AVX512)
inline __m256 load_first8(const float* p, int64_t n) { return _mm256_maskz_loadu_ps(__mmask8((1u << n) - 1u), p); }
#else
inline __m256 load_first8(const float* p, int64_t n) { return vloadm(p, tail_mask(n)); }
#endif

// xh's interior = x_i (c, h, w), 8 channels × 8 pixels a block turned in registers; the borders
// are not written (zeroed once per job: no image writes them).
void pad_channels_last(const float* x_i, const ConvGeom& g, float* xh) {
  const int64_t pw = g.w + 2 * g.pad, hw = g.h * g.w, c = g.c;
  for (int64_t y = 0; y < g.h; ++y) {
    float* row = xh + ((y + g.pad) * pw + g.pad) * c;
    for (int64_t c0 = 0; c0 < c; c0 += 8) {
      const int64_t nc = std::min<int64_t>(8, c - c0);
      for (int64_t x0 = 0; x0 < g.w; x0 += 8) {
        const int64_t nx = std::min<int64_t>(8, g.w - x0);
        const float* src = x_i + c0 * hw + y * g.w + x0;
        __m256 r[8];
        SN_UNROLL
        for (int j = 0; j < 8; ++j)
          r[j] = j >= nc ? _mm256_setzero_ps() : nx == 8 ? _mm256_loadu_ps(src + j * hw) : load_first8(src + j * hw, nx);
        __m256 o[8];
        transpose_8x8(r, o);
        for (int64_t q = 0; q < nx; ++q) {
          if (nc == 8) _mm256_storeu_ps(row + (x0 + q) * c + c0, o[q]);
          else store_first8(row + (x0 + q) * c + c0, o[q], nc);
        }
      }
    }
  }
}

// acc (R kernel rows of KV vectors, rows acc_rs floats apart) += Σ_e d[e] · the same vectors of
// window e's patch: R rows rs floats apart from xh + first[at[e]] (its winner's first pixel).
template <int R, int KV>
void add_hwc_rows(const float* xh, int64_t rs, const int32_t* first, const int32_t* at, const float* d, int64_t k,
                  float* acc_mem, int64_t acc_rs) {
  add_windows<R, KV>(xh, rs, [first](int32_t a) { return int64_t(first[a]); }, at, d, k, acc_mem, acc_rs);
}

using AddHwcFn = void (*)(const float*, int64_t, const int32_t*, const int32_t*, const float*, int64_t, float*, int64_t);

// Kernel rows a group takes at most (the book's 3 × 3 kernels: all of them, when they fit).
constexpr int kMaxHwcRows = 3;

template <int R>
AddHwcFn add_hwc_for_kv(int64_t kv) {
  switch (kv) {
#define SN_CASE(n) \
  case n: return R * n <= kMaxPatchVectors ? add_hwc_rows<R, (R * n <= kMaxPatchVectors ? n : 1)> : nullptr;
    SN_CASE(1) SN_CASE(2) SN_CASE(3) SN_CASE(4) SN_CASE(5) SN_CASE(6) SN_CASE(7)
    SN_CASE(8) SN_CASE(9) SN_CASE(10) SN_CASE(11) SN_CASE(12) SN_CASE(13) SN_CASE(14)
#undef SN_CASE
    default: return nullptr;
  }
}

AddHwcFn add_hwc_for(int64_t rows, int64_t kv) {
  switch (rows) {
    case 1: return add_hwc_for_kv<1>(kv);
    case 2: return add_hwc_for_kv<2>(kv);
    case 3: return add_hwc_for_kv<3>(kv);
    default: return nullptr;
  }
}

// How a filter's kh kernel rows of kernel_row floats are cut into groups of rows × vectors that
// fit the registers: whole rows, up to kMaxHwcRows of them, when a row fits; else each row in
// chunks. Each group a pass over the windows (whose lists stay in L1).
struct HwcGroups {
  int64_t kernel_row;  // kw·c rounded up to whole vectors
  int64_t row_groups, chunks;  // kh rows in row_groups groups; each row's vectors in chunks
};

HwcGroups hwc_groups(const ConvGeom& g) {
  HwcGroups h{};
  h.kernel_row = (g.kw * g.c + W - 1) / W * W;
  const int64_t kv = h.kernel_row / W;
  if (kv <= kMaxPatchVectors) {
    const int64_t per = std::min<int64_t>(kMaxHwcRows, kMaxPatchVectors / kv);
    h.row_groups = (g.kh + per - 1) / per;
    h.chunks = 1;
  } else {
    h.row_groups = g.kh;
    h.chunks = (kv + kMaxPatchVectors - 1) / kMaxPatchVectors;
  }
  return h;
}

// Where the channels-innermost form applies: kernels narrower than the patches' (kw < 4: 3 × 3),
// whose kernel rows are at least three quarters live lanes (kw·c ≥ ¾ of the whole vectors: 16
// channels and more on AVX-512), an image that fits half of L2, and a kernel for every group.
bool hwc_applies(const ConvGeom& g) {
  if (g.kw >= 4 || g.kh < 1 || g.kw < 1) return false;
  const HwcGroups h = hwc_groups(g);
  if (4 * g.kw * g.c < 3 * h.kernel_row) return false;
  const int64_t bytes = ((g.h + 2 * g.pad) * (g.w + 2 * g.pad) * g.c + W) * int64_t(sizeof(float));
  if (bytes > l2_cache_bytes() / 2) return false;
  const int64_t kv = h.kernel_row / W;
  for (int64_t rg = 0; rg < h.row_groups; ++rg)
    for (int64_t ch = 0; ch < h.chunks; ++ch) {
      const int64_t rows = (rg + 1) * g.kh / h.row_groups - rg * g.kh / h.row_groups;
      const int64_t vecs = (ch + 1) * kv / h.chunks - ch * kv / h.chunks;
      if (!add_hwc_for(rows, vecs)) return false;
    }
  return true;
}

static thread_local Scratch t_hwc_image, t_hwc_first, t_hwc_taps;

int64_t backward_hwc(const float* dout, const float* out, const int32_t* argmax, const float* x, const ConvGeom& g,
                     const PoolGeom& p, float* dw, float* db) {
  const HwcGroups h = hwc_groups(g);
  const int64_t ckk = g.ckk(), ohw = g.ohw(), pohw = p.oh * p.ow, in_size = g.c * g.h * g.w;
  const int64_t pw = g.w + 2 * g.pad, ph = g.h + 2 * g.pad, rs = pw * g.c, kv = h.kernel_row / W;
  const int64_t taps_hwc = g.kh * h.kernel_row, per_filter = taps_hwc + W;  // dw's lanes, then db's
  const int64_t jobs = (g.n + kPatchJobImages - 1) / kPatchJobImages;
  const int64_t image_floats = ph * pw * g.c + W;  // W floats of slack: a kernel row's padding lanes
  float* partials = t_patch_partials.get(size_t(jobs * g.f * per_filter));
  // Each output position's first pixel in xh.
  int32_t* first = reinterpret_cast<int32_t*>(t_hwc_first.get(size_t(ohw)));
  for (int64_t q = 0; q < ohw; ++q) first[q] = int32_t(((q / g.ow) * g.stride * pw + (q % g.ow) * g.stride) * g.c);
  std::atomic<int64_t> first_bad{-1};
  const int64_t list = pohw + W;  // positive_windows stores whole vectors
  parallel_for_pieces(jobs, [&](int64_t j0, int64_t j1, int) {
    float* xh = t_hwc_image.get(size_t(image_floats));
    std::fill(xh, xh + image_floats, 0.0f);
    float* lists = t_patch_windows.get(size_t(2 * list));
    int32_t* at = reinterpret_cast<int32_t*>(lists);
    float* d = lists + list;
    for (int64_t j = j0; j < j1; ++j) {
      float* part = partials + j * g.f * per_filter;
      std::memset(part, 0, sizeof(float) * size_t(g.f * per_filter));
      for (int64_t i = j * kPatchJobImages; i < std::min(g.n, (j + 1) * kPatchJobImages); ++i) {
        pad_channels_last(x + i * in_size, g, xh);
        for (int64_t fi = 0; fi < g.f; ++fi) {
          const int64_t base = (i * g.f + fi) * pohw;
          const int64_t k = positive_windows(dout + base, out + base, argmax + base, pohw, ohw, base, first_bad, at, d);
          float* pf = part + fi * per_filter;
          for (int64_t rg = 0; rg < h.row_groups; ++rg) {
            const int64_t r0 = rg * g.kh / h.row_groups, r1 = (rg + 1) * g.kh / h.row_groups;
            for (int64_t ch = 0; ch < h.chunks; ++ch) {
              const int64_t v0 = ch * kv / h.chunks, v1 = (ch + 1) * kv / h.chunks;
              add_hwc_for(r1 - r0, v1 - v0)(xh + r0 * rs + v0 * W, rs, first, at, d, k, pf + r0 * h.kernel_row + v0 * W,
                                           h.kernel_row);
            }
          }
          V dsum = vload(pf + taps_hwc);
          for (int64_t e = 0; e < k; e += W) dsum = vadd(dsum, vloadm(d + e, tail_mask(k - e)));
          vstore(pf + taps_hwc, dsum);
        }
      }
    }
  });
  // The partials in job order, each lane put back at its (channel, ki, kj) place in dw.
  float* sums = t_hwc_taps.get(size_t(per_filter));
  for (int64_t fi = 0; fi < g.f; ++fi) {
    for (int64_t v = 0; v < per_filter / W; ++v) {
      V s = vload(partials + fi * per_filter + v * W);
      for (int64_t j = 1; j < jobs; ++j) s = vadd(s, vload(partials + (j * g.f + fi) * per_filter + v * W));
      vstore(sums + v * W, s);
    }
    for (int64_t ki = 0; ki < g.kh; ++ki)
      for (int64_t kj = 0; kj < g.kw; ++kj)
        for (int64_t ci = 0; ci < g.c; ++ci)
          dw[fi * ckk + (ci * g.kh + ki) * g.kw + kj] = sums[ki * h.kernel_row + kj * g.c + ci];
    db[fi] = vsum(vload(sums + taps_hwc));
  }
  return first_bad.load();
}

}  // namespace
#endif

bool pooled_weight_grad(const float* dout, const float* out, const int32_t* argmax, const float* x, const ConvGeom& g,
                        const PoolGeom& p, float* dw, float* db, int64_t* bad) {
#if SN_MASKED_SIMD
  // The form by patch rows reads one masked vector per patch row and window: it beats the dense
  // form's GEMM for wide rows (kw ≥ 4; SimpleConvNet conv1 0.72 vs 1.10 ms at batch 100 on
  // AVX-512) and needs no im2col. Where the patches fit in L2, by patches (backward_patches)
  // instead: whole steps ×0.93–0.95 (SimpleConvNet, LeNet5, AVX-512), ×0.96 and ×0.975 (AVX2),
  // Zen 5, 2 threads. 3 × 3 kernels on many channels (DeepConvNet's pooled layers), which took
  // the dense form, take the channels-innermost one (backward_hwc): DeepConvNet steps ×0.82
  // (AVX-512) and ×0.83 (AVX2), Zen 4, 2 threads, bench-ab.
  if (hwc_applies(g)) {
    *bad = backward_hwc(dout, out, argmax, x, g, p, dw, db);
    return true;
  }
  if (g.kw >= 4 && g.kw <= kSparseMaxKw) {
    *bad = patches_fit(g) ? backward_patches(dout, out, argmax, x, g, p, dw, db)
                          : backward_sparse(dout, out, argmax, x, g, p, dw, db);
    return true;
  }
#else
  (void)dout, (void)out, (void)argmax, (void)x, (void)g, (void)p, (void)dw, (void)db, (void)bad;
#endif
  return false;
}

SN_END_TARGET
