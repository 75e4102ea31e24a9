#include "kernels/affine.h"

#include <algorithm>

#include "kernels/gemm.h"
#include "kernels/gemm_choice.h"
#include "kernels/scratch.h"
#include "kernels/threadpool.h"
#include "simd/target.h"

SN_BEGIN_TARGET

// Below this many multiply-adds per thread a wake-up costs more than it saves
// (the book's last Affine, 100×100×10, stays on the caller).
constexpr int64_t kMinFlopsPerThread = 1 << 18;

static int64_t min_items(int64_t flops_per_item) {
  return flops_per_item <= 0 ? 1 : (kMinFlopsPerThread + flops_per_item - 1) / flops_per_item;
}

static thread_local Scratch t_second_half;

// Affine's forward in two halves of d, each thread multiplying its rows by one half of w: with
// rows split instead, every thread streamed all of w (SimpleConvNet's 4320 × 100, 1.7 MB) from L3
// and copied it into panels, for 50 rows of x (training steps ×0.95, Zen 5, 2 threads). Every
// output is the first half's sum (with the bias) plus the second half's, whatever the batch and
// thread count: the same bits in training and inference, for any number of threads.
constexpr int64_t kRowsForHalves = 100;

static bool splits_d(int64_t d) { return gemm_impl() == GemmImpl::Builtin && d >= 4 * sgemm_pass_depth(); }

static void affine_forward_halves(const float* x, const float* w, const float* b, int64_t n, int64_t d, int64_t m,
                                  float* out) {
  const int64_t pass = sgemm_pass_depth();
  const int64_t k0 = (d / 2 + pass - 1) / pass * pass;  // at a pass boundary
  float* second = t_second_half.get(size_t(n * m));
  // A training batch (rows a thread would have: at most kRowsForHalves): row blocks, one per two
  // threads, half-major, so that each thread's contiguous range of units keeps to one half of w.
  // An inference batch, whose rows repay copying all of w: a block of rows per thread (of at most
  // 500), both halves of a block on one thread — on AVX2 the halves split across threads made
  // SimpleConvNet's inference ×1.04 slower.
  const int64_t threads = num_threads();
  const bool by_halves = n <= kRowsForHalves * threads;
  const int64_t blocks = std::min<int64_t>(n, std::max<int64_t>(by_halves ? (threads + 1) / 2 : threads, (n + 499) / 500));
  parallel_for(2 * blocks, 1, [&](int64_t u0, int64_t u1, int) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t half = by_halves ? u / blocks : u % 2, blk = by_halves ? u % blocks : u / 2;
      const int64_t r0 = blk * n / blocks, r1 = (blk + 1) * n / blocks;
      if (half == 0) {
        sgemm_bias(false, false, r1 - r0, m, k0, x + r0 * d, d, w, m, nullptr, b, out + r0 * m, m);
      } else {
        sgemm(false, false, r1 - r0, m, d - k0, x + r0 * d + k0, d, w + k0 * m, m, false, second + r0 * m, m);
      }
    }
  });
  parallel_for(n, min_items(2 * m), [&](int64_t r0, int64_t r1, int) {
    for (int64_t i = r0 * m; i < r1 * m; ++i) out[i] += second[i];
  });
}

void affine_forward(const float* x, const float* w, const float* b, int64_t n, int64_t d, int64_t m, float* out) {
  // x is (n, d), w is (d, m), out is (n, m)
  if (splits_d(d)) return affine_forward_halves(x, w, b, n, d, m, out);
  // threads own disjoint rows of x and out
  parallel_for(n, min_items(d * m), [&](int64_t r0, int64_t r1, int) {
    sgemm_bias(false, false, r1 - r0, m, d, x + r0 * d, d, w, m, nullptr, b, out + r0 * m, m);
  });
}

void affine_backward(const float* dout, const float* x, const float* w, int64_t n, int64_t d, int64_t m, float* dw,
                     float* db, float* dx) {
  // dw(d, m) = xᵀ(d, n) · dout(n, m): threads own disjoint rows of dw, i.e. columns of x (lda = d)
  parallel_for(d, min_items(n * m), [&](int64_t r0, int64_t r1, int) {
    sgemm(true, false, r1 - r0, m, n, x + r0, d, dout, m, false, dw + r0 * m, m);
  });
  // db(m) = Σ_rows dout, accumulated in double; columns are independent
  parallel_for(m, 1024, [&](int64_t j0, int64_t j1, int) {
    for (int64_t j = j0; j < j1; ++j) {
      double s = 0.0;
      for (int64_t r = 0; r < n; ++r) s += dout[r * m + j];
      db[j] = float(s);
    }
  });
  if (!dx) return;
  // dx(n, d) = dout(n, m) · wᵀ(m, d): threads own disjoint columns of dx (rows of w), so each
  // transposes only its own part of w into the GEMM's panels.
  parallel_for(d, min_items(n * m), [&](int64_t c0, int64_t c1, int) {
    sgemm(false, true, n, c1 - c0, m, dout, m, w + c0 * m, m, false, dx + c0, d);
  });
}

SN_END_TARGET
