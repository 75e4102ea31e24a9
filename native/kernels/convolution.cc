#include "kernels/convolution.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>

#include "kernels/conv_forward_lanes.h"
#include "kernels/conv_weight_grad.h"
#include "kernels/gemm.h"
#include "kernels/gemm_choice.h"
#include "kernels/im2col.h"
#include "kernels/nonzero_rows.h"
#include "kernels/pool_windows.h"
#include "kernels/scratch.h"
#include "kernels/threadpool.h"
#include "simd/dispatch.h"
#include "simd/vec.h"

SN_BEGIN_TARGET

// dcol_n of the image a thread is on (c·kh·kw × oh·ow).
static thread_local Scratch t_dcol;

#if SN_MASKED_SIMD
// The widest filter row the direct kernel handles (its load masks are precomputed per tap column).
constexpr int64_t kDirectMaxKw = 16;

// An output row's accumulators plus the bias, into out (filter fi's row at out + fi·ohw).
template <int F, int NC>
__attribute__((always_inline)) inline void store_output_row(const V (&acc)[F][NC], const float* b, float* out,
                                                            int64_t ohw, const int64_t (&n_out)[NC]) {
  SN_UNROLL
  for (int fi = 0; fi < F; ++fi) {
    const V bv = vset1(b[fi]);
    SN_UNROLL
    for (int ch = 0; ch < NC; ++ch) vstore_first(out + fi * ohw + W * ch, vadd(acc[fi][ch], bv), n_out[ch]);
  }
}

// The kw taps of one filter row for the chunks in Live (bit ch: chunk ch), from the input row
// src (output column oj reads src[oj + kj]); w points at the row's first tap of filter 0.
template <int F, int NC, unsigned Live, bool StoreCol>
__attribute__((always_inline)) inline void row_taps(V (&acc)[F][NC], const float* src, const float* w, int64_t ckk,
                                                    int64_t kw, float* dst, int64_t ohw, const int64_t (&n_out)[NC]) {
#if defined(SN_TARGET_AVX2)
  // SimpleConvNet's layer ×0.90, LeNet's first ×0.96 on Zen 3 (unrolled 8: slower than
  // rolled; a 5-tap row fully unrolled, kw a constant: ×1.3–1.4 slower); AVX-512 is not
  // measured and keeps GCC's choice.
#pragma GCC unroll 4
#endif
  for (int64_t kj = 0; kj < kw; ++kj) {
    V v[NC];
    SN_UNROLL
    for (int ch = 0; ch < NC; ++ch) {
      if (!(Live >> ch & 1u)) continue;
      v[ch] = vload(src + kj + W * ch);
      if (StoreCol) vstore_first(dst + kj * ohw + W * ch, v[ch], n_out[ch]);
    }
    SN_UNROLL
    for (int fi = 0; fi < F; ++fi) {
      const V wv = vset1(w[fi * ckk + kj]);
      SN_UNROLL
      for (int ch = 0; ch < NC; ++ch)
        if (Live >> ch & 1u) acc[fi][ch] = vfma(wv, v[ch], acc[fi][ch]);
    }
  }
}

// row_taps for the chunks in live, a run-time mask: one instantiation per mask.
template <int F, int NC, bool StoreCol, unsigned Live = (1u << NC) - 1>
__attribute__((always_inline)) inline void live_row_taps(unsigned live, V (&acc)[F][NC], const float* src,
                                                         const float* w, int64_t ckk, int64_t kw, float* dst,
                                                         int64_t ohw, const int64_t (&n_out)[NC]) {
  if constexpr (Live > 0) {
    if (live != Live) return live_row_taps<F, NC, StoreCol, Live - 1>(live, acc, src, w, ckk, kw, dst, ohw, n_out);
    row_taps<F, NC, Live, StoreCol>(acc, src, w, ckk, kw, dst, ohw, n_out);
  }
}

// Which output chunks of W columns each padded input row can reach with a non-zero value: bit j
// of live[ci·ph + r] is set unless row r of plane ci is ±0 in every column that chunk j's taps
// read (columns jW … min((j + 1)W, ow) + kw − 2). A handwritten digit leaves about a third of
// MNIST's (row, chunk) pairs zero. NaN and ±∞ count as non-zero. live needs c·ph entries.
static void live_chunks(const float* xp, const ConvGeom& g, uint32_t* live) {
  const int64_t pw = g.w + 2 * g.pad, ph = g.h + 2 * g.pad, chunks = (g.ow + W - 1) / W;
  uint64_t span[64 / W];
  for (int64_t j = 0; j < chunks; ++j) {
    const int64_t width = std::min<int64_t>(W, g.ow - j * W) + g.kw - 1;
    span[j] = (width >= 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1) << (j * W);
  }
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t r = 0; r < g.c * ph; ++r) {
    const float* row = xp + r * pw;
    uint64_t nonzero = 0;  // bit x: column x is not ±0 (past pw: the next row, masked off below)
    // 8 columns a step whatever W is (the loads are 8 wide).
    for (int64_t x = 0; x < pw; x += 8)
      nonzero |= uint64_t(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(row + x), zero, _CMP_NEQ_UQ))) << x;
    if (pw < 64) nonzero &= (uint64_t(1) << pw) - 1;
    uint32_t bits = 0;
    for (int64_t j = 0; j < chunks; ++j)
      if (nonzero & span[j]) bits |= 1u << j;
    live[r] = bits;
  }
}

// The sums of output row oi, columns c0 … c0 + NC·W − 1 (the lanes past ow are never stored), of
// F filters, into acc (without the bias). live (optional, live_chunks): each filter row's taps
// only for the chunks its input row reaches with a non-zero value.
template <int F, int NC, bool StoreCol>
__attribute__((always_inline)) inline void direct_row_sums(V (&acc)[F][NC], const float* xp, const float* w,
                                                           const ConvGeom& g, int64_t oi, int64_t c0,
                                                           const int64_t (&n_out)[NC], float* col_n,
                                                           const uint32_t* live) {
  const int64_t ckk = g.ckk(), ow = g.ow, ohw = g.oh * g.ow;
  const int64_t pw = g.w + 2 * g.pad, ph = g.h + 2 * g.pad;
  constexpr unsigned kAll = (1u << NC) - 1;
  SN_UNROLL
  for (int fi = 0; fi < F; ++fi)
    SN_UNROLL
    for (int ch = 0; ch < NC; ++ch) acc[fi][ch] = vzero();
  float* dst = col_n + oi * ow + c0;
  int64_t tap = 0;
  for (int64_t ci = 0; ci < g.c; ++ci) {
    for (int64_t ki = 0; ki < g.kh; ++ki, tap += g.kw) {
      // output column oj reads padded column oj + kj
      const float* src = xp + ci * ph * pw + (oi + ki) * pw + c0;
      if (!live) {
        row_taps<F, NC, kAll, StoreCol>(acc, src, w + tap, ckk, g.kw, dst + tap * ohw, ohw, n_out);
      } else {
        live_row_taps<F, NC, StoreCol>((live[ci * ph + oi + ki] >> (c0 / W)) & kAll, acc, src, w + tap, ckk, g.kw,
                                       dst + tap * ohw, ohw, n_out);
      }
    }
  }
}

