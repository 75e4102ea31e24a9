#include "kernels/elementwise.h"

#include "kernels/threadpool.h"
#include "simd/target.h"

SN_BEGIN_TARGET

constexpr int64_t kMinElements = 1 << 16;

void axpy(float alpha, const float* x, float* y, int64_t len) {
  // x, y are (len)
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) y[i] += alpha * x[i];
  });
}

void scale(const float* x, float alpha, int64_t len, float* out) {
  // x, out are (len); out may alias x, which an element-wise loop allows
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) out[i] = x[i] * alpha;
  });
}

SN_END_TARGET
