#include "kernels/conv_relu_pool.h"

#include <algorithm>
#include <cstring>

#include "kernels/conv_forward_lanes.h"
#include "kernels/conv_pool_tiles.h"
#include "kernels/convolution.h"
#include "kernels/gemm_choice.h"
#include "kernels/im2col.h"
#include "kernels/nonzero_rows.h"
#include "kernels/pooled_weight_grad.h"
#include "kernels/pooling.h"
#include "kernels/scratch.h"
#include "kernels/threadpool.h"
#include "simd/vec.h"

SN_BEGIN_TARGET

// Per-thread: one image's convolution output and im2col (forward).
static thread_local Scratch t_conv;
static thread_local Scratch t_col;
// Which rows of the padded image hold a non-zero (conv_relu_pool_tiles), in float-sized slots.
static thread_local Scratch t_live_rows;

ConvReluPoolPlan conv_relu_pool_plan(const ForwardWeights& fw, const ConvGeom& g, const PoolGeom& p) {
  ConvReluPoolPlan plan{fw, ConvReluPoolPlan::Path::Separate, false};
#if SN_POOLED_TILES
  // The pooling in the register tile: the convolution's map (SimpleConvNet's 69 KB an image),
  // which the pooling read back from L2, is never stored, nor is im2col. SimpleConvNet inference
  // ×0.846, then ×0.960 without im2col and ×0.974 skipping zero rows, training steps ×0.936 and
  // ×0.974; with 28-wide maps (a row in two vectors) LeNet5 inference ×0.895, training ×0.939,
  // DeepConvNet ×0.971 and ×0.983 (Zen 5, bench-ab).
  // With the built-in GEMM every forward path (GEMM, direct, lanes) sums each output tap by tap
  // from zero and then adds the bias, as the tiles do: the same bits. OpenBLAS's order differs.
  if (pooled_tiles_fit(g, p) && gemm_impl() == GemmImpl::Builtin) {
    plan.path = ConvReluPoolPlan::Path::PooledTiles;
    plan.finite = all_finite(fw.w, g.f * g.ckk());
    return plan;
  }
#endif
#if defined(SN_TARGET_AVX512)
  // Filters in whole 16s (LeNet's second layer, DeepConvNet's fourth and sixth): the pooling in
  // the lanes kernel's last pass, tiles of two rows. LeNet5 inference ×0.909, training ×0.971;
  // DeepConvNet ×0.953 and ×0.993 (Zen 5, bench-ab). For DeepConvNet's second layer (28 wide)
  // the filters-as-rows tiles above take ×0.98 of this one's time, so they keep it.
  if (fw.tap_offsets && conv_relu_pool_lanes_fits(g, p)) plan.path = ConvReluPoolPlan::Path::Lanes;
#endif
  // AVX2: the direct kernel pools each pair of rows it has just summed, where pool_plane read the
  // whole map back (13.6% of SimpleConvNet's inference, its 12-window rows mostly loop overhead).
  // Inference SimpleConvNet ×0.965, LeNet5 ×0.931; training steps ×0.978 and ×1.005 (Zen 4, AVX2
  // forced, bench-ab). Same bits.
  if (conv_relu_pool_direct_fits(g, p)) plan.path = ConvReluPoolPlan::Path::DirectPooled;
  return plan;
}