// Output row oi, columns c0 … c0 + NC·W − 1, of F filters: the sums plus the bias into out_n.
template <int F, int NC, bool StoreCol>
__attribute__((always_inline)) inline void direct_output_row(const float* xp, const float* w, const float* b,
                                                             const ConvGeom& g, int64_t oi, int64_t c0,
                                                             const int64_t (&n_out)[NC], float* out_n, float* col_n,
                                                             const uint32_t* live) {
  V acc[F][NC];
  direct_row_sums<F, NC, StoreCol>(acc, xp, w, g, oi, c0, n_out, col_n, live);
  store_output_row(acc, b, out_n + oi * g.ow + c0, g.oh * g.ow, n_out);
}


// One image, stride 1, F filters, output columns in chunks of NC vectors: im2col and the GEMM
// in one pass. Each tap's shifted input row is loaded once, stored into col_n (backward needs
// it) and multiplied into F × NC accumulators while still in a register. With few filters
// (LeNet's first layer: 6 filters, 25 taps) the GEMM ran a 6-row tile through a 25-deep loop
// and read col_n back from L2 right after im2col wrote it; this reads the input once and skips
// that pass (LeNet conv1 forward 0.65 → 0.51 ms on one AVX-512 core). Taps are summed in col
// order from 0 and the bias added last, as the GEMM does.
// The taps' rows are read from the zero-bordered image, xp = im2col_pad_image(x_n), with plain
// loads. Through vmaskmovps (a mask per tap and chunk, the padding rows masked off) this kernel
// took twice the time on Zen 3: LeNet's first layer, 12% of its training step; AVX-512 read the
// unpadded image through masks until 2026-12-02 (its whole steps the same either way). The lanes
// past a row's outputs read the next row or the scratch's slack and are never stored.
template <int F, int NC, bool StoreCol>
static void conv_forward_direct_rows(const float* xp, const float* w, const float* b, const ConvGeom& g,
                                     float* out_n, float* col_n, const uint32_t* live = nullptr) {
  // w is (F, ckk), col_n is (ckk, oh·ow), out_n is (F, oh·ow). live (optional):
  // live_chunks(xp); the taps whose inputs are zero in every lane a chunk stores add nothing
  // there and are skipped: about a third of them for MNIST. With finite weights (the caller's
  // check) that changes no bit: each skipped term is w·(±0) = ±0, and an accumulator that starts
  // at +0 never holds −0. On MNIST's test images (one thread, Zen 3): SimpleConvNet's layer
  // ×0.89–0.90, LeNet's first ×0.85–0.87; whole inference ×0.94–0.96, a training step ×0.97–0.98
  // (its forward skips them too). Skipping the chunks a whole output row's patches leave zero,
  // with one branch a row instead of one per filter row, gained nothing (×1.00).
  const int64_t ow = g.ow;
  for (int64_t c0 = 0; c0 < ow; c0 += NC * W) {
    int64_t n_out[NC];  // columns of each chunk's vector that are outputs
    for (int ch = 0; ch < NC; ++ch) n_out[ch] = ow - c0 - W * ch;
    for (int64_t oi = 0; oi < g.oh; ++oi)
      direct_output_row<F, NC, StoreCol>(xp, w, b, g, oi, c0, n_out, out_n, col_n, StoreCol ? nullptr : live);
  }
}

// The padded image is made per call; direct_in_groups below makes it once for all its groups.
static const float* direct_input(const float* x_n, const ConvGeom& g) {
  return im2col_pad_image(x_n, g);
}

static thread_local Scratch t_live;

// live_chunks of the padded image xp in the calling thread's scratch, or null (every chunk
// computed) where zeros cannot be skipped: col is kept (it needs every tap), a weight is not
// finite.
static const uint32_t* direct_live(const float* xp, const ConvGeom& g, bool finite, bool store_col) {
  if (store_col || !finite) return nullptr;
  static_assert(sizeof(uint32_t) == sizeof(float), "live bits are kept in float-sized slots");
  uint32_t* live = reinterpret_cast<uint32_t*>(t_live.get(size_t(g.c * (g.h + 2 * g.pad))));
  live_chunks(xp, g, live);
  return live;
}

template <int F, int NC, bool StoreCol>
static void conv_forward_direct_image(const float* x_n, const float* w, bool finite, const float* b,
                                      const ConvGeom& g, float* out_n, float* col_n) {
  // x_n is (c, h, w)
  const float* xp = direct_input(x_n, g);
  conv_forward_direct_rows<F, NC, StoreCol>(xp, w, b, g, out_n, col_n, direct_live(xp, g, finite, StoreCol));
}

using DirectFn = void (*)(const float*, const float*, bool, const float*, const ConvGeom&, float*, float*);

template <int NC, bool StoreCol>
static DirectFn direct_for_f(int64_t f) {
  switch (f) {
    case 1: return conv_forward_direct_image<1, NC, StoreCol>;
    case 2: return conv_forward_direct_image<2, NC, StoreCol>;
    case 3: return conv_forward_direct_image<3, NC, StoreCol>;
    case 4: return conv_forward_direct_image<4, NC, StoreCol>;
    case 5: return conv_forward_direct_image<5, NC, StoreCol>;
    case 6: return conv_forward_direct_image<6, NC, StoreCol>;
    case 7: return conv_forward_direct_image<7, NC, StoreCol>;
    case 8: return conv_forward_direct_image<8, NC, StoreCol>;
    default: return nullptr;
  }
}

// The fused kernel for this shape, or null when the im2col + GEMM path is the better one: the
// accumulators (f × NC vectors) must fit in registers, and with more filters the GEMM's tile
// wins (LeNet conv2, 16 filters on 10-wide rows: 0.72 ms as im2col + GEMM, 1.1 ms direct on
// AVX-512, whose every FMA then waits on a broadcast load and uses 10 of 16 lanes).
static DirectFn direct_for(const ConvGeom& g, bool keep_col) {
  if (g.stride != 1 || g.f > 8 || g.ow > 32 || g.kw > kDirectMaxKw) return nullptr;
#if defined(SN_TARGET_AVX512)
  // 32 registers: up to 8 × 2 accumulators, one chunk for rows of up to 32 columns.
  const bool two = g.ow > W;
#else
  // 16 registers: 6 × 2 accumulators + 2 inputs + 1 broadcast at most; 7 or 8 filters take one
  // vector per chunk.
  const bool two = g.ow > W && g.f <= 6;
#endif
  if (keep_col) return two ? direct_for_f<2, true>(g.f) : direct_for_f<1, true>(g.f);
  return two ? direct_for_f<2, false>(g.f) : direct_for_f<1, false>(g.f);
}

