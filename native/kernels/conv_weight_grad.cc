#include "kernels/conv_weight_grad.h"

#include <algorithm>
#include <utility>

#include "kernels/scratch.h"
#include "simd/dispatch.h"
#include "simd/vec.h"

SN_BEGIN_TARGET

thread_local Scratch t_dot;
thread_local Scratch t_dout_t;

namespace {

// acc(RF × RT) += Σ_i Σ_q a_f(i, q)·b_t(i, q) over q < p and images i < nimg, lane-wise (no
// horizontal sum here); a rows are dout rows, b rows col rows, both `ld` floats apart within an
// image and a_img / b_img floats apart between images. out(f, t) is at out[f·out_ld + t].
// The accumulators stay in registers across the images: with small maps (P = 49 or 100) one
// image is only 4–7 vector steps, and flushing RF·RT accumulators to memory after each image
// cost as much as the FMAs.
// With `direct` non-null the sums are final: each is reduced to a float and written to
// direct[f·direct_ld + t] instead (one image group: no lane-wise array to clear, fill and read
// back — 1.2 MB for DeepConvNet's 64×576 weights, which cost more than the FMAs of a small block).
template <int RF, int RT>
void dot_tile(int64_t p, int64_t nimg, const float* a, int64_t a_img, const float* b, int64_t b_img, int64_t ld,
              V* out, int64_t out_ld, float* direct, int64_t direct_ld) {
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
  if (direct) {
    SN_UNROLL
    for (int f = 0; f < RF; ++f)
      SN_UNROLL
      for (int t = 0; t < RT; ++t) direct[f * direct_ld + t] = vsum(acc[f][t]);
    return;
  }
  SN_UNROLL
  for (int f = 0; f < RF; ++f)
    SN_UNROLL
    for (int t = 0; t < RT; ++t) out[f * out_ld + t] = vadd(out[f * out_ld + t], acc[f][t]);
}

// Where the weight gradient reads col_i(t, s), tap t's value at position s of image i:
// base + i·image_stride + offset(t) + (s / row_len)·row_step + s % row_len. im2col's col is one
// run a tap (rows = 1, row_len = P, offset(t) = t·P); a padded image at stride 1 is a run an
// output row (row_len = ow, row_step = the padded width), tap (c, ky, kx) at c·plane + ky·row_step
// + kx, which spares the weight gradient writing and reading col.
struct TapRows {
  const float* base;
  int64_t image_stride;
  int64_t rows, row_len, row_step;
  int64_t kh, kw, plane;  // kw = 0: im2col's col
  int64_t offset(int64_t t) const {
    if (kw == 0) return t * row_len;
    const int64_t c = t / (kh * kw), k = t % (kh * kw);
    return c * plane + (k / kw) * row_step + k % kw;
  }
};

#if SN_FILTER_LANES
// The other way round, filters in the vector lanes: NV vectors of filters × RT taps, each tap's
// col value broadcast. A step is NV vector loads (of doutᵀ) and RT broadcasts for NV·RT FMAs, and
// every col value is read once per NV·W filters instead of once per 4, which with dot_tile's 4 × 3
// made col's L2 stream the limit (DeepConvNet's weight gradient ran at about half the FMA peak on
// AVX2). at holds doutᵀ: step s of image i at at[(i·a_img + s)·L], L = NV·W filters. Tap t's col
// values of image i start at src.base + i·src.image_stride + off[t], in src.rows runs of
// src.row_len positions src.row_step floats apart (see TapRows). out(t, f) = out[t·L + f] gets
// the sums added (one float per output, no horizontal sum). Each output is summed in its own lane,
// images and positions in order, whatever NV and RT: the same bits on AVX2 and AVX-512.
// Tiles: AVX2's 16 registers take 2 vectors (16 filters) × 6 taps; AVX-512's 32 take 2 vectors
// (32 filters) × 12 taps, or 1 vector (16 filters, DeepConvNet's first two layers, LeNet's second)
// × 14 taps.
#if defined(SN_TARGET_AVX512)
constexpr int kFilterTileTaps[3] = {0, 14, 12};
constexpr int kFilterMinVectors = 1;
#else
constexpr int kFilterTileTaps[3] = {0, 0, 6};
constexpr int kFilterMinVectors = 2;
#endif
constexpr int kFilterMaxTaps = kFilterTileTaps[1] > kFilterTileTaps[2] ? kFilterTileTaps[1] : kFilterTileTaps[2];

template <int NV, int RT>
void filter_tile(const TapRows& src, const int64_t* off, int64_t nimg, const float* at, int64_t a_img, float* out,
                 bool add) {
  constexpr int64_t L = NV * W;
  V acc[RT][NV];
  SN_UNROLL
  for (int t = 0; t < RT; ++t)
    SN_UNROLL
    for (int v = 0; v < NV; ++v) acc[t][v] = vzero();
  const float* b = src.base;
  for (int64_t i = 0; i < nimg; ++i, at += a_img * L, b += src.image_stride) {
    const float* bt[RT];
    SN_UNROLL
    for (int t = 0; t < RT; ++t) bt[t] = b + off[t];
    const float* a = at;
    for (int64_t r = 0; r < src.rows; ++r, a += src.row_len * L) {
      for (int64_t s = 0; s < src.row_len; ++s) {
        V av[NV];
        SN_UNROLL
        for (int v = 0; v < NV; ++v) av[v] = vload(a + s * L + v * W);
        SN_UNROLL
        for (int t = 0; t < RT; ++t) {
          const V c = vset1(bt[t][s]);
          SN_UNROLL
          for (int v = 0; v < NV; ++v) acc[t][v] = vfma(av[v], c, acc[t][v]);
        }
      }
      SN_UNROLL
      for (int t = 0; t < RT; ++t) bt[t] += src.row_step;
    }
  }
  SN_UNROLL
  for (int t = 0; t < RT; ++t)
    SN_UNROLL
    for (int v = 0; v < NV; ++v) {
      float* o = out + t * L + v * W;
      vstore(o, add ? vadd(vload(o), acc[t][v]) : acc[t][v]);
    }
}

using FilterTileFn = void (*)(const TapRows&, const int64_t*, int64_t, const float*, int64_t, float*, bool);

template <int NV, int... RT>
constexpr FilterTileFn filter_tile_table(int rt, std::integer_sequence<int, RT...>) {
  constexpr FilterTileFn fns[] = {nullptr, filter_tile<NV, RT + 1>...};
  return fns[rt];
}

// filter_tile<nv, rt> (rt ≤ kFilterTileTaps[nv])
FilterTileFn filter_tile_for(int nv, int rt) {
  if (nv == 2) return filter_tile_table<2>(rt, std::make_integer_sequence<int, kFilterTileTaps[2]>{});
  if constexpr (kFilterTileTaps[1] > 0) return filter_tile_table<1>(rt, std::make_integer_sequence<int, kFilterTileTaps[1]>{});
  return nullptr;
}

#endif

using DotFn = void (*)(int64_t, int64_t, const float*, int64_t, const float*, int64_t, int64_t, V*, int64_t, float*,
                      int64_t);

// Register tiles (filters × taps) the weight gradient may use: RF·RT accumulators + RT col
// vectors + 1 dout vector must fit the register file. The best one depends on f and ckk (few
// filters want a tall tile, e.g. LeNet's 6 filters 6×4; 16 filters 8×3 or 4×6).
struct DotShape {
  int rf, rt;
};
#if defined(SN_TARGET_AVX512) || defined(__aarch64__)
constexpr int kVectorRegisters = 32;
#else
constexpr int kVectorRegisters = 16;
#endif
#if defined(SN_TARGET_AVX512)
// 5 filters × 5 taps = 25 accumulators + 5 col vectors + 1 dout vector (measured ~5% faster
// than 8×3 on the book's 30×25 weights, which it also divides exactly when two threads take
// 15 filters each).
constexpr DotShape kDotShapes[] = {{5, 5}, {6, 4}, {4, 6}, {8, 3}};
constexpr int kDotMaxF = 8, kDotMaxT = 6;
#else
// 16 registers: 4×3 = 12 accumulators + 3 col vectors + 1 dout vector; 3×3, 2×5 and 6×2 for
// filter counts that 4 does not divide (LeNet's 6, SimpleConvNet's 30).
constexpr DotShape kDotShapes[] = {{4, 3}, {3, 3}, {2, 5}, {6, 2}};
constexpr int kDotMaxF = 6, kDotMaxT = 5;
#endif

template <int RF, int RT>
DotFn dot_fn() {
  // Edge tiles outside every shape above are never asked for; map them to a valid instantiation.
  if constexpr (RF * RT + RT + 1 <= kVectorRegisters) {
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

// dbacc[f − f0] += the lane-wise sums of images [0, n)'s dout rows f, f0 ≤ f < f1, image by
// image (the caller reduces each to db(f) at the end). Called per image group, while the
// group's dout is in cache.
void add_bias_grad(int64_t f0, int64_t f1, int64_t p, int64_t n, const float* dout, int64_t dout_stride, V* dbacc) {
  const Mask tail = tail_mask(p % W == 0 ? W : p % W);
  const int64_t p_full = p % W == 0 ? p : p - p % W;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t fi = f0; fi < f1; ++fi) {
      const float* row = dout + i * dout_stride + fi * p;
      V s = vzero();
      for (int64_t q = 0; q < p_full; q += W) s = vadd(s, vload(row + q));
      if (p_full < p) s = vadd(s, vloadm(row + p_full, tail));
      dbacc[fi - f0] = vadd(dbacc[fi - f0], s);
    }
  }
}

#if SN_FILTER_LANES
// With lanes_order, dw receives the sums as the tiles hold them, (block, tap, `lanes` filters)
// (lanes_order_to_dw puts them in place), instead of transposed into (f, ckk) here.
void weight_grad_filter_lanes(const WeightGradPlan& plan, int64_t f0, int64_t f1, int64_t t0, int64_t t1,
                              int64_t ckk, int64_t p, int64_t n, const float* dout, int64_t dout_stride,
                              const TapRows& col, float* dw, float* db, bool lanes_order = false) {
  const int64_t lanes = plan.rf, nf = f1 - f0, nt = t1 - t0, blocks = nf / lanes;
  const int nv = int(lanes / W);
  const bool with_db = t0 == 0;
  // (block, tap, `lanes` filters), then db's lanes
  float* scratch = t_dot.get(size_t((lanes_order ? 0 : nf * nt) + nf * W));
  float* sums = lanes_order ? dw : scratch;
  V* dbacc = reinterpret_cast<V*>(lanes_order ? scratch : scratch + nf * nt);
  for (int64_t fi = 0; fi < nf; ++fi) dbacc[fi] = vzero();
  float* at = t_dout_t.get(size_t(std::min(plan.images, n) * p * nf));
  for (int64_t i0 = 0; i0 < n; i0 += plan.images) {
    const int64_t ni = std::min<int64_t>(plan.images, n - i0);
    for (int64_t fb = 0; fb < blocks; ++fb)
      for (int64_t i = 0; i < ni; ++i)
        transpose(dout + (i0 + i) * dout_stride + (f0 + fb * lanes) * p, lanes, p, p, at + (fb * ni + i) * p * lanes,
                  lanes);
    if (with_db) add_bias_grad(f0, f1, p, ni, dout + i0 * dout_stride, dout_stride, dbacc);
    TapRows group = col;
    group.base = col.base + i0 * col.image_stride;
    for (int64_t fb = 0; fb < blocks; ++fb) {
      const float* a = at + fb * ni * p * lanes;
      for (int64_t tb = t0; tb < t1; tb += plan.rt) {
        const int rt = int(std::min<int64_t>(plan.rt, t1 - tb));
        int64_t off[kFilterMaxTaps];
        for (int t = 0; t < rt; ++t) off[t] = col.offset(tb + t);
        filter_tile_for(nv, rt)(group, off, ni, a, p, sums + (fb * nt + tb - t0) * lanes, i0 > 0);
      }
    }
  }
  // dw(f, t) = sums(block, t, f mod lanes)
  if (!lanes_order)
    for (int64_t fb = 0; fb < blocks; ++fb)
      transpose(sums + fb * nt * lanes, nt, lanes, lanes, dw + (f0 + fb * lanes) * ckk + t0, ckk);
  if (with_db)
    for (int64_t fi = 0; fi < nf; ++fi) db[f0 + fi] = vsum(dbacc[fi]);
}
#endif

}  // namespace

