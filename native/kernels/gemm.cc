#include "kernels/gemm.h"

#include "kernels/scratch.h"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace sn {

// ---- the SIMD layer: one vector type, masked tails, FMA ------------------------------------

namespace {

#if defined(__AVX512F__)
constexpr int W = 16;  // floats per vector
using V = __m512;
using Mask = __mmask16;
inline V vzero() { return _mm512_setzero_ps(); }
inline V vset1(float x) { return _mm512_set1_ps(x); }
inline V vload(const float* p) { return _mm512_loadu_ps(p); }
// Masked-off lanes are neither read nor faulted on: tails may end at the last float of an array.
inline V vloadm(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
inline void vstore(float* p, V v) { _mm512_storeu_ps(p, v); }
inline void vstorem(float* p, V v, Mask m) { _mm512_mask_storeu_ps(p, m, v); }
inline V vfma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
inline V vadd(V a, V b) { return _mm512_add_ps(a, b); }
inline Mask tail_mask(int64_t n) { return n >= W ? Mask(0xFFFF) : Mask((1u << n) - 1u); }
inline float vsum(V v) { return _mm512_reduce_add_ps(v); }
// 10 rows × 3 vectors = 30 accumulators + 2 free of the 32 zmm registers (B is loaded into
// registers, A is broadcast straight from memory into the FMA).
constexpr int kMR = 10, kNV = 3;
// Dot-product tile for the conv weight gradient: 5 filters × 5 taps = 25 accumulators + 5 col
// vectors + 1 dout vector (measured ~5% faster than 8×3 on the book's 30×25 weights, which it
// also divides exactly when two threads take 15 filters each).
constexpr int kDotF = 5, kDotT = 5;
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int W = 8;
using V = __m256;
using Mask = __m256i;
inline V vzero() { return _mm256_setzero_ps(); }
inline V vset1(float x) { return _mm256_set1_ps(x); }
inline V vload(const float* p) { return _mm256_loadu_ps(p); }
inline V vloadm(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
inline void vstore(float* p, V v) { _mm256_storeu_ps(p, v); }
inline void vstorem(float* p, V v, Mask m) { _mm256_maskstore_ps(p, m, v); }
inline V vfma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
inline V vadd(V a, V b) { return _mm256_add_ps(a, b); }
inline Mask tail_mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(std::min<int64_t>(n, W))), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline float vsum(V v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
// 4 × 3 = 12 accumulators + 3 B vectors of the 16 ymm registers.
constexpr int kMR = 4, kNV = 3;
constexpr int kDotF = 4, kDotT = 3;
#else
constexpr int W = 1;
using V = float;
using Mask = bool;
inline V vzero() { return 0.0f; }
inline V vset1(float x) { return x; }
inline V vload(const float* p) { return *p; }
inline V vloadm(const float* p, Mask m) { return m ? *p : 0.0f; }
inline void vstore(float* p, V v) { *p = v; }
inline void vstorem(float* p, V v, Mask m) {
  if (m) *p = v;
}
inline V vfma(V a, V b, V c) { return a * b + c; }
inline V vadd(V a, V b) { return a + b; }
inline Mask tail_mask(int64_t n) { return n > 0; }
inline float vsum(V v) { return v; }
constexpr int kMR = 4, kNV = 4;
constexpr int kDotF = 4, kDotT = 4;
#endif

// Every loop over a register tile's rows/vectors must be unrolled completely: one loop left
// rolled makes the accumulator array addressable, and GCC then keeps it on the stack.
#define SN_UNROLL _Pragma("GCC unroll 32")

// Keeps v in a register: without it GCC folds the load into each FMA that uses it, and the dot
// tile then issues RT loads per vector instead of one (load-bound at 27 loads per 24 FMAs).
inline void pin(V& v) {
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
  asm("" : "+v"(v));
#else
  (void)v;
#endif
}

constexpr int kNR = kNV * W;  // columns per register tile
// Depth of one pass: a kKC × kNR slice of B (48 KB at most) is re-read by every row tile of the
// block from L1/L2, and C is reloaded once per pass.
constexpr int64_t kKC = 256;
// Rows of A packed at a time (kMC × kKC floats, 240 KB, stays in L2).
constexpr int64_t kMC = 240;

thread_local Scratch t_apack, t_bpack, t_dot;

// ---- the GEMM micro-kernel ------------------------------------------------------------------

// C(MR × nr) = A(MR × kc) · B(kc × nr) [+ C] [+ bias], nr ≤ NV·W (the last vector is masked by
// `last`). A is k-major (A(r, p) = a[p·a_step + r]: packed panels, or Aᵀ read in place), so each
// broadcast is a constant offset from one pointer; B(p, j) = b[p·ldb + j] (in place or packed).
template <int MR, int NV>
void micro_tile(int64_t kc, const float* a, int64_t a_step, const float* b, int64_t ldb, Mask last, float* c,
                int64_t ldc, bool add_c, const float* row_bias, const float* col_bias) {
  V acc[MR][NV];
  SN_UNROLL
  for (int r = 0; r < MR; ++r)
    SN_UNROLL
    for (int v = 0; v < NV; ++v) acc[r][v] = vzero();
  for (int64_t p = 0; p < kc; ++p) {
    V bv[NV];
    SN_UNROLL
    for (int v = 0; v < NV - 1; ++v) bv[v] = vload(b + v * W);
    bv[NV - 1] = vloadm(b + (NV - 1) * W, last);
    SN_UNROLL
    for (int r = 0; r < MR; ++r) {
      const V ar = vset1(a[r]);
      SN_UNROLL
      for (int v = 0; v < NV; ++v) acc[r][v] = vfma(ar, bv[v], acc[r][v]);
    }
    a += a_step;
    b += ldb;
  }
  SN_UNROLL
  for (int r = 0; r < MR; ++r) {
    float* cr = c + r * ldc;
    const V rb = row_bias ? vset1(row_bias[r]) : vzero();
    SN_UNROLL
    for (int v = 0; v < NV; ++v) {
      const bool full = v < NV - 1;
      V x = acc[r][v];
      if (row_bias) x = vadd(x, rb);
      if (col_bias) x = vadd(x, full ? vload(col_bias + v * W) : vloadm(col_bias + v * W, last));
      if (add_c) x = vadd(x, full ? vload(cr + v * W) : vloadm(cr + v * W, last));
      if (full) {
        vstore(cr + v * W, x);
      } else {
        vstorem(cr + v * W, x, last);
      }
    }
  }
}

using TileFn = void (*)(int64_t, const float*, int64_t, const float*, int64_t, Mask, float*, int64_t, bool,
                        const float*, const float*);

template <int MR>
TileFn tile_for_nv(int nv) {
  static_assert(kNV <= 4, "extend the switch below");
  switch (nv) {
    case 1: return micro_tile<MR, 1>;
    case 2: return micro_tile<MR, (kNV >= 2 ? 2 : 1)>;
    case 3: return micro_tile<MR, (kNV >= 3 ? 3 : 1)>;
    default: return micro_tile<MR, kNV>;
  }
}

// The instantiation for an edge tile of mr rows and nv vectors.
TileFn tile_for(int mr, int nv) {
  static_assert(kMR <= 10, "extend the switch below");
  switch (mr) {
    case 1: return tile_for_nv<1>(nv);
    case 2: return tile_for_nv<2>(nv);
    case 3: return tile_for_nv<3>(nv);
    case 4: return tile_for_nv<4>(nv);
    case 5: return tile_for_nv<(kMR >= 5 ? 5 : 1)>(nv);
    case 6: return tile_for_nv<(kMR >= 6 ? 6 : 1)>(nv);
    case 7: return tile_for_nv<(kMR >= 7 ? 7 : 1)>(nv);
    case 8: return tile_for_nv<(kMR >= 8 ? 8 : 1)>(nv);
    case 9: return tile_for_nv<(kMR >= 9 ? 9 : 1)>(nv);
    default: return tile_for_nv<kMR>(nv);
  }
}

}  // namespace

void sgemm_builtin(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                   const float* b, int64_t ldb, bool accumulate, const float* row_bias, const float* col_bias,
                   float* c, int64_t ldc) {
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
      // A as k-major panels of kMR rows: Aᵀ already is one (read in place); a row-major A is
      // packed once per block so every broadcast in the micro-kernel is a fixed offset.
      const float* ablock;
      int64_t a_step, panel_stride;
      if (trans_a) {
        ablock = a + p0 * lda + i0;
        a_step = lda;
        panel_stride = kMR;
      } else {
        float* ap = t_apack.get(size_t((mc + kMR - 1) / kMR * kMR * kc));
        for (int64_t q = 0; q < mc; q += kMR) {
          const int64_t mr = std::min<int64_t>(kMR, mc - q);
          float* dst = ap + q * kc;
          for (int64_t r = 0; r < mr; ++r) {
            const float* src = a + (i0 + q + r) * lda + p0;
            for (int64_t p = 0; p < kc; ++p) dst[p * kMR + r] = src[p];
          }
        }
        ablock = ap;
        a_step = kMR;
        panel_stride = kMR * kc;
      }
      for (int64_t j0 = 0; j0 < n; j0 += kNR) {
        const int64_t nr = std::min<int64_t>(kNR, n - j0);
        const int nv = int((nr + W - 1) / W);
        const Mask last = tail_mask(nr - (nv - 1) * W);
        const float* bpanel;
        int64_t b_step;
        if (!trans_b) {
          bpanel = b + p0 * ldb + j0;
          b_step = ldb;
        } else {
          // Bᵀ rows are B's columns: gather them into a kc × kNR panel read by every row tile.
          float* bp = t_bpack.get(size_t(kKC * kNR));
          for (int64_t j = 0; j < nr; ++j) {
            const float* src = b + (j0 + j) * ldb + p0;
            for (int64_t p = 0; p < kc; ++p) bp[p * kNR + j] = src[p];
          }
          bpanel = bp;
          b_step = kNR;
        }
        for (int64_t q = 0; q < mc; q += kMR) {
          const int mr = int(std::min<int64_t>(kMR, mc - q));
          tile_for(mr, nv)(kc, ablock + (q / kMR) * panel_stride, a_step, bpanel, b_step, last,
                           c + (i0 + q) * ldc + j0, ldc, add_c, rb ? rb + i0 + q : nullptr, cb ? cb + j0 : nullptr);
        }
      }
    }
  }
}

