#include "kernels/softmax_loss.h"

#include <cmath>

#include "kernels/threadpool.h"
#include "simd/target.h"

SN_BEGIN_TARGET

constexpr double kLogEps = 1e-7;  // the book's cross_entropy_error: log(y + 1e-7)
constexpr int64_t kMinValuesPerThread = 1 << 15;

// One row: probs_r = softmax(x_r), max-subtracted so that exp never overflows.
static inline void softmax_row(const float* x, int64_t k, float* p) {
  float mx = x[0];
  for (int64_t j = 1; j < k; ++j) mx = x[j] > mx ? x[j] : mx;
  double sum = 0.0;
  for (int64_t j = 0; j < k; ++j) {
    p[j] = std::exp(x[j] - mx);
    sum += p[j];
  }
  const float inv = float(1.0 / sum);
  for (int64_t j = 0; j < k; ++j) p[j] *= inv;
}

// Rows are split across threads; each chunk's loss lands in its own slot (at most one per thread)
// and the slots are added in order, so the sum does not depend on scheduling.
template <typename RowLoss>
static double mean_over_rows(int64_t n, int64_t k, RowLoss row_loss) {
  double partial[kMaxThreads] = {};
  parallel_for(n, kMinValuesPerThread / (k > 0 ? k : 1) + 1, [&](int64_t r0, int64_t r1, int t) {
    double s = 0.0;
    for (int64_t r = r0; r < r1; ++r) s += row_loss(r);
    partial[t] += s;
  });
  double total = 0.0;
  for (int t = 0; t < kMaxThreads; ++t) total += partial[t];
  return total / double(n);
}

double softmax_cross_entropy_forward_index(const float* x, const int32_t* labels, int64_t n, int64_t k, float* probs) {
  // x and probs are (n, k), labels is (n)
  return mean_over_rows(n, k, [&](int64_t r) {
    float* p = probs + r * k;
    softmax_row(x + r * k, k, p);
    return -std::log(double(p[labels[r]]) + kLogEps);
  });
}

double softmax_cross_entropy_forward_dense(const float* x, const float* t, int64_t n, int64_t k, float* probs) {
  // x, t and probs are (n, k)
  return mean_over_rows(n, k, [&](int64_t r) {
    float* p = probs + r * k;
    const float* tr = t + r * k;
    softmax_row(x + r * k, k, p);
    double s = 0.0;
    for (int64_t j = 0; j < k; ++j) s -= double(tr[j]) * std::log(double(p[j]) + kLogEps);
    return s;
  });
}

void softmax_cross_entropy_backward_index(const float* probs, const int32_t* labels, int64_t n, int64_t k, float scale,
                                          float* dx) {
  // probs and dx are (n, k), labels is (n)
  parallel_for(n, kMinValuesPerThread / (k > 0 ? k : 1) + 1, [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* p = probs + r * k;
      float* d = dx + r * k;
      for (int64_t j = 0; j < k; ++j) d[j] = p[j] * scale;
      d[labels[r]] = (p[labels[r]] - 1.0f) * scale;
    }
  });
}

void softmax_cross_entropy_backward_dense(const float* probs, const float* t, int64_t n, int64_t k, float scale,
                                          float* dx) {
  // probs, t and dx are (n, k)
  parallel_for(n * k, kMinValuesPerThread, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) dx[i] = (probs[i] - t[i]) * scale;
  });
}

SN_END_TARGET