WeightGradPlan conv_weight_grad_plan(int64_t f, int64_t ckk, int64_t p, int64_t n) {
#if SN_FILTER_LANES
  for (int nv = 2; nv >= kFilterMinVectors; --nv) {
    if (f % (nv * W) != 0) continue;
    // Filters in lanes, the widest tile f fills. Images per pass: as many as keep their doutᵀ
    // and a tile's col rows ((lanes + taps)·P floats an image) within ~32 KB of L1, where doutᵀ
    // then stays while the tiles walk the taps. A larger map is one image a pass, whole: cut
    // into column slices that fit L1 (DeepConvNet's 28 × 28 layer) it was no faster (AVX2).
    const int lanes = nv * W, taps = kFilterTileTaps[nv];
    const int64_t per_image = (lanes + taps) * p;
    const int64_t images = std::clamp<int64_t>(8192 / std::max<int64_t>(per_image, 1), 1, std::max<int64_t>(n, 1));
    return WeightGradPlan{lanes, taps, images, p, true};
  }
#endif
  // Fewest padded filter rows first: every filter block streams all of col (the large operand)
  // from L2 once, so a tile that covers f exactly in tall blocks reads col the fewest times
  // (measured: 8×3 over 6×4/5×5 for 16–64 filters, −10…20%; 6×4 for LeNet's 6). Then the
  // FMA/load cost of the tiling, then the taller tile.
  WeightGradPlan plan{kDotShapes[0].rf, kDotShapes[0].rt, 1, 0, false};
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
  // Columns per pass: every filter block reads all of an image's col, so when one image's dout
  // and col outgrow a third of L2 they are cut into column slices that stay there while every
  // tile reads them (DeepConvNet's 16→16 layer on a 512 KB Zen 3 L2: 500 KB an image, which
  // each of its four filter blocks streamed from L3 again — 84% of the step's L2 read misses).
  const int64_t bytes = (f + ckk) * p * int64_t(sizeof(float)), budget = l2_cache_bytes() / 3;
  plan.columns = p;
  if (plan.images == 1 && bytes > budget) {
    const int64_t slices = (bytes + budget - 1) / budget;
    plan.columns = std::min<int64_t>(p, ((p + slices - 1) / slices + W - 1) / W * W);
  }
  return plan;
}