// ---- the convolution weight gradient --------------------------------------------------------

namespace {

// acc(RF × RT) += Σ_i Σ_q a_f(i, q)·b_t(i, q) over q < p and images i < nimg, lane-wise (no
// horizontal sum here); a rows are dout rows, b rows col rows, both `ld` floats apart within an
// image and a_img / b_img floats apart between images. out(f, t) is at out[f·out_ld + t].
// The accumulators stay in registers across the images: with small maps (P = 49 or 100) one
// image is only 4–7 vector steps, and flushing RF·RT accumulators to memory after each image
// cost as much as the FMAs.
template <int RF, int RT>
void dot_tile(int64_t p, int64_t nimg, const float* a, int64_t a_img, const float* b, int64_t b_img, int64_t ld,
              V* out, int64_t out_ld) {
  V acc[RF][RT];
  SN_UNROLL
  for (int f = 0; f < RF; ++f)
    SN_UNROLL
    for (int t = 0; t < RT; ++t) acc[f][t] = vzero();
  const Mask m = tail_mask(p % W);
  for (int64_t i = 0; i < nimg; ++i, a += a_img, b += b_img) {
    int64_t q = 0;
    for (; q + W <= p; q += W) {
      V bv[RT];
      SN_UNROLL
      for (int t = 0; t < RT; ++t) bv[t] = vload(b + t * ld + q);
      SN_UNROLL
      for (int f = 0; f < RF; ++f) {
        V av = vload(a + f * ld + q);
        pin(av);
        SN_UNROLL
        for (int t = 0; t < RT; ++t) acc[f][t] = vfma(av, bv[t], acc[f][t]);
      }
    }
    if (q < p) {  // masked tail: lanes past p read as 0 and add nothing
      V bv[RT];
      SN_UNROLL
      for (int t = 0; t < RT; ++t) bv[t] = vloadm(b + t * ld + q, m);
      SN_UNROLL
      for (int f = 0; f < RF; ++f) {
        const V av = vloadm(a + f * ld + q, m);
        SN_UNROLL
        for (int t = 0; t < RT; ++t) acc[f][t] = vfma(av, bv[t], acc[f][t]);
      }
    }
  }
  SN_UNROLL
  for (int f = 0; f < RF; ++f)
    SN_UNROLL
    for (int t = 0; t < RT; ++t) out[f * out_ld + t] = vadd(out[f * out_ld + t], acc[f][t]);
}

using DotFn = void (*)(int64_t, int64_t, const float*, int64_t, const float*, int64_t, int64_t, V*, int64_t);

// Register tiles (filters × taps) the weight gradient may use: RF·RT accumulators + RT col
// vectors + 1 dout vector must fit the register file. The best one depends on f and ckk (few
// filters want a tall tile, e.g. LeNet's 6 filters 6×4; 16 filters 8×3 or 4×6).
struct DotShape {
  int rf, rt;
};
#if defined(__AVX512F__)
constexpr DotShape kDotShapes[] = {{kDotF, kDotT}, {6, 4}, {4, 6}, {8, 3}};
constexpr int kDotMaxF = 8, kDotMaxT = 6;
#else
constexpr DotShape kDotShapes[] = {{kDotF, kDotT}};
constexpr int kDotMaxF = kDotF, kDotMaxT = kDotT;
#endif

template <int RF, int RT>
DotFn dot_fn() {
  // Edge tiles outside every shape above are never asked for; map them to a valid instantiation.
  if constexpr (RF * RT + RT + 1 <= 32 || W == 1) {
    return dot_tile<RF, RT>;
  } else {
    return nullptr;
  }
}

template <int RF>
DotFn dot_for_rt(int rt) {
  static_assert(kDotMaxT <= 6, "extend the switch below");
  switch (rt) {
    case 1: return dot_fn<RF, 1>();
    case 2: return dot_fn<RF, (kDotMaxT >= 2 ? 2 : 1)>();
    case 3: return dot_fn<RF, (kDotMaxT >= 3 ? 3 : 1)>();
    case 4: return dot_fn<RF, (kDotMaxT >= 4 ? 4 : 1)>();
    case 5: return dot_fn<RF, (kDotMaxT >= 5 ? 5 : 1)>();
    default: return dot_fn<RF, kDotMaxT>();
  }
}

DotFn dot_for(int rf, int rt) {
  static_assert(kDotMaxF <= 8, "extend the switch below");
  switch (rf) {
    case 1: return dot_for_rt<1>(rt);
    case 2: return dot_for_rt<(kDotMaxF >= 2 ? 2 : 1)>(rt);
    case 3: return dot_for_rt<(kDotMaxF >= 3 ? 3 : 1)>(rt);
    case 4: return dot_for_rt<(kDotMaxF >= 4 ? 4 : 1)>(rt);
    case 5: return dot_for_rt<(kDotMaxF >= 5 ? 5 : 1)>(rt);
    case 6: return dot_for_rt<(kDotMaxF >= 6 ? 6 : 1)>(rt);
    case 7: return dot_for_rt<(kDotMaxF >= 7 ? 7 : 1)>(rt);
    default: return dot_for_rt<kDotMaxF>(rt);
  }
}

// Cycles-like cost of covering rows × cols with rf × rt tiles, edges included: a tile step is
// bound by its FMAs (rf·rt) or by its loads (rf + rt), whichever is larger.
int64_t tiling_cost(int64_t rows, int64_t cols, int rf, int rt) {
  const auto step = [](int64_t a, int64_t b) { return std::max(a * b, a + b); };
  const int64_t fr = rows / rf, er = rows % rf, fc = cols / rt, ec = cols % rt;
  int64_t c = fr * fc * step(rf, rt);
  if (er) c += fc * step(er, rt);
  if (ec) c += fr * step(rf, ec);
  if (er && ec) c += step(er, ec);
  return c;
}

}  // namespace