// The direct kernel over any number of filters, F at a time (the last group takes what is left),
// the input padded once for all of them.
template <int F, int NC>
static void direct_in_groups(const float* x_n, const float* w, bool finite, const float* b, const ConvGeom& g,
                             float* out_n, float* col_n) {
  static_assert(F <= 4, "the remainder switch below takes up to 3 filters");
  const int64_t ckk = g.ckk(), ohw = g.ohw();
  const float* xp = direct_input(x_n, g);
  const uint32_t* live = direct_live(xp, g, finite, false);
  int64_t f0 = 0;
  for (; f0 + F <= g.f; f0 += F)
    conv_forward_direct_rows<F, NC, false>(xp, w + f0 * ckk, b + f0, g, out_n + f0 * ohw, col_n, live);
  switch (g.f - f0) {
    case 1: return conv_forward_direct_rows<1, NC, false>(xp, w + f0 * ckk, b + f0, g, out_n + f0 * ohw, col_n, live);
    case 2:
      return conv_forward_direct_rows<(F > 2 ? 2 : 1), NC, false>(xp, w + f0 * ckk, b + f0, g, out_n + f0 * ohw, col_n,
                                                                  live);
    case 3:
      return conv_forward_direct_rows<(F > 3 ? 3 : 1), NC, false>(xp, w + f0 * ckk, b + f0, g, out_n + f0 * ohw, col_n,
                                                                  live);
    default: return;
  }
}

// Many filters over few taps on rows of 17–24 columns (SimpleConvNet's 30 filters, 25 taps,
// 24-wide rows): the direct kernel 4 filters × 3 vectors at a time (direct_in_groups), AVX2 only.
[[maybe_unused]] static bool direct_in_groups_fits(const ConvGeom& g) {
#if defined(SN_TARGET_AVX2)
  return g.stride == 1 && g.f > 8 && g.ckk() <= 32 && g.ow > 2 * W && g.ow <= 3 * W && g.kw <= kDirectMaxKw;
#else
  (void)g;
  return false;
#endif
}

#if defined(SN_TARGET_AVX2)
namespace {

// 8 windows of 2 × 2 from two convolution rows' 16 columns (a0 b0 the upper row's two vectors,
// a1 b1 the lower's; pool_windows8) → their maxima after the Relu, the first n stored to out;
// Argmax: each window's winner too, as a cell of the (oh, ow) plane counted from cell0.
template <bool Argmax>
__attribute__((always_inline)) inline void pool_windows(V a0, V b0, V a1, V b1, int64_t n, float* out,
                                                        int32_t* at_out, int32_t cell0, int32_t ow) {
  const Windows8 win = pool_windows8<Argmax>(a0, b0, a1, b1, cell0, ow);
  vstore_first(out, _mm256_max_ps(win.best, _mm256_setzero_ps()), n);  // NaN > 0 is false: 0, as Relu gives
  if constexpr (Argmax) vstore_first(reinterpret_cast<float*>(at_out), _mm256_castsi256_ps(win.at), n);
}

// conv_forward_direct_rows with the 2 × 2 stride-2 pooling and the Relu after each pair of output
// rows: the two rows' sums (plus the bias, as store_output_row adds it) are pooled from registers
// and the stack, so the convolution's map (SimpleConvNet's 69 KB an image) is never written to L2
// and read back by pool_plane. out_n and argmax_n are (F, oh/2, ow/2) planes of (f, …) outputs.
template <int F, int NC, bool Argmax>
void direct_pooled_rows(const float* xp, const float* w, const float* b, const ConvGeom& g, const uint32_t* live,
                        int64_t pohw, float* out_n, int32_t* argmax_n) {
  const int64_t ow = g.ow, pow = ow / 2;
  const int64_t n_out[NC] = {};  // no im2col stored
  for (int64_t c0 = 0; c0 < ow; c0 += NC * W) {
    const int64_t windows = std::min<int64_t>(NC * W, ow - c0) / 2;
    for (int64_t pr = 0; pr < g.oh / 2; ++pr) {
      V upper[F][NC], lower[F][NC];
      direct_row_sums<F, NC, false>(upper, xp, w, g, 2 * pr, c0, n_out, nullptr, live);
      direct_row_sums<F, NC, false>(lower, xp, w, g, 2 * pr + 1, c0, n_out, nullptr, live);
      const int64_t at = pr * pow + c0 / 2;
      const int32_t cell0 = int32_t(2 * pr * ow + c0);
      SN_UNROLL
      for (int fi = 0; fi < F; ++fi) {
        const V bias = vset1(b[fi]);
        // vectors ch and ch + 1 hold 16 columns, 8 windows; an odd last vector alone 4
        SN_UNROLL
        for (int ch = 0; ch < NC; ch += 2) {
          const int64_t n = std::min<int64_t>(W, windows - ch * W / 2);
          if (n <= 0) break;
          const int c1 = ch + 1 < NC ? ch + 1 : ch;
          pool_windows<Argmax>(vadd(upper[fi][ch], bias), vadd(upper[fi][c1], bias), vadd(lower[fi][ch], bias),
                               vadd(lower[fi][c1], bias), n, out_n + fi * pohw + at + ch * W / 2,
                               Argmax ? argmax_n + fi * pohw + at + ch * W / 2 : nullptr, cell0 + int32_t(ch * W),
                               int32_t(ow));
        }
      }
    }
  }
}

using DirectPooledFn = void (*)(const float*, const float*, const float*, const ConvGeom&, const uint32_t*, int64_t,
                                float*, int32_t*);

template <int NC, bool Argmax>
DirectPooledFn direct_pooled_for_f(int64_t f) {
  switch (f) {
    case 1: return direct_pooled_rows<1, NC, Argmax>;
    case 2: return direct_pooled_rows<2, NC, Argmax>;
    case 3: return direct_pooled_rows<3, NC, Argmax>;
    case 4: return direct_pooled_rows<4, NC, Argmax>;
    case 5: return direct_pooled_rows<5, NC, Argmax>;
    case 6: return direct_pooled_rows<6, NC, Argmax>;
    case 7: return direct_pooled_rows<7, NC, Argmax>;
    case 8: return direct_pooled_rows<8, NC, Argmax>;
    default: return nullptr;
  }
}

template <bool Argmax>
void direct_pooled_image(const float* xp, const uint32_t* live, const ForwardWeights& fw, const float* b,
                         const ConvGeom& g, float* out_n, int32_t* argmax_n) {
  const int64_t ckk = g.ckk(), pohw = (g.oh / 2) * (g.ow / 2);
  if (g.f <= 8) {
    // the filters and vectors direct_for picks
    const bool two = g.ow > W && g.f <= 6;
    const DirectPooledFn fn = two ? direct_pooled_for_f<2, Argmax>(g.f) : direct_pooled_for_f<1, Argmax>(g.f);
    return fn(xp, fw.w, b, g, live, pohw, out_n, argmax_n);
  }
  // direct_in_groups' 4 filters × 3 vectors, the last group what is left
  int64_t f0 = 0;
  for (; f0 + 4 <= g.f; f0 += 4)
    direct_pooled_rows<4, 3, Argmax>(xp, fw.w + f0 * ckk, b + f0, g, live, pohw, out_n + f0 * pohw,
                                     Argmax ? argmax_n + f0 * pohw : nullptr);
  const float* w = fw.w + f0 * ckk;
  float* out = out_n + f0 * pohw;
  int32_t* argmax = Argmax ? argmax_n + f0 * pohw : nullptr;
  switch (g.f - f0) {
    case 1: return direct_pooled_rows<1, 3, Argmax>(xp, w, b + f0, g, live, pohw, out, argmax);
    case 2: return direct_pooled_rows<2, 3, Argmax>(xp, w, b + f0, g, live, pohw, out, argmax);
    case 3: return direct_pooled_rows<3, 3, Argmax>(xp, w, b + f0, g, live, pohw, out, argmax);
    default: return;
  }
}

}  // namespace
#endif