void conv_weight_grad(const WeightGradPlan& plan, int64_t f0, int64_t f1, int64_t t0, int64_t t1, int64_t ckk,
                      int64_t p, int64_t n, const float* dout, int64_t dout_stride, const float* col,
                      int64_t col_stride, float* dw, float* db) {
  // dout_i is (f, p), col_i is (ckk, p); dw is (f, ckk), db is (f); this call owns dw[f0, f1)[t0, t1)
  const int64_t nf = f1 - f0, nt = t1 - t0;
  if (nt <= 0 || nf <= 0) return;
  const bool with_db = t0 == 0;
#if SN_FILTER_LANES
  if (plan.filter_lanes) {
    const TapRows rows{col, col_stride, 1, p, 0, 0, 0, 0};
    weight_grad_filter_lanes(plan, f0, f1, t0, t1, ckk, p, n, dout, dout_stride, rows, dw, db);
    return;
  }
#endif
  // One image group: the tiles write dw themselves. Otherwise lane-wise partial sums, nf·nt
  // vectors for dw; then nf for db either way.
  const bool one_group = plan.images >= n && plan.columns >= p;
  const int64_t acc_count = (one_group ? 0 : nf * nt) + nf;
  V* acc = reinterpret_cast<V*>(t_dot.get(size_t(acc_count * W)));
  V* dbacc = acc + (one_group ? 0 : nf * nt);
  for (int64_t e = 0; e < acc_count; ++e) acc[e] = vzero();
  // Image groups and column slices outermost: a group's slice of dout and col rows stays in L2
  // while every tile reads it.
  for (int64_t i0 = 0; i0 < n; i0 += plan.images) {
    const int64_t ni = std::min<int64_t>(plan.images, n - i0);
    for (int64_t q0 = 0; q0 < p; q0 += plan.columns) {
      const int64_t pc = std::min<int64_t>(plan.columns, p - q0);
      const float* d_i = dout + i0 * dout_stride + q0;
      const float* c_i = col + i0 * col_stride + q0;
      for (int64_t fb = f0; fb < f1; fb += plan.rf) {
        const int rf = int(std::min<int64_t>(plan.rf, f1 - fb));
        const float* arows = d_i + fb * p;
        for (int64_t tb = t0; tb < t1; tb += plan.rt) {
          const int rt = int(std::min<int64_t>(plan.rt, t1 - tb));
          if (one_group) {
            dot_for(rf, rt)(pc, ni, arows, dout_stride, c_i + tb * p, col_stride, p, nullptr, 0, dw + fb * ckk + tb,
                            ckk);
          } else {
            dot_for(rf, rt)(pc, ni, arows, dout_stride, c_i + tb * p, col_stride, p,
                            acc + (fb - f0) * nt + (tb - t0), nt, nullptr, 0);
          }
        }
      }
    }
    if (with_db) add_bias_grad(f0, f1, p, ni, dout + i0 * dout_stride, dout_stride, dbacc);
  }
  for (int64_t fi = 0; fi < nf; ++fi) {
    if (!one_group)
      for (int64_t t = 0; t < nt; ++t) dw[(f0 + fi) * ckk + t0 + t] = vsum(acc[fi * nt + t]);
    if (with_db) db[f0 + fi] = vsum(dbacc[fi]);
  }
}

#if SN_FILTER_LANES
void conv_weight_grad_padded(const WeightGradPlan& plan, const ConvGeom& g, int64_t n, const float* dout,
                             int64_t dout_stride, const float* xp, int64_t xp_stride, float* dw, float* db) {
  const int64_t pw = g.w + 2 * g.pad, ph = g.h + 2 * g.pad;
  const TapRows rows{xp, xp_stride, g.oh, g.ow, pw, g.kh, g.kw, ph * pw};
  weight_grad_filter_lanes(plan, 0, g.f, 0, g.ckk(), g.ckk(), g.ohw(), n, dout, dout_stride, rows, dw, db, true);
}

void lanes_order_to_dw(const WeightGradPlan& plan, int64_t f, int64_t ckk, const float* sums, float* dw) {
  for (int64_t fb = 0; fb < f / plan.rf; ++fb)
    transpose(sums + fb * ckk * plan.rf, ckk, plan.rf, plan.rf, dw + fb * plan.rf * ckk, ckk);
}
#endif

SN_END_TARGET