WeightGradPlan conv_weight_grad_plan(int64_t f, int64_t ckk, int64_t p, int64_t n) {
  // Fewest padded filter rows first: every filter block streams all of col (the large operand)
  // from L2 once, so a tile that covers f exactly in tall blocks reads col the fewest times
  // (measured: 8×3 over 6×4/5×5 for 16–64 filters, −10…20%; 6×4 for LeNet's 6). Then the
  // FMA/load cost of the tiling, then the taller tile.
  WeightGradPlan plan{kDotShapes[0].rf, kDotShapes[0].rt, 1};
  int64_t best_rows = -1, best_cost = -1;
  for (const DotShape& s : kDotShapes) {
    const int64_t rows = (f + s.rf - 1) / s.rf * s.rf, cost = tiling_cost(f, ckk, s.rf, s.rt);
    const bool better = best_rows < 0 || rows < best_rows || (rows == best_rows && cost < best_cost) ||
                        (rows == best_rows && cost == best_cost && s.rf > plan.rf);
    if (better) {
      best_rows = rows;
      best_cost = cost;
      plan.rf = s.rf;
      plan.rt = s.rt;
    }
  }
  // Images per accumulator pass: as many as keep one tile's dout and col rows ((rf + rt)·P
  // floats an image) within ~32 KB of L1, where the dout rows then stay while the tile walks
  // the taps; more images spill them to L2 (measured ~20% slower on SimpleConvNet's P = 576).
  plan.images = std::clamp<int64_t>(8192 / std::max<int64_t>((plan.rf + plan.rt) * p, 1), 1, std::max<int64_t>(n, 1));
  return plan;
}