#endif

bool conv_relu_pool_direct_fits(const ConvGeom& g, const PoolGeom& p) {
#if defined(SN_TARGET_AVX2)
  const bool windows = p.ph == 2 && p.pw == 2 && p.stride == 2 && p.pad == 0 && p.h == g.oh && p.w == g.ow &&
                       g.oh % 2 == 0 && g.ow % 2 == 0 && p.oh == g.oh / 2 && p.ow == g.ow / 2;
  return windows && (direct_for(g, false) != nullptr || direct_in_groups_fits(g));
#else
  (void)g, (void)p;
  return false;
#endif
}

void conv_relu_pool_direct_image(const float* x_n, const ForwardWeights& fw, const float* b, const ConvGeom& g,
                                 float* out_n, int32_t* argmax_n) {
#if defined(SN_TARGET_AVX2)
  const float* xp = direct_input(x_n, g);
  const uint32_t* live = direct_live(xp, g, fw.finite, false);
  if (argmax_n) return direct_pooled_image<true>(xp, live, fw, b, g, out_n, argmax_n);
  direct_pooled_image<false>(xp, live, fw, b, g, out_n, nullptr);
#else
  (void)x_n, (void)fw, (void)b, (void)g, (void)out_n, (void)argmax_n;
#endif
}

static const float* transpose_weights_into(const float* w, const ConvGeom& g, Scratch& into) {
  const int64_t ckk = g.ckk();
  float* wt = into.get(size_t(ckk * g.f));
  for (int64_t fi = 0; fi < g.f; ++fi)
    for (int64_t t = 0; t < ckk; ++t) wt[t * g.f + fi] = w[fi * ckk + t];
  return wt;
}

static thread_local ForwardWeightStore t_weights;

const float* transpose_weights(const float* w, const ConvGeom& g) { return transpose_weights_into(w, g, t_weights.wt); }

static thread_local Scratch t_out_t;

// The image's product computed transposed, outᵀ(positions × filters) = colᵀ · wᵀ, then outᵀ
// transposed into out: where the usual form copies col into panels for every image (more than
// 18 filters, AVX2) and the filters fill whole panels, or where the positions leave the usual
// form a mostly empty edge panel (a 7 × 7 map: 49 columns, the last panel one column of 16).
// wᵀ is packed once per batch. DeepConvNet's 14 × 14 and 7 × 7 layers' forward ×0.85–0.92 (one
// thread, Zen 3). Every output is the same sum in the same order as before: the same bits.
static bool forward_runs_transposed(const ConvGeom& g) {
  if (gemm_impl() != GemmImpl::Builtin) return false;
  const int64_t ohw = g.ohw();
  if (sgemm_transposed_is_cheaper(ohw, g.f)) return false;
  return sgemm_transposed_is_cheaper(g.f, ohw) ||
         (sgemm_copies_b_per_call(g.f, ohw) && g.f % sgemm_panel_columns() == 0);
}

bool all_finite(const float* v, int64_t n) {
  bool finite = true;
  for (int64_t i = 0; i < n; ++i) finite &= std::isfinite(v[i]);
  return finite;
}

ForwardWeights forward_weights(const float* w, const ConvGeom& g) { return forward_weights(w, g, t_weights); }

ForwardWeights forward_weights(const float* w, const ConvGeom& g, ForwardWeightStore& store) {
  // finite: read only by the AVX2 direct kernel's zero skipping. On AVX-512 (16-lane chunks, fewer
  // of them all zero) it made no measurable difference (Xeon, 2 threads: LeNet5 inference ×0.977,
  // training ×1.014, SimpleConvNet ×0.992 and ×1.010, quartiles across 1), so it stays off there.
  // (That measurement ran a live_chunks that saw only 8 columns of each 16-lane chunk, since fixed:
  // it would have skipped taps wrongly. Measure again before turning it on.)
#if defined(SN_TARGET_AVX2)
  const bool finite = all_finite(w, g.f * g.ckk());
#else
  const bool finite = false;
#endif
  ForwardWeights fw{w, transpose_weights_into(w, g, store.wt), nullptr, finite, nullptr, nullptr,
                    forward_runs_transposed(g)};
#if SN_FORWARD_LANES
  if (conv_forward_lanes_fits(g)) {
    static_assert(sizeof(int32_t) == sizeof(float), "offsets are kept in float-sized slots");
    int32_t* offsets = reinterpret_cast<int32_t*>(store.tap_offsets.get(size_t(g.ckk())));
    conv_tap_offsets(g, offsets);
    fw.tap_offsets = offsets;
    float* panels = store.lane_panels.get(size_t(conv_forward_lanes_panel_floats(g)));
    conv_forward_lanes_pack(fw.wt, g, panels);
    fw.lane_panels = panels;
  }
#endif
  if (fw.transposed) {
    float* panels = store.wt_panels.get(size_t(sgemm_packed_b_floats(g.ckk(), g.f)));
    sgemm_pack_b(g.ckk(), g.f, fw.wt, g.f, panels);
    fw.wt_panels = panels;
  }
  return fw;
}