void conv_relu_pool_image(const ConvReluPoolPlan& plan, const float* x_i, const float* b, const ConvGeom& g,
                          const PoolGeom& p, float* out_i, int32_t* argmax_i) {
  const int64_t ohw = g.ohw(), pohw = p.oh * p.ow;
  switch (plan.path) {
#if SN_POOLED_TILES
    case ConvReluPoolPlan::Path::PooledTiles: {
      static_assert(sizeof(uint32_t) == sizeof(float), "row flags are kept in float-sized slots");
      const int64_t rows = g.c * (g.h + 2 * g.pad), pw = g.w + 2 * g.pad;
      uint32_t* live = plan.finite ? reinterpret_cast<uint32_t*>(t_live_rows.get(size_t(rows))) : nullptr;
      // Unpadded, the image is read in place (the tiles' loads stay inside its rows).
      const float* xp = g.pad == 0 ? x_i : im2col_pad_image(x_i, g);
      for (int64_t r = 0; live && r < rows; ++r) live[r] = count_nonzero(xp + r * pw, pw) != 0;
      conv_relu_pool_tiles(xp, live, plan.fw.wt, b, g, out_i, argmax_i);
      return;
    }
#endif
#if defined(SN_TARGET_AVX512)
    case ConvReluPoolPlan::Path::Lanes: {
      float* out_t = t_conv.get(size_t(g.f * ohw));  // the passes' partial sums
      conv_relu_pool_lanes(im2col_pad_image(x_i, g), plan.fw.lane_panels, plan.fw.tap_offsets, b, g, out_t, out_i,
                           argmax_i);
      return;
    }
#endif
    case ConvReluPoolPlan::Path::DirectPooled:
      conv_relu_pool_direct_image(x_i, plan.fw, b, g, out_i, argmax_i);
      return;
    default: break;
  }
  float* conv = t_conv.get(size_t(g.f * ohw));
  conv_forward_image(x_i, plan.fw, b, g, conv, t_col.get(size_t(g.ckk() * ohw)), false);
  if (!argmax_i) {
    // Inference: no winners to keep, the Relu in the same pass.
    for (int64_t fi = 0; fi < g.f; ++fi) pool_plane_relu(conv + fi * ohw, p, out_i + fi * pohw);
    return;
  }
  for (int64_t fi = 0; fi < g.f; ++fi) pool_plane(conv + fi * ohw, p, out_i + fi * pohw, argmax_i + fi * pohw);
  // Relu after the pooling: a quarter of the values, and the same result.
  const int64_t out_size = g.f * pohw;
  for (int64_t q = 0; q < out_size; ++q) out_i[q] = out_i[q] > 0.0f ? out_i[q] : 0.0f;
}

void conv_relu_pool_forward(const float* x, const float* w, const float* b, const ConvGeom& g, const PoolGeom& p,
                            float* out, int32_t* argmax) {
  const int64_t in_size = g.c * g.h * g.w, out_size = g.f * p.oh * p.ow;
  const ConvReluPoolPlan plan = conv_relu_pool_plan(forward_weights(w, g), g, p);
  parallel_for_pieces(g.n, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      conv_relu_pool_image(plan, x + i * in_size, b, g, p, out + i * out_size, argmax ? argmax + i * out_size : nullptr);
    }
  });
}

