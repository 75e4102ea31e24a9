#include "kernels/affine.h"

#include "kernels/gemm.h"
#include "kernels/threadpool.h"
#include "simd/target.h"

SN_BEGIN_TARGET

// Below this many multiply-adds per thread a wake-up costs more than it saves
// (the book's last Affine, 100×100×10, stays on the caller).
constexpr int64_t kMinFlopsPerThread = 1 << 18;

static int64_t min_items(int64_t flops_per_item) {
  return flops_per_item <= 0 ? 1 : (kMinFlopsPerThread + flops_per_item - 1) / flops_per_item;
}

void affine_forward(const float* x, const float* w, const float* b, int64_t n, int64_t d, int64_t m, float* out) {
  // x is (n, d), w is (d, m), out is (n, m); threads own disjoint rows of x and out
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