void conv_weight_grad(const WeightGradPlan& plan, int64_t f0, int64_t f1, int64_t t0, int64_t t1, int64_t ckk,
                      int64_t p, int64_t n, const float* dout, int64_t dout_stride, const float* col,
                      int64_t col_stride, float* dw, float* db) {
  // dout_i is (f, p), col_i is (ckk, p); dw is (f, ckk), db is (f); this call owns dw[f0, f1)[t0, t1)
  const int64_t nf = f1 - f0, nt = t1 - t0;
  if (nt <= 0 || nf <= 0) return;
  const bool with_db = t0 == 0;
  // Lane-wise partial sums: nf·nt vectors for dw, then nf for db.
  V* acc = reinterpret_cast<V*>(t_dot.get(size_t((nf * nt + nf) * W)));
  V* dbacc = acc + nf * nt;
  for (int64_t e = 0; e < nf * nt + nf; ++e) acc[e] = vzero();
  const Mask tail = tail_mask(p % W == 0 ? W : p % W);
  const int64_t p_full = p % W == 0 ? p : p - p % W;
  // Image groups outermost: a group's dout and col rows stay in L2 while every tile reads them.
  for (int64_t i0 = 0; i0 < n; i0 += plan.images) {
    const int64_t ni = std::min<int64_t>(plan.images, n - i0);
    const float* d_i = dout + i0 * dout_stride;
    const float* c_i = col + i0 * col_stride;
    for (int64_t fb = f0; fb < f1; fb += plan.rf) {
      const int rf = int(std::min<int64_t>(plan.rf, f1 - fb));
      const float* arows = d_i + fb * p;
      for (int64_t tb = t0; tb < t1; tb += plan.rt) {
        const int rt = int(std::min<int64_t>(plan.rt, t1 - tb));
        dot_for(rf, rt)(p, ni, arows, dout_stride, c_i + tb * p, col_stride, p, acc + (fb - f0) * nt + (tb - t0), nt);
      }
    }
    if (!with_db) continue;
    for (int64_t i = i0; i < i0 + ni; ++i) {
      for (int64_t fi = f0; fi < f1; ++fi) {
        const float* row = dout + i * dout_stride + fi * p;
        V s = vzero();
        for (int64_t q = 0; q < p_full; q += W) s = vadd(s, vload(row + q));
        if (p_full < p) s = vadd(s, vloadm(row + p_full, tail));
        dbacc[fi - f0] = vadd(dbacc[fi - f0], s);
      }
    }
  }
  for (int64_t fi = 0; fi < nf; ++fi) {
    for (int64_t t = 0; t < nt; ++t) dw[(f0 + fi) * ckk + t0 + t] = vsum(acc[fi * nt + t]);
    if (with_db) db[f0 + fi] = vsum(dbacc[fi]);
  }
}