namespace {

// The convolution gradient of one image from the pooled gradient: zero, plus each positive
// window's gradient at its winner (Relu then Pooling backward in one pass, into a map that stays
// in L2). Returns -1, or the flat argmax position of a winner outside the plane.
struct PoolScatter {
  const float* dout;
  const float* out;
  const int32_t* argmax;
  int64_t f, ohw, pohw;
  // Windows of 2 × 2, stride 2, tiling the plane exactly (ow = 2·pow, oh = 2·poh): the map is
  // written window by window (tile_windows) instead of zeroed and scattered into.
  bool tiles;
  int64_t ow, pow, poh;
};

// The generic form: any windows, winners anywhere in the plane (overlapping windows add).
int64_t zero_and_scatter(const PoolScatter& s, int64_t i, float* d) {
  const int64_t out_size = s.f * s.pohw;
  std::memset(d, 0, sizeof(float) * size_t(s.f * s.ohw));
  const float* dout_i = s.dout + i * out_size;
  const float* out_i = s.out + i * out_size;
  const int32_t* a_i = s.argmax + i * out_size;
  int64_t bad = -1;
  for (int64_t fi = 0; fi < s.f; ++fi) {
    float* plane = d + fi * s.ohw;
    for (int64_t q = fi * s.pohw; q < (fi + 1) * s.pohw; ++q) {
      const int32_t at = a_i[q];
      // argmax comes from JavaScript: an index outside the plane would write out of bounds
      if (uint32_t(at) >= uint64_t(s.ohw)) {
        if (bad < 0) bad = i * out_size + q;
        continue;
      }
      // A select, not a branch: which windows are positive is data, unpredictable.
      plane[at] += out_i[q] > 0.0f ? dout_i[q] : 0.0f;
    }
  }
  return bad;
}

// n ≤ kWindowsAStep windows of a pooled row, from its values at out, its gradients at dout and its
// winners at at: their two rows of 2·n cells, at r0 and r0 + ow. base: the first window's first
// cell. False where a winner lies outside its window (nothing is known then of the map).
#if defined(SN_TARGET_AVX512)
constexpr int64_t kWindowsAStep = 8;
inline bool write_windows(const float* out, const float* dout, const int32_t* at, bool, int32_t base, int64_t ow,
                          int64_t n, float* r0) {
  // In the low lanes of one vector; then each window's value and winner in two lanes, one per cell.
  const __m512i iota2 = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m512i pairs = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i even_odd = _mm512_setr_epi32(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1);
  const __m512i row = _mm512_set1_epi32(int32_t(ow)), row1 = _mm512_set1_epi32(int32_t(ow + 1));
  const __mmask16 m = __mmask16((1u << n) - 1u);
  const __mmask16 positive = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, out), _mm512_setzero_ps(), _CMP_GT_OQ);
  const __m512 g = _mm512_add_ps(_mm512_maskz_loadu_ps(positive, dout), _mm512_setzero_ps());
  // The winner's place in its window: 0, 1, ow or ow + 1.
  const __m512i rel =
      _mm512_sub_epi32(_mm512_maskz_loadu_epi32(m, at), _mm512_add_epi32(_mm512_set1_epi32(base), iota2));
  const __mmask16 ok = _mm512_mask_cmpeq_epi32_mask(m, _mm512_and_si512(rel, _mm512_set1_epi32(~1)), _mm512_setzero_si512()) |
                       _mm512_mask_cmpeq_epi32_mask(m, rel, row) | _mm512_mask_cmpeq_epi32_mask(m, rel, row1);
  if (ok != m) return false;
  const __m512 gg = _mm512_maskz_permutexvar_ps(__mmask16(0xFFFF), pairs, g);
  const __m512i rr = _mm512_maskz_permutexvar_epi32(__mmask16(0xFFFF), pairs, rel);
  const __mmask16 cells = __mmask16((1u << (2 * n)) - 1u);
  _mm512_mask_storeu_ps(r0, cells, _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(rr, even_odd), gg));
  _mm512_mask_storeu_ps(r0 + ow, cells,
                        _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(rr, _mm512_add_epi32(even_odd, row)), gg));
  return true;
}
#elif defined(SN_TARGET_AVX2)
constexpr int64_t kWindowsAStep = 8;
inline bool write_windows(const float* out, const float* dout, const int32_t* at, bool inside, int32_t base,
                          int64_t ow, int64_t n, float* r0) {
  const __m256i iota2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m256i even_odd = _mm256_setr_epi32(0, 1, 0, 1, 0, 1, 0, 1);
  const __m256i row = _mm256_set1_epi32(int32_t(ow)), row1 = _mm256_set1_epi32(int32_t(ow + 1));
  const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(int32_t(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  // Plain loads where all 8 lanes lie inside the image's arrays (vmaskmovps waited longer on the
  // misses here, Zen 4), the lanes past the row dropped by m; masked ones at the end.
  const __m256 o = inside ? _mm256_loadu_ps(out) : _mm256_maskload_ps(out, m);
  const __m256 positive = _mm256_and_ps(_mm256_cmp_ps(o, _mm256_setzero_ps(), _CMP_GT_OQ), _mm256_castsi256_ps(m));
  const __m256 dv = inside ? _mm256_loadu_ps(dout) : _mm256_maskload_ps(dout, m);
  const __m256 g = _mm256_add_ps(_mm256_and_ps(dv, positive), _mm256_setzero_ps());
  const __m256i av = inside ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at)) : _mm256_maskload_epi32(at, m);
  // The winner's place in its window: 0, 1, ow or ow + 1.
  const __m256i rel = _mm256_sub_epi32(av, _mm256_add_epi32(_mm256_set1_epi32(base), iota2));
  const __m256i ok = _mm256_or_si256(_mm256_cmpeq_epi32(_mm256_and_si256(rel, _mm256_set1_epi32(~1)), _mm256_setzero_si256()),
                                     _mm256_or_si256(_mm256_cmpeq_epi32(rel, row), _mm256_cmpeq_epi32(rel, row1)));
  if (_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_andnot_si256(ok, m))) != 0) return false;
  // Each window's value and winner in two lanes, one per cell: the first four windows, then the rest.
  for (int half = 0; half < 2 && 8 * half < 2 * n; ++half) {
    const __m256i pairs = half ? _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7) : _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
    const __m256 gg = _mm256_permutevar8x32_ps(g, pairs);
    const __m256i rr = _mm256_permutevar8x32_epi32(rel, pairs);
    const int64_t c0 = 8 * half, cells = 2 * n - c0;
    vstore_first(r0 + c0, _mm256_and_ps(gg, _mm256_castsi256_ps(_mm256_cmpeq_epi32(rr, even_odd))), cells);
    vstore_first(r0 + ow + c0,
                 _mm256_and_ps(gg, _mm256_castsi256_ps(_mm256_cmpeq_epi32(rr, _mm256_add_epi32(even_odd, row)))), cells);
  }
  return true;
}
#else
constexpr int64_t kWindowsAStep = 1;
inline bool write_windows(const float* out, const float* dout, const int32_t* at, bool, int32_t base, int64_t ow,
                          int64_t, float* r0) {
  const float g = 0.0f + (out[0] > 0.0f ? dout[0] : 0.0f);
  const int64_t rel = int64_t(at[0]) - base;
  if (rel != 0 && rel != 1 && rel != ow && rel != ow + 1) return false;
  r0[0] = rel == 0 ? g : 0.0f;
  r0[1] = rel == 1 ? g : 0.0f;
  r0[ow] = rel == ow ? g : 0.0f;
  r0[ow + 1] = rel == ow + 1 ? g : 0.0f;
  return true;
}
#endif

