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
thread_local Scratch t_pad;

// Uniform noise in [−1, 1): 24 bits of the hash (exact in float), as lib/backend/reference/augment.ts.
inline float noise(uint32_t key, uint32_t i) { return float(int32_t(mix32(key ^ i) >> 8) - 8388608) * (1.0f / 8388608.0f); }

// out[x] = Σ_t taps[t]·in[x + t·step] for x in [x0, x0 + F·W + (P ? the mask's lanes : 0)), each
// pixel summing t = 0, 1, … with a rounded multiply and a rounded add, as the reference does. Each
// pixel's sum is one chain of dependent adds, so up to four vectors of pixels are summed side by
// side and each stays in a register over all taps. F and P are template arguments because an
// accumulator array indexed by a run-time count lives on the stack: every add then waits on a
// store (the row of 28 is 3 vectors and a part on AVX2, and took 55% of an elastic batch so).
template <int F, bool P>
inline void smooth_block(const float* in, int64_t step, const float* taps, int64_t k, int64_t x0, int64_t part,
                         float* out) {
  constexpr int kAcc = F + (P ? 1 : 0);
  const Mask m = P ? lane_range(0, part) : no_lanes();  // the partial vector's `part` lanes
  static_assert(kAcc >= 1 && kAcc <= 4, "one to four accumulators");
  V acc[kAcc];
  for (int b = 0; b < kAcc; ++b) acc[b] = vzero();
  for (int64_t t = 0; t < k; ++t) {
    const V wt = vset1(taps[t]);
    const float* src = in + t * step + x0;
    for (int b = 0; b < F; ++b) acc[b] = vadd(acc[b], vmul(wt, vload(src + b * W)));
    if constexpr (P) acc[F] = vadd(acc[F], vmul(wt, vloadm(src + F * W, m)));
  }
  for (int b = 0; b < F; ++b) vstore(out + x0 + b * W, acc[b]);
  // Stored in pieces, not through m: vmaskmovps as a store is microcoded on AMD Zen.
  if constexpr (P) vstore_first(out + x0 + F * W, acc[F], part);
}