void conv_forward_image(const float* x_n, const ForwardWeights& fw, const float* b, const ConvGeom& g, float* out_n,
                        float* col_n, bool keep_col) {
  const float* w = fw.w;
  const float* wt = fw.wt;
#if SN_MASKED_SIMD
  if (DirectFn direct = direct_for(g, keep_col)) {
    direct(x_n, w, fw.finite, b, g, out_n, col_n);
    return;
  }
#if defined(SN_TARGET_AVX2)
  // Many filters over few taps on rows of 17–24 columns (SimpleConvNet's 30 filters, 25 taps,
  // 24-wide rows): the direct kernel, 4 filters × 3 vectors at a time. Its forward ×0.82–0.85,
  // inference ×0.80–0.83 against im2col + a 25-deep GEMM (one thread, Zen 3), same bits. Not
  // for more taps or other widths: DeepConvNet's and LeNet's second layers took ×1.17–1.55.
  if (!keep_col && direct_in_groups_fits(g)) return direct_in_groups<4, 3>(x_n, w, fw.finite, b, g, out_n, col_n);
#endif
#endif
#if SN_FORWARD_LANES
  if (!keep_col && fw.tap_offsets) {
    return conv_forward_lanes(im2col_pad_image(x_n, g), fw.lane_panels, fw.tap_offsets, b, g,
                              t_out_t.get(size_t(g.ohw() * g.f)), out_n);
  }
#endif
  // One GEMM on data that stays in L2 (col_n is written just before it is read); the bias is
  // added in the GEMM's store, so out_n is written once. wᵀ is read in place as the k-major
  // operand (LeNet's second layer: packing w for each of 100 small images took as long as the
  // multiply-adds), unless the GEMM would pack it into row tiles for every image (a wide wᵀ,
  // DeepConvNet's 64 filters): then w's own rows are read in place (its last two layers'
  // forward ×0.93, one thread, Zen 3; with 16 or 32 filters the wᵀ form is as fast or faster).
  const int64_t ckk = g.ckk(), ohw = g.ohw();
  const auto gemm = [&](int64_t r0, int64_t r1, const float* col) {
    const int64_t n = (r1 - r0) * g.ow;
    float* out = out_n + r0 * g.ow;
    if (fw.transposed) {
      float* out_t = t_out_t.get(size_t(n * g.f));
      sgemm_packed_b(true, n, g.f, ckk, col, n, fw.wt_panels, b, out_t, g.f);
      transpose(out_t, n, g.f, g.f, out, ohw);
    } else if (sgemm_packs_transposed_a(n, ckk, g.f)) {
      sgemm_bias(false, false, g.f, n, ckk, w, ckk, col, n, b, nullptr, out, ohw);
    } else {
      sgemm_bias(true, false, g.f, n, ckk, wt, g.f, col, n, b, nullptr, out, ohw);
    }
  };
  // A col bigger than a quarter of L2 is made and multiplied a band of output rows at a time
  // (DeepConvNet's 16-channel 28 × 28 layer: 450 KB an image, written out to L3 and read back;
  // in bands of 8 rows its forward ×0.93–0.97, the 14 × 14 layer's ×0.96–1.01, one thread, Zen 3;
  // bands of L2/8 or L2/2 were slower). The built-in GEMM sums each output's taps in the same
  // order whatever the band: the same bits as one whole GEMM. OpenBLAS's order may depend on
  // the matrix width, so with OpenBLAS the image stays whole (the fused and the unfused forward
  // must agree to the bit).
  const int64_t row_bytes = ckk * g.ow * int64_t(sizeof(float)), band_bytes = l2_cache_bytes() / 4;
  if (!keep_col && g.stride == 1 && row_bytes * g.oh > band_bytes && gemm_impl() == GemmImpl::Builtin) {
    const int64_t rows = std::max<int64_t>(1, band_bytes / row_bytes);
    const float* xp = im2col_pad_image(x_n, g);
    for (int64_t r0 = 0; r0 < g.oh; r0 += rows) {
      const int64_t r1 = std::min(g.oh, r0 + rows);
      im2col_rows(xp, g, r0, r1, col_n);
      gemm(r0, r1, col_n);
    }
    return;
  }
  im2col_image(x_n, g, col_n);
  gemm(0, g.oh, col_n);
}

// The weights as every image's input gradient reads them, made once per batch: w, and wᵀ
// (transpose_weights) where the GEMM would otherwise copy wᵀ for every image, or w packed into
// panels where the product runs transposed.
struct InputGradWeights {
  const float* w;
  const float* wt;
  const float* w_panels;
  // For the input gradient by non-zeros (below), else null: w with each filter's taps in (ki, kj,
  // channel) order, each kernel row's kw·c taps padded with zeros to whole vectors (hwc_row
  // floats a filter), and where each vector of such a row lands in the channels-innermost padded
  // dx, relative to its output position's first pixel.
  const float* w_hwc;
  const int32_t* hwc_offsets;
  int64_t hwc_row;
};

static thread_local Scratch t_w_panels, t_dcol_t;

