#pragma once
#include <cstdint>
#include "simd/target.h"

SN_BEGIN_TARGET

// lowbias32: the same bits as mix32 in lib/tensor/rng.ts.
inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

// x, out and mask are (len): mask[i] = u(seed, counter, i) > ratio, out = x · mask, where
// u = (mix32(key ^ i) >> 8) / 2^24 and key = mix32(mix32(seed) ^ counter), as in rng.ts.
void dropout_forward(const float* x, int64_t len, double ratio, uint32_t seed, uint32_t counter, float* out,
                     uint8_t* mask);
// dout, mask and dx are (len): dx = dout · mask.
void dropout_backward(const float* dout, const uint8_t* mask, int64_t len, float* dx);

SN_END_TARGET
