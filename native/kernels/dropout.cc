#include "kernels/dropout.h"

#include "kernels/threadpool.h"
#include "simd/target.h"

SN_BEGIN_TARGET

constexpr int64_t kMinElements = 1 << 15;

void dropout_forward(const float* x, int64_t len, double ratio, uint32_t seed, uint32_t counter, float* out,
                     uint8_t* mask) {
  // x, out and mask are (len)
  const uint32_t key = mix32(mix32(seed) ^ counter);
  // u > ratio  ⇔  (h >> 8) > ratio·2^24: the scaling by a power of two is exact in double,
  // so this is the very comparison the TypeScript backend makes.
  const double threshold = ratio * 16777216.0;
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      const uint32_t h = mix32(key ^ uint32_t(i)) >> 8;
      const uint8_t keep = double(h) > threshold ? 1 : 0;
      mask[i] = keep;
      out[i] = x[i] * float(keep);  // a product, as in the book: NaN·0 stays NaN
    }
  });
}

void dropout_backward(const float* dout, const uint8_t* mask, int64_t len, float* dx) {
  // dout, mask and dx are (len)
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) dx[i] = dout[i] * float(mask[i]);
  });
}

SN_END_TARGET