// Every cell of the map written once, window by window, in whole vectors: the winner's cell gets
// 0 + the gradient (as the scatter's += onto zero makes it: −0 becomes +0), the other three +0.
// The memset and the scalar scatter were 4.6% of a DeepConvNet step (Zen 4, 2 threads); this,
// steps ×0.954 (AVX-512) and ×0.936 (AVX2). False, with the map partly written, where a winner
// lies outside its own window (an argmax not from this pooling's forward): zero_and_scatter then
// does the whole map.
bool tile_windows(const PoolScatter& s, int64_t i, float* d) {
  const int64_t out_size = s.f * s.pohw, ow = s.ow;
  const float* dout_i = s.dout + i * out_size;
  const float* out_i = s.out + i * out_size;
  const int32_t* a_i = s.argmax + i * out_size;
  for (int64_t fi = 0; fi < s.f; ++fi) {
    for (int64_t pr = 0; pr < s.poh; ++pr) {
      const int64_t q0 = fi * s.pohw + pr * s.pow;
      float* r0 = d + fi * s.ohw + 2 * pr * ow;
      for (int64_t pc = 0; pc < s.pow; pc += kWindowsAStep) {
        const int64_t q = q0 + pc;
        if (!write_windows(out_i + q, dout_i + q, a_i + q, q + kWindowsAStep <= out_size, int32_t(2 * pr * ow + 2 * pc),
                           ow, std::min(kWindowsAStep, s.pow - pc), r0 + 2 * pc))
          return false;
      }
    }
  }
  return true;
}

int64_t scatter_to_winners(const void* ctx, int64_t i, float* d) {
  const PoolScatter& s = *static_cast<const PoolScatter*>(ctx);
  if (s.tiles && tile_windows(s, i, d)) return -1;
  return zero_and_scatter(s, i, d);
}

}  // namespace

// Dense form: conv_backward_from_x (kernels/convolution.h) with the gradient routed to the
// windows' winners. With dw null only dx is computed (pooled_weight_grad has done dw and db).
static int64_t backward_dense(const float* dout, const float* out, const int32_t* argmax, const float* x,
                              const float* w, const ConvGeom& g, const PoolGeom& p, float* dw, float* db, float* dx) {
  const bool tiles = p.ph == 2 && p.pw == 2 && p.stride == 2 && p.pad == 0 && p.h == g.oh && p.w == g.ow &&
                     g.oh == 2 * p.oh && g.ow == 2 * p.ow;
  const PoolScatter s{dout, out, argmax, g.f, g.ohw(), p.oh * p.ow, tiles, g.ow, p.ow, p.oh};
  return conv_backward_from_x(x, w, g, scatter_to_winners, &s, dw, db, dx);
}

int64_t conv_relu_pool_backward(const float* dout, const float* out, const int32_t* argmax, const float* x,
                                const float* w, const ConvGeom& g, const PoolGeom& p, float* dw, float* db,
                                float* dx) {
  // dw and db from the positive windows alone where a sparse form applies (kernels/pooled_weight_grad.h);
  // dx always by the dense form: a sparse dx would read, add to and write back dx row by row,
  // each store overlapping the next patch's loads (tried on LeNet's second layer: 5× slower than
  // the dense wᵀ·dconv + col2im).
  int64_t bad = -1;
  if (!pooled_weight_grad(dout, out, argmax, x, g, p, dw, db, &bad)) {
    return backward_dense(dout, out, argmax, x, w, g, p, dw, db, dx);
  }
  if (!dx || bad >= 0) return bad;
  return backward_dense(dout, out, argmax, x, w, g, p, nullptr, nullptr, dx);
}

SN_END_TARGET
