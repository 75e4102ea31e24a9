#include "kernels/augment.h"

#include <cmath>

#include "kernels/dropout.h"
#include "kernels/scratch.h"
#include "kernels/threadpool.h"
#include "simd/target.h"
#include "simd/vec.h"

SN_BEGIN_TARGET

namespace {

thread_local Scratch t_field;

// Uniform noise in [−1, 1): 24 bits of the hash (exact in float), as lib/backend/reference/augment.ts.
inline float noise(uint32_t key, uint32_t i) { return float(int32_t(mix32(key ^ i) >> 8) - 8388608) * (1.0f / 8388608.0f); }

// out[x] = Σ_t taps[t]·in[x + t·step] for x < w, each pixel summing t = 0, 1, … with a rounded
// multiply and a rounded add, as the reference does. Each pixel's sum is one chain of dependent
// adds, so four vectors of pixels are summed side by side (a row of 28 is four AVX2 vectors) and
// each stays in a register over all taps: accumulating in the output row instead made every add
// wait on the store before it.
inline void smooth_row(const float* in, int64_t step, const float* taps, int64_t k, int64_t w, float* out) {
  constexpr int64_t kBlocks = 4;
  int64_t x = 0;
  for (; x + kBlocks * W <= w; x += kBlocks * W) {
    V acc[kBlocks];
    for (int64_t b = 0; b < kBlocks; ++b) acc[b] = vzero();
    for (int64_t t = 0; t < k; ++t) {
      const V wt = vset1(taps[t]);
      const float* src = in + t * step + x;
      for (int64_t b = 0; b < kBlocks; ++b) acc[b] = vadd(acc[b], vmul(wt, vload(src + b * W)));
    }
    for (int64_t b = 0; b < kBlocks; ++b) vstore(out + x + b * W, acc[b]);
  }
  // The rest of the row (28 = 3½ AVX2 vectors): whole vectors, then one masked (masked moves go
  // lane by lane on SSE2 and NEON).
  const int64_t full = (w - x) / W;
  const Mask m = lane_range(0, (w - x) % W);
  const bool partial = (w - x) % W != 0;
  V acc[kBlocks] = {vzero(), vzero(), vzero(), vzero()};
  for (int64_t t = 0; t < k; ++t) {
    const V wt = vset1(taps[t]);
    const float* src = in + t * step + x;
    for (int64_t b = 0; b < kBlocks; ++b) {
      if (b < full) acc[b] = vadd(acc[b], vmul(wt, vload(src + b * W)));
      else if (b == full && partial) acc[b] = vadd(acc[b], vmul(wt, vloadm(src + b * W, m)));
    }
  }
  for (int64_t b = 0; b < full; ++b) vstore(out + x + b * W, acc[b]);
  if (partial) vstorem(out + x + full * W, acc[full], m);
}

// dx, dy (h × w) = the elastic displacement of batch image s, before scaling by alpha: uniform
// noise smoothed by the separable Gaussian taps, along rows and then down columns, in float.
// scratch: (w + 2r) noise values, then (h + 2r) × w horizontally smoothed ones.
void elastic_field(int64_t h, int64_t w, const float* taps, int64_t r, uint32_t key, int64_t s, float* noise_row,
                   float* smooth, float* dx, float* dy) {
  const int64_t pw = w + 2 * r;
  const int64_t k = 2 * r + 1;
  for (int comp = 0; comp < 2; ++comp) {
    const uint32_t kc = mix32(key ^ uint32_t(2 * s + comp));
    for (int64_t yy = 0; yy < h + 2 * r; ++yy) {
      const uint32_t base = uint32_t(yy * pw);
      for (int64_t xx = 0; xx < pw; ++xx) noise_row[xx] = noise(kc, base + uint32_t(xx));
      smooth_row(noise_row, 1, taps, k, w, smooth + yy * w);
    }
    float* field = comp == 0 ? dx : dy;
    for (int64_t y = 0; y < h; ++y) smooth_row(smooth + y * w, w, taps, k, w, field + y * w);
  }
}

}  // namespace

void augment_bytes(const uint8_t* src, int64_t c, int64_t h, int64_t w, const int32_t* rows, int64_t first, int64_t n,
                   double divisor, const float* affine, const float* taps, int64_t ntaps, double alpha, uint32_t key,
                   float* out) {
  // src is (count, c, h, w) bytes; affine (n, 6); taps (ntaps); out (n, c, h, w)
  const int64_t plane = h * w;
  const int64_t row_length = c * plane;
  const int64_t r = ntaps > 0 ? (ntaps - 1) / 2 : 0;
  const bool elastic = ntaps > 0;
  const double wd = double(w), hd = double(h);
  // An elastic image costs ~100 k multiply-adds, an affine one ~10 k: the pool is woken only
  // for batches that pay for it.
  parallel_for(n, elastic ? 2 : 16, [&](int64_t b, int64_t e, int) {
    float* dx = nullptr;
    float* dy = nullptr;
    float* noise_row = nullptr;
    float* smooth = nullptr;
    if (elastic) {
      float* base = t_field.get(size_t(2 * plane + (h + 2 * r) * w + (w + 2 * r)));
      dx = base;
      dy = dx + plane;
      smooth = dy + plane;
      noise_row = smooth + (h + 2 * r) * w;
    }
    for (int64_t s = b; s < e; ++s) {
      const uint8_t* img = src + (rows ? int64_t(rows[s]) : first + s) * row_length;
      float* o = out + s * row_length;
      const float* m = affine + 6 * s;
      const double a = m[0], bb = m[1], ee = m[2], cc = m[3], d = m[4], f = m[5];
      if (elastic) elastic_field(h, w, taps, r, key, s, noise_row, smooth, dx, dy);
      for (int64_t y = 0; y < h; ++y) {
        const double yd = double(y);
        for (int64_t x = 0; x < w; ++x) {
          const double xd = double(x);
          double sx = a * xd + bb * yd + ee;
          double sy = cc * xd + d * yd + f;
          if (elastic) {
            sx += alpha * double(dx[y * w + x]);
            sy += alpha * double(dy[y * w + x]);
          }
          const int64_t at = y * w + x;
          // Outside (−1, w) × (−1, h) every tap is fill (NaN fails the test too, and no
          // out-of-range value ever reaches the integer conversion).
          if (!(sx > -1.0 && sx < wd && sy > -1.0 && sy < hd)) {
            for (int64_t ch = 0; ch < c; ++ch) o[ch * plane + at] = float(0.0 / divisor);
            continue;
          }
          const double x0d = std::floor(sx), y0d = std::floor(sy);
          const double fx = sx - x0d, fy = sy - y0d;
          const int64_t x0 = int64_t(x0d), y0 = int64_t(y0d);
          const bool left = x0 >= 0, right = x0 + 1 < w, top = y0 >= 0, bottom = y0 + 1 < h;
          for (int64_t ch = 0; ch < c; ++ch) {
            const uint8_t* p = img + ch * plane;
            const double p00 = top && left ? double(p[y0 * w + x0]) : 0.0;
            const double p01 = top && right ? double(p[y0 * w + x0 + 1]) : 0.0;
            const double p10 = bottom && left ? double(p[(y0 + 1) * w + x0]) : 0.0;
            const double p11 = bottom && right ? double(p[(y0 + 1) * w + x0 + 1]) : 0.0;
            const double v = (1.0 - fy) * ((1.0 - fx) * p00 + fx * p01) + fy * ((1.0 - fx) * p10 + fx * p11);
            o[ch * plane + at] = float(v / divisor);
          }
        }
      }
    }
  });
}

SN_END_TARGET