// out[x] for x < w (see smooth_block): blocks of four vectors, then the rest of the row in one
// block of whole vectors and at most one masked one (masked moves go lane by lane on SSE2 and NEON).
inline void smooth_row(const float* in, int64_t step, const float* taps, int64_t k, int64_t w, float* out) {
  int64_t x = 0;
  for (; x + 4 * W <= w; x += 4 * W) smooth_block<4, false>(in, step, taps, k, x, 0, out);
  const int64_t full = (w - x) / W;
  const int64_t part = (w - x) % W;
  switch (full * 2 + (part != 0 ? 1 : 0)) {
    case 1: smooth_block<0, true>(in, step, taps, k, x, part, out); break;
    case 2: smooth_block<1, false>(in, step, taps, k, x, part, out); break;
    case 3: smooth_block<1, true>(in, step, taps, k, x, part, out); break;
    case 4: smooth_block<2, false>(in, step, taps, k, x, part, out); break;
    case 5: smooth_block<2, true>(in, step, taps, k, x, part, out); break;
    case 6: smooth_block<3, false>(in, step, taps, k, x, part, out); break;
    case 7: smooth_block<3, true>(in, step, taps, k, x, part, out); break;
    default: break;  // 0: the row ended on a block of four
  }
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

// pad (c × (h + 2) × (w + 2)) = the image as doubles inside a border of zeros: a tap outside the
// image reads a zero instead of being tested, which is the reference's zero fill.
void pad_image(const uint8_t* img, int64_t c, int64_t h, int64_t w, double* pad) {
  const int64_t pw = w + 2, ph = h + 2;
  for (int64_t ch = 0; ch < c; ++ch) {
    double* P = pad + ch * ph * pw;
    const uint8_t* p = img + ch * h * w;
    for (int64_t x = 0; x < pw; ++x) P[x] = P[(ph - 1) * pw + x] = 0.0;
    for (int64_t y = 0; y < h; ++y) {
      double* row = P + (y + 1) * pw;
      row[0] = row[w + 1] = 0.0;
      for (int64_t x = 0; x < w; ++x) row[x + 1] = double(p[y * w + x]);
    }
  }
}

// The coefficients of one image's warp (see augment.h), and its elastic field (null for none).
struct Warp {
  double a, b, e, c, d, f;
  double alpha;
  const float* dx;
  const float* dy;
};

// Output pixel (x, y) of every channel, from the padded image.
inline void warp_pixel(const Warp& k, const double* pad, int64_t c, int64_t h, int64_t w, double divisor, int64_t x,
                       int64_t y, float* o) {
  const int64_t plane = h * w, pw = w + 2, pplane = (h + 2) * pw;
  const double xd = double(x), yd = double(y);
  double sx = k.a * xd + k.b * yd + k.e;
  double sy = k.c * xd + k.d * yd + k.f;
  if (k.dx) {
    sx += k.alpha * double(k.dx[y * w + x]);
    sy += k.alpha * double(k.dy[y * w + x]);
  }
  const int64_t at = y * w + x;
  // Outside (−1, w) × (−1, h) every tap is fill (NaN fails the test too, and no out-of-range
  // value ever reaches the integer conversion).
  if (!(sx > -1.0 && sx < double(w) && sy > -1.0 && sy < double(h))) {
    for (int64_t ch = 0; ch < c; ++ch) o[ch * plane + at] = float(0.0 / divisor);
    return;
  }
  const double x0d = std::floor(sx), y0d = std::floor(sy);
  const double fx = sx - x0d, fy = sy - y0d;
  const int64_t i = (int64_t(y0d) + 1) * pw + int64_t(x0d) + 1;
  for (int64_t ch = 0; ch < c; ++ch) {
    const double* P = pad + ch * pplane;
    const double v = (1.0 - fy) * ((1.0 - fx) * P[i] + fx * P[i + 1]) + fy * ((1.0 - fx) * P[i + pw] + fx * P[i + pw + 1]);
    o[ch * plane + at] = float(v / divisor);
  }
}

// Output row y, every channel: four pixels at a time on AVX2 and AVX-512 (the same operations in
// the same order on double lanes, so the same bits as warp_pixel; the taps are gathered from the
// padded image), the rest one by one. Scalar, a pixel costs ~40 dependent operations and a
// division; this is most of an affine batch's cost.
void warp_row(const Warp& k, const double* pad, int64_t c, int64_t h, int64_t w, double divisor, int64_t y, float* o) {
  int64_t x = 0;
#if defined(SN_TARGET_AVX2) || defined(SN_TARGET_AVX512)
  const int64_t plane = h * w, pw = w + 2, pplane = (h + 2) * pw;
  const double yd = double(y);
  const __m256d va = _mm256_set1_pd(k.a), vc = _mm256_set1_pd(k.c);
  const __m256d by = _mm256_set1_pd(k.b * yd), dy = _mm256_set1_pd(k.d * yd);
  const __m256d ve = _mm256_set1_pd(k.e), vf = _mm256_set1_pd(k.f);
  const __m256d valpha = _mm256_set1_pd(k.alpha);
  const __m256d lo = _mm256_set1_pd(-1.0), wd = _mm256_set1_pd(double(w)), hd = _mm256_set1_pd(double(h));
  const __m256d one = _mm256_set1_pd(1.0), vdiv = _mm256_set1_pd(divisor), fill = _mm256_set1_pd(0.0 / divisor);
  const __m128i vpw = _mm_set1_epi32(int32_t(pw)), one_i = _mm_set1_epi32(1);
  // (The gathers are the masked form with a zero source: the plain one leaves GCC 12 warning of
  // an uninitialized source operand.)
  const __m256d zero = _mm256_setzero_pd(), all = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
  for (; x + 4 <= w; x += 4) {
    const __m256d xd = _mm256_add_pd(_mm256_set1_pd(double(x)), _mm256_set_pd(3.0, 2.0, 1.0, 0.0));
    __m256d sx = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(va, xd), by), ve);
    __m256d sy = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(vc, xd), dy), vf);
    if (k.dx) {
      sx = _mm256_add_pd(sx, _mm256_mul_pd(valpha, _mm256_cvtps_pd(_mm_loadu_ps(k.dx + y * w + x))));
      sy = _mm256_add_pd(sy, _mm256_mul_pd(valpha, _mm256_cvtps_pd(_mm_loadu_ps(k.dy + y * w + x))));
    }
    const __m256d inside = _mm256_and_pd(_mm256_and_pd(_mm256_cmp_pd(sx, lo, _CMP_GT_OQ), _mm256_cmp_pd(sx, wd, _CMP_LT_OQ)),
                                         _mm256_and_pd(_mm256_cmp_pd(sy, lo, _CMP_GT_OQ), _mm256_cmp_pd(sy, hd, _CMP_LT_OQ)));
    // Lanes outside read pixel (0, 0) of the pad (any valid address) and are replaced by the fill.
    sx = _mm256_and_pd(sx, inside);
    sy = _mm256_and_pd(sy, inside);
    const __m256d x0d = _mm256_floor_pd(sx), y0d = _mm256_floor_pd(sy);
    const __m256d fx = _mm256_sub_pd(sx, x0d), fy = _mm256_sub_pd(sy, y0d);
    const __m256d gx = _mm256_sub_pd(one, fx), gy = _mm256_sub_pd(one, fy);
    const __m128i i = _mm_add_epi32(_mm_mullo_epi32(_mm_add_epi32(_mm256_cvttpd_epi32(y0d), one_i), vpw),
                                    _mm_add_epi32(_mm256_cvttpd_epi32(x0d), one_i));
    for (int64_t ch = 0; ch < c; ++ch) {
      const double* P = pad + ch * pplane;
      const __m256d p00 = _mm256_mask_i32gather_pd(zero, P, i, all, 8);
      const __m256d p01 = _mm256_mask_i32gather_pd(zero, P + 1, i, all, 8);
      const __m256d p10 = _mm256_mask_i32gather_pd(zero, P + pw, i, all, 8);
      const __m256d p11 = _mm256_mask_i32gather_pd(zero, P + pw + 1, i, all, 8);
      const __m256d top = _mm256_add_pd(_mm256_mul_pd(gx, p00), _mm256_mul_pd(fx, p01));
      const __m256d bottom = _mm256_add_pd(_mm256_mul_pd(gx, p10), _mm256_mul_pd(fx, p11));
      const __m256d v = _mm256_add_pd(_mm256_mul_pd(gy, top), _mm256_mul_pd(fy, bottom));
      const __m256d q = _mm256_blendv_pd(fill, _mm256_div_pd(v, vdiv), inside);
      _mm_storeu_ps(o + ch * plane + y * w + x, _mm256_cvtpd_ps(q));
    }
  }
#endif
  for (; x < w; ++x) warp_pixel(k, pad, c, h, w, divisor, x, y, o);
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
  const size_t pad_floats = size_t(2 * c * (h + 2) * (w + 2));  // doubles
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
    double* pad = reinterpret_cast<double*>(t_pad.get(pad_floats));
    for (int64_t s = b; s < e; ++s) {
      const uint8_t* img = src + (rows ? int64_t(rows[s]) : first + s) * row_length;
      float* o = out + s * row_length;
      const float* m = affine + 6 * s;
      if (elastic) elastic_field(h, w, taps, r, key, s, noise_row, smooth, dx, dy);
      pad_image(img, c, h, w, pad);
      const Warp k{m[0], m[1], m[2], m[3], m[4], m[5], alpha, dx, dy};
      for (int64_t y = 0; y < h; ++y) warp_row(k, pad, c, h, w, divisor, y, o);
    }
  });
}

SN_END_TARGET