#if SN_NONZERO_ROWS
namespace {

// The input gradient by non-zeros (kernels/nonzero_rows.h). Behind a Pooling most of dconv is
// zero (only each window's winner gets a gradient, and only where the Relu passed it: 14–16% of
// DeepConvNet's pooled layers' dconv after 300 steps), yet the GEMM multiplies every zero, and
// col2im then reads all of dcol. Here each output position's column of dcol (its dcolᵀ row) is
// the sum of its non-zero filters' weight rows, scaled — Σ_f dconv(f, pos) · w(f, ·) over f in
// order from 0, every output the sum the GEMM makes (one pass, K = f), less the zero terms — and
// is added straight into dx, kept channels-innermost and padded (dxp: pixel (y, x) of the padded
// map at (y·pw + x)·c), so that one kernel row's taps are whole vectors added to kw adjacent
// pixels. Positions are taken from the last to the first, so that each pixel receives its taps
// in (ki, kj) order from +0, as col2im adds them: pixel (y, x) gets tap (ki, kj) from position
// ((y − ki) / s, (x − kj) / s), later for smaller ki, kj. A zero term adds ±0, which changes no
// sum that starts at +0 (w·0 is NaN for w = ±∞ or NaN: then the GEMM runs), and so does a kernel
// row's padding (zero weights). The same bits as GEMM + col2im. Against the form before it, which
// wrote the rows into dcol (transposed, 8 positions at a time) for col2im: the pooled layers'
// backward (one thread, Zen 3, random data at 23% non-zeros) DeepConvNet's ×0.79, ×0.82, ×0.91,
// LeNet5's second ×0.75; whole steps at 2 threads DeepConvNet ×0.90, LeNet5 ×0.89.
// Used up to kInputGradNonZero non-zeros, with the built-in GEMM (OpenBLAS sums in its own order).
// DeepConvNet's relu-only layers are 42–54% non-zero (measured after 400 steps): at 50% (random
// data, one thread) their backward is ×0.84 (32 filters) and ×0.91 (64) this way; at 55–65% the
// 64-filter one's is ×1.02–1.06 slower (break-even: about 52% non-zeros for it, 75% for the
// 32-filter one). Whole steps at 2 threads ×0.971–0.981 against a limit of 30%.
constexpr double kInputGradNonZero = 0.5;
// Fewer taps than this (a first layer's 3 × 3 on one channel: 9) leave too little work a position
// to repay finding its non-zero filters (×1.75–1.95 slower than the GEMM at 16% non-zeros).
constexpr int64_t kInputGradMinTaps = 32;

thread_local Scratch t_w_hwc, t_hwc_offsets, t_dconv_rows, t_nonzero_f, t_dxp;

// iw's w_hwc, hwc_offsets and hwc_row for w, when the input gradient by non-zeros applies.
void hwc_weights(const float* w, const ConvGeom& g, InputGradWeights& iw) {
  if (g.ckk() < kInputGradMinTaps || gemm_impl() != GemmImpl::Builtin || !all_finite(w, g.f * g.ckk())) return;
  const int64_t ckk = g.ckk(), taps = g.kh * g.kw, pw = g.w + 2 * g.pad;
  const int64_t kernel_row = (g.kw * g.c + W - 1) / W * W, row = g.kh * kernel_row;
  float* w_hwc = t_w_hwc.get(size_t(g.f * row));
  std::fill(w_hwc, w_hwc + g.f * row, 0.0f);
  for (int64_t fi = 0; fi < g.f; ++fi)
    for (int64_t ci = 0; ci < g.c; ++ci)
      for (int64_t k = 0; k < taps; ++k)
        w_hwc[fi * row + (k / g.kw) * kernel_row + (k % g.kw) * g.c + ci] = w[fi * ckk + ci * taps + k];
  static_assert(sizeof(int32_t) == sizeof(float), "offsets are kept in float-sized slots");
  int32_t* offsets = reinterpret_cast<int32_t*>(t_hwc_offsets.get(size_t(row / W)));
  // float j of kernel row ki: pixel (ki, j / c), channel j % c, at ki·pw·c + j
  for (int64_t v = 0; v < row / W; ++v) offsets[v] = int32_t((v * W / kernel_row) * pw * g.c + v * W % kernel_row);
  iw.w_hwc = w_hwc;
  iw.hwc_offsets = offsets;
  iw.hwc_row = row;
}

// dxp += every position's dcol column, from rows = dconvᵀ (ohw × f): per position its non-zero
// filters (fs, gs: room for f + W), then its row of w_hwc's layout (`row` floats) in chunks of
// kRowChunkVectors vectors and a last one of TailNV (0: none).
template <int TailNV>
void dx_by_nonzeros(const float* w_hwc, const int32_t* offsets, int64_t row, const ConvGeom& g, const float* rows,
                    int32_t* fs, float* gs, float* dxp) {
  constexpr int64_t kChunkFloats = kRowChunkVectors * W;
  const int64_t f = g.f, pw = g.w + 2 * g.pad;
  for (int64_t pos = g.ohw() - 1; pos >= 0; --pos) {
    const int64_t count = append_nonzeros(rows + pos * f, f, 0, fs, gs, 0);
    if (count == 0) continue;
    float* first = dxp + ((pos / g.ow) * g.stride * pw + (pos % g.ow) * g.stride) * g.c;
    int64_t k0 = 0;
    for (; k0 + kChunkFloats <= row; k0 += kChunkFloats)
      add_weighted_rows<kRowChunkVectors>(w_hwc, row, fs, gs, count, k0, first, offsets + k0 / W);
    if constexpr (TailNV > 0) add_weighted_rows<TailNV>(w_hwc, row, fs, gs, count, k0, first, offsets + k0 / W);
  }
}

using DxFn = decltype(&dx_by_nonzeros<0>);

// Indexed by the vectors left after the whole chunks (0 … 11).
constexpr DxFn kDxByNonzeros[kRowChunkVectors] = {
    dx_by_nonzeros<0>, dx_by_nonzeros<1>, dx_by_nonzeros<2>, dx_by_nonzeros<3>,  dx_by_nonzeros<4>,  dx_by_nonzeros<5>,
    dx_by_nonzeros<6>, dx_by_nonzeros<7>, dx_by_nonzeros<8>, dx_by_nonzeros<9>, dx_by_nonzeros<10>, dx_by_nonzeros<11>};

// dx (c, h, w) from the padded channels-innermost map dxp (pixel (y, x) of the inner map at
// ((y + pad)·pw + x + pad)·c): 8 pixels × 8 channels a block, turned in registers. The general
// transpose, a row of w pixels × c channels at a time, went scalar below 8 channels and for the
// pixels past the last 8: LeNet's second layer (6 channels, 14 pixels a row) took 3.9% of a step
// in it. A block's loads run up to 7 floats past its last pixel's channels — into the right
// border, the next row, or the W floats of slack after the map.
void unpad_channels_last(const float* dxp, const ConvGeom& g, float* dx_i) {
  const int64_t pw = g.w + 2 * g.pad, hw = g.h * g.w, c = g.c;
  for (int64_t y = 0; y < g.h; ++y) {
    const float* row = dxp + ((y + g.pad) * pw + g.pad) * c;
    for (int64_t c0 = 0; c0 < c; c0 += 8) {
      const int64_t nc = std::min<int64_t>(8, c - c0);
      for (int64_t x0 = 0; x0 < g.w; x0 += 8) {
        const int64_t nx = std::min<int64_t>(8, g.w - x0);
        __m256 r[8];
        SN_UNROLL
        for (int q = 0; q < 8; ++q) r[q] = q < nx ? _mm256_loadu_ps(row + (x0 + q) * c + c0) : _mm256_setzero_ps();
        __m256 o[8];
        transpose_8x8(r, o);
        float* d = dx_i + c0 * hw + y * g.w + x0;
        for (int64_t j = 0; j < nc; ++j) {
          if (nx == 8) _mm256_storeu_ps(d + j * hw, o[j]);
          else store_first8(d + j * hw, o[j], nx);
        }
      }
    }
  }
}

// dx_i from dconv_i by non-zeros, or false (nothing written) where that form does not apply
// (iw.w_hwc null) or the GEMM is the better one (a dense dconv).
bool input_gradient_by_nonzeros(const InputGradWeights& iw, const ConvGeom& g, const float* dconv_i, float* dx_i) {
  const int64_t ohw = g.ohw(), f = g.f, row = iw.hwc_row;
  if (!iw.w_hwc || double(count_nonzero(dconv_i, f * ohw)) > kInputGradNonZero * double(f * ohw)) return false;
  // dconvᵀ: a position's filters side by side
  float* rows = t_dconv_rows.get(size_t(ohw * f));
  transpose(dconv_i, f, ohw, ohw, rows, f);
  float* mem = t_nonzero_f.get(size_t(2 * (f + W)));
  const int64_t pw = g.w + 2 * g.pad, ph = g.h + 2 * g.pad;
  // W floats of slack: a kernel row's padding lanes add +0 up to W − 1 floats past its last pixel
  const int64_t dxp_size = ph * pw * g.c + W;
  float* dxp = t_dxp.get(size_t(dxp_size));
  std::fill(dxp, dxp + dxp_size, 0.0f);
  kDxByNonzeros[(row % (kRowChunkVectors * W)) / W](iw.w_hwc, iw.hwc_offsets, row, g, rows,
                                                     reinterpret_cast<int32_t*>(mem), mem + f + W, dxp);
  unpad_channels_last(dxp, g, dx_i);
  return true;
}

}  // namespace
#endif