// ---- dispatch --------------------------------------------------------------------------------

static std::atomic<GemmImpl> g_impl{gemm_auto_choice()};

GemmImpl gemm_auto_choice() {
  const char* core = openblas_get_corename();
  const std::string name = core ? core : "";
  // OpenBLAS core names whose SGEMM kernels use AVX2/FMA or AVX-512 (case-insensitive).
  static const char* const kWide[] = {"haswell", "skylakex", "cooperlake", "sapphirerapids", "zen", "excavator",
                                      "neoversen1", "neoversen2", "neoversev1", "armv8", "cortexa", "vortex",
                                      "thunderx", "power", "z14", "z13"};
  std::string lower;
  for (char ch : name) lower += char(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  for (const char* w : kWide)
    if (lower.find(w) != std::string::npos) return GemmImpl::OpenBlas;
#if defined(__AVX__)
  return GemmImpl::Builtin;  // OpenBLAS chose an SSE-only kernel on a CPU that has AVX or better
#else
  return GemmImpl::OpenBlas;
#endif
}

GemmImpl gemm_impl() { return g_impl.load(std::memory_order_relaxed); }
void set_gemm_impl(GemmImpl impl) { g_impl.store(impl, std::memory_order_relaxed); }
const char* gemm_impl_name(GemmImpl impl) { return impl == GemmImpl::Builtin ? "builtin" : "openblas"; }

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, bool accumulate, float* c, int64_t ldc) {
  if (gemm_impl() == GemmImpl::Builtin) {
    sgemm_builtin(trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, nullptr, nullptr, c, ldc);
    return;
  }
  if (m <= 0 || n <= 0) return;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, int(m), int(n),
              int(k), 1.0f, a, int(lda), b, int(ldb), accumulate ? 1.0f : 0.0f, c, int(ldc));
}

void sgemm_bias(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                const float* b, int64_t ldb, const float* row_bias, const float* col_bias, float* c, int64_t ldc) {
  if (gemm_impl() == GemmImpl::Builtin) {
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

}  // namespace sn