// dcolᵀ(positions × taps) = dconvᵀ · w, then transposed into dcol, where the positions would
// leave the usual form a mostly empty edge panel (7 × 7 maps: DeepConvNet's last two layers,
// backward ×0.95 with the weight gradient, one thread, Zen 3); w packed once per batch, dconv
// read in place. The same sums in the same order as the usual form.
static InputGradWeights input_grad_weights(const float* w, const ConvGeom& g) {
  InputGradWeights iw{w, nullptr, nullptr, nullptr, nullptr, 0};
#if SN_NONZERO_ROWS
  hwc_weights(w, g, iw);
#endif
  if (gemm_impl() == GemmImpl::Builtin && sgemm_transposed_is_cheaper(g.ckk(), g.ohw())) {
    float* panels = t_w_panels.get(size_t(sgemm_packed_b_floats(g.f, g.ckk())));
    sgemm_pack_b(g.f, g.ckk(), w, g.ckk(), panels);
    iw.w_panels = panels;
  } else if (sgemm_packs_transposed_a(g.ohw(), g.f, g.ckk())) {
    iw.wt = transpose_weights(w, g);
  }
  return iw;
}

// dcol_i = wᵀ · dconv_i, (ckk, ohw): transposed with packed w (above), or w read as the
// transposed operand, or wt read row-major in place where the GEMM would copy wᵀ for every image
// (DeepConvNet's last two layers: backward ×0.96, one thread, Zen 3).
static void input_gradient_gemm(const InputGradWeights& iw, const ConvGeom& g, const float* dconv_i, float* dcol) {
  const int64_t ckk = g.ckk(), ohw = g.ohw();
  if (iw.w_panels) {
    float* dcol_t = t_dcol_t.get(size_t(ohw * ckk));
    sgemm_packed_b(true, ohw, ckk, g.f, dconv_i, ohw, iw.w_panels, nullptr, dcol_t, ckk);
    transpose(dcol_t, ohw, ckk, ckk, dcol, ohw);
  } else if (iw.wt) {
    sgemm(false, false, ckk, ohw, g.f, iw.wt, g.f, dconv_i, ohw, false, dcol, ohw);
  } else {
    sgemm(true, false, ckk, ohw, g.f, iw.w, ckk, dconv_i, ohw, false, dcol, ohw);
  }
}

// dx_i = col2im(wᵀ · dconv_i), dcol (ckk × ohw) as scratch.
static void input_gradient(const InputGradWeights& iw, const ConvGeom& g, const float* dconv_i, float* dcol,
                           float* dx_i) {
#if SN_NONZERO_ROWS
  if (input_gradient_by_nonzeros(iw, g, dconv_i, dx_i)) return;
#endif
  input_gradient_gemm(iw, g, dconv_i, dcol);
  col2im_image(dcol, g, dx_i);
}

void conv_forward(const float* x, const float* w, const float* b, const ConvGeom& g, float* out, float* col) {
  // x is (n, c, h, w), w is (f, ckk), col_n is (ckk, ohw), out_n = w · col_n + b is (f, ohw)
  const int64_t in_size = g.c * g.h * g.w, col_size = g.ckk() * g.ohw(), out_size = g.f * g.ohw();
  const ForwardWeights fw = forward_weights(w, g);
  parallel_for_pieces(g.n, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i)
      conv_forward_image(x + i * in_size, fw, b, g, out + i * out_size, col + i * col_size, true);
  });
}

void conv_backward(const float* dout, const float* w, float* col, const ConvGeom& g, float* dw, float* db, float* dx) {
  // dout_n is (f, ohw), col_n is (ckk, ohw): dw(f, ckk) = Σ_n dout_n · col_nᵀ, db(f) = Σ_n,p dout_n
  const int64_t ckk = g.ckk(), ohw = g.ohw();
  const int64_t in_size = g.c * g.h * g.w, col_size = ckk * ohw, out_size = g.f * ohw;
  if (gemm_impl() == GemmImpl::Builtin) {
    // Threads own disjoint blocks of dw and accumulate every image into them: no per-thread
    // partial sums, and the bits do not depend on the thread count. Equal shares of the taps,
    // every thread taking all filters, read dout once per thread and col once overall (LeNet
    // conv2 backward 0.73 → 0.65 ms against whole filter blocks); but when the taps do not
    // split into whole tiles and the filter blocks do, the filters are split instead
    // (SimpleConvNet: 25 taps; 30 filters are 3 blocks of 5 a thread).
    const WeightGradPlan plan = conv_weight_grad_plan(g.f, ckk, ohw, g.n);
    const int64_t threads = num_threads(), filter_blocks = (g.f + plan.rf - 1) / plan.rf;
    if (ckk % (threads * plan.rt) != 0 && filter_blocks % threads == 0) {
      parallel_for(filter_blocks, [&](int64_t b0, int64_t b1, int) {
        conv_weight_grad(plan, b0 * plan.rf, std::min<int64_t>(b1 * plan.rf, g.f), 0, ckk, ckk, ohw, g.n, dout,
                         out_size, col, col_size, dw, db);
      });
    } else {
      parallel_for(ckk, [&](int64_t t0, int64_t t1, int) {
        conv_weight_grad(plan, 0, g.f, t0, t1, ckk, ohw, g.n, dout, out_size, col, col_size, dw, db);
      });
    }
  } else {
    // Threads own disjoint rows (filters) of dw, for the same reason.
    parallel_for(g.f, [&](int64_t f0, int64_t f1, int) {
      for (int64_t i = 0; i < g.n; ++i) {
        sgemm(false, true, f1 - f0, ckk, ohw, dout + i * out_size + f0 * ohw, ohw, col + i * col_size, ohw, i > 0,
              dw + f0 * ckk, ckk);
      }
      for (int64_t fi = f0; fi < f1; ++fi) {
        double s = 0.0;
        for (int64_t i = 0; i < g.n; ++i) {
          const float* row = dout + i * out_size + fi * ohw;
          float acc = 0.0f;
          for (int64_t p = 0; p < ohw; ++p) acc += row[p];
          s += acc;
        }
        db[fi] = float(s);
      }
    });
  }
  if (!dx) return;
  // dcol_n = wᵀ · dout_n, then folded back into dx_n. dcol_n goes to a per-thread scratch that
  // stays in L2 from one image to the next: writing it over col_n instead sent every image's
  // dcol out to L3 and back (DeepConvNet's 16-channel 28×28 layer, 450 KB an image: backward
  // 14.3 → 11.9 ms on one core).
  const InputGradWeights iw = input_grad_weights(w, g);
  parallel_for_pieces(g.n, [&](int64_t begin, int64_t end, int) {
    float* dcol = t_dcol.get(size_t(col_size));
    for (int64_t i = begin; i < end; ++i) {
      input_gradient(iw, g, dout + i * out_size, dcol, dx + i * in_size);
    }
  });
}

// ---- backward from x, a block of images at a time ------------------------------------------

namespace {

// The batch is cut into blocks of whole images whose dconv and col fit in L2 together. Each
// block's weight gradient is summed on its own, then the blocks are added in order: the block
// count depends on the shape alone, never on the thread count, so every thread count gives the
// same bits. At least 16 blocks keep both cores busy with even shares.
struct BlockPlan {
  int64_t blocks, max_images;
};

BlockPlan block_plan(const ConvGeom& g) {
  // Half of L2 (1 MB on the Xeon it was tuned on, 256 KB on Zen 3).
  const int64_t kBlockBytes = l2_cache_bytes() / 2;
  const int64_t per_image = (g.f + g.ckk()) * g.ohw() * int64_t(sizeof(float));
  const int64_t by_size = (g.n * per_image + kBlockBytes - 1) / kBlockBytes;
  const int64_t blocks = std::min<int64_t>(g.n, std::max<int64_t>(16, by_size));
  return {blocks, (g.n + blocks - 1) / blocks};
}

// Per-thread: a block's dconv maps and what its weight gradient reads (cols or padded images).
// Per caller: the blocks' partial weight gradients.
thread_local Scratch t_block_dconv, t_block_source, t_partials, t_lanes_total;

// Whether the weight gradient reads each tap's values straight from the padded images
// (conv_weight_grad_padded) instead of from their im2col: filters in lanes (AVX2, AVX-512), stride 1.
// Writing col and reading it back was a fifth of such a layer's backward: without it DeepConvNet's
// 28 × 28, 14 × 14 and 7 × 7 pooled layers' backward ×0.91, ×0.93, ×0.83 and whole steps ×0.97
// (one thread per layer, two for steps; Zen 3). The same values in the same order: the same bits.
bool weight_grad_reads_padded(const WeightGradPlan& wplan, const ConvGeom& g) {
#if SN_FILTER_LANES
  return wplan.filter_lanes && g.stride == 1;
#else
  (void)wplan;
  (void)g;
  return false;
#endif
}

int64_t weight_grad_source_floats(const ConvGeom& g, bool padded) {
  if (padded) return padded_image_floats(g);
  return g.ckk() * g.ohw();
}

// Image x_n as the weight gradient reads it: col_n, or x_n padded.
void weight_grad_source(const float* x_n, const ConvGeom& g, bool padded, float* source_n) {
  if (padded) return im2col_pad_image_into(x_n, g, source_n);
  im2col_image(x_n, g, source_n);
}

// A block of n images' weight and bias gradients from their dconv and weight_grad_source.
// From padded images, dw is in the tiles' lanes order (conv_weight_grad_padded): the caller sums
// the blocks' partials in that order and puts the total in place once.
void block_weight_grad(const WeightGradPlan& wplan, const ConvGeom& g, bool padded, int64_t n, const float* dconv,
                       const float* source, int64_t source_size, float* dw, float* db) {
#if SN_FILTER_LANES
  if (padded) return conv_weight_grad_padded(wplan, g, n, dconv, g.f * g.ohw(), source, source_size, dw, db);
#endif
  conv_weight_grad(wplan, 0, g.f, 0, g.ckk(), g.ckk(), g.ohw(), n, dconv, g.f * g.ohw(), source, source_size, dw, db);
}

}  // namespace

int64_t conv_backward_from_x(const float* x, const float* w, const ConvGeom& g, DconvFn fill, const void* ctx,
                             float* dw, float* db, float* dx) {
  const int64_t ckk = g.ckk(), ohw = g.ohw();
  const int64_t in_size = g.c * g.h * g.w, dconv_size = g.f * ohw, col_size = ckk * ohw;
  const BlockPlan plan = block_plan(g);
  const WeightGradPlan wplan = conv_weight_grad_plan(g.f, ckk, ohw, plan.max_images);
  const int64_t part_size = g.f * ckk + g.f;
  float* partials = dw ? t_partials.get(size_t(plan.blocks * part_size)) : nullptr;
  std::atomic<int64_t> first_bad{-1};
  const InputGradWeights iw = dx ? input_grad_weights(w, g) : InputGradWeights{w, nullptr, nullptr, nullptr, nullptr, 0};
  const bool from_padded = dw && weight_grad_reads_padded(wplan, g);
  const int64_t source_size = weight_grad_source_floats(g, from_padded);
  parallel_for_pieces(plan.blocks, [&](int64_t b0, int64_t b1, int) {
    float* dconv = t_block_dconv.get(size_t(plan.max_images * dconv_size));
    float* source = dw ? t_block_source.get(size_t(plan.max_images * source_size)) : nullptr;
    float* dcol = dx ? t_dcol.get(size_t(col_size)) : nullptr;
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t i0 = blk * g.n / plan.blocks, i1 = (blk + 1) * g.n / plan.blocks;
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t bad = fill(ctx, i, dconv + (i - i0) * dconv_size);
        if (bad >= 0) {
          int64_t cur = first_bad.load();
          while ((cur < 0 || bad < cur) && !first_bad.compare_exchange_weak(cur, bad)) {
          }
        }
        // col_i (or the padded x_i it is read from) again from x: recomputing it in cache is
        // cheaper than keeping it for the whole batch (5.8 MB for SimpleConvNet, 45 MB for a
        // 16-channel 28×28 layer) and reading it back from memory.
        if (dw) weight_grad_source(x + i * in_size, g, from_padded, source + (i - i0) * source_size);
      }
      if (dw) {
        float* part = partials + blk * part_size;
        block_weight_grad(wplan, g, from_padded, i1 - i0, dconv, source, source_size, part, part + g.f * ckk);
      }
      if (!dx) continue;
      for (int64_t i = i0; i < i1; ++i) {
        input_gradient(iw, g, dconv + (i - i0) * dconv_size, dcol, dx + i * in_size);
      }
    }
  });
  if (!dw) return first_bad.load();
  // Each element's sum runs from 0 over the blocks in order, as always; what matters is the
  // order of the reads. Element by element, every step jumped to the next block's partial sums,
  // a whole dw further on (DeepConvNet's last layer: 49 blocks of 148 KB, a 7 MB walk that touched
  // a new page per load; the summing was 4% of a DeepConvNet step on Zen 3). Here a run of
  // elements is summed in a buffer block by block, each block's run read in memory order.
  // From padded images the partials' dw is in lanes order: summed into `total` first, then put
  // in place (dw is written, never read, so the sum's order is the same either way).
  constexpr int64_t kRun = 1024;
  const int64_t runs = (part_size + kRun - 1) / kRun;
  float* total = from_padded ? t_lanes_total.get(size_t(g.f * ckk)) : dw;
  parallel_for(runs, 4, [&](int64_t r0, int64_t r1, int) {
    alignas(64) float acc[kRun];
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t e0 = r * kRun, len = std::min(kRun, part_size - e0);
      std::fill(acc, acc + len, 0.0f);
      for (int64_t blk = 0; blk < plan.blocks; ++blk) {
        const float* p = partials + blk * part_size + e0;
        for (int64_t e = 0; e < len; ++e) acc[e] += p[e];
      }
      for (int64_t e = 0; e < len; ++e) {
        if (e0 + e < g.f * ckk) {
          total[e0 + e] = acc[e];
        } else {
          db[e0 + e - g.f * ckk] = acc[e];
        }
      }
    }
  });
#if SN_FILTER_LANES
  if (from_padded) lanes_order_to_dw(wplan, g.f, ckk, total, dw);
#endif
  return first_bad.load();
}

SN_END_TARGET
