#include "kernels/pooling.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "kernels/threadpool.h"

namespace sn {

// Planes per thread below which the pool is not woken (a 28×28 plane is ~1 µs of work).
constexpr int64_t kMinPlanes = 16;

// The book's 2×2 stride-2 unpadded pooling: every window lies inside the plane, so the four
// candidates are read without bounds and compared in order (first maximum wins) by selects
// the compiler vectorises across oj.
static void pool_2x2_plane(const float* plane, int64_t w, int64_t oh, int64_t ow, float* o, int32_t* a) {
  for (int64_t oi = 0; oi < oh; ++oi) {
    const float* r0 = plane + 2 * oi * w;
    const float* r1 = r0 + w;
    const int32_t base = int32_t(2 * oi * w);
    for (int64_t oj = 0; oj < ow; ++oj) {
      const float v0 = r0[2 * oj], v1 = r0[2 * oj + 1], v2 = r1[2 * oj], v3 = r1[2 * oj + 1];
      // Masks instead of ternaries: GCC if-converts these, and vectorises the loop.
      const float m1 = std::max(v0, v1);
      const int32_t k1 = -int32_t(v1 > v0);
      const float m2 = std::max(m1, v2);
      const int32_t k2 = -int32_t(v2 > m1);
      const float best = std::max(m2, v3);
      const int32_t k3 = -int32_t(v3 > m2);
      int32_t at = k1 & 1;
      at = (at & ~k2) | (int32_t(w) & k2);
      at = (at & ~k3) | ((int32_t(w) + 1) & k3);
      o[oi * ow + oj] = best;
      a[oi * ow + oj] = base + int32_t(2 * oj) + at;
    }
  }
}

void pool_forward(const float* x, const PoolGeom& g, float* out, int32_t* argmax) {
  // x is (n, c, h, w), out and argmax are (n, c, oh, ow)
  const int64_t hw = g.h * g.w, ohw = g.oh * g.ow;
  if (g.ph == 2 && g.pw == 2 && g.stride == 2 && g.pad == 0) {
    parallel_for(g.n * g.c, kMinPlanes, [&](int64_t p0, int64_t p1, int) {
      for (int64_t p = p0; p < p1; ++p) pool_2x2_plane(x + p * hw, g.w, g.oh, g.ow, out + p * ohw, argmax + p * ohw);
    });
    return;
  }
  parallel_for(g.n * g.c, kMinPlanes, [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; ++p) {
      const float* plane = x + p * hw;
      float* o = out + p * ohw;
      int32_t* a = argmax + p * ohw;
      for (int64_t oi = 0; oi < g.oh; ++oi) {
        const int64_t i0 = std::max<int64_t>(oi * g.stride - g.pad, 0);
        const int64_t i1 = std::min<int64_t>(oi * g.stride - g.pad + g.ph, g.h);
        for (int64_t oj = 0; oj < g.ow; ++oj) {
          const int64_t j0 = std::max<int64_t>(oj * g.stride - g.pad, 0);
          const int64_t j1 = std::min<int64_t>(oj * g.stride - g.pad + g.pw, g.w);
          // The first in-bounds cell starts the search, so padding never wins and a window of
          // NaNs or −∞ still reports a real cell (pad < window size guarantees one exists).
          int64_t best_at = i0 * g.w + j0;
          float best = plane[best_at];
          for (int64_t i = i0; i < i1; ++i) {
            for (int64_t j = j0; j < j1; ++j) {
              // Branch-free select: window maxima of real data are unpredictable.
              const float v = plane[i * g.w + j];
              const bool wins = v > best;
              best = wins ? v : best;
              best_at = wins ? i * g.w + j : best_at;
            }
          }
          o[oi * g.ow + oj] = best;
          a[oi * g.ow + oj] = int32_t(best_at);
        }
      }
    }
  });
}

int64_t pool_backward(const float* dout, const int32_t* argmax, const PoolGeom& g, float* dx) {
  // dout and argmax are (n, c, oh, ow), dx is (n, c, h, w)
  const int64_t hw = g.h * g.w, ohw = g.oh * g.ow;
  std::atomic<int64_t> first_bad{-1};
  parallel_for(g.n * g.c, kMinPlanes, [&](int64_t p0, int64_t p1, int) {
    std::memset(dx + p0 * hw, 0, sizeof(float) * (p1 - p0) * hw);
    for (int64_t p = p0; p < p1; ++p) {
      float* plane = dx + p * hw;
      const float* d = dout + p * ohw;
      const int32_t* a = argmax + p * ohw;
      for (int64_t q = 0; q < ohw; ++q) {
        const int32_t at = a[q];
        // argmax comes from JavaScript: an index outside the plane would write out of bounds
        if (uint32_t(at) >= uint64_t(hw)) {
          int64_t bad = p * ohw + q, cur = first_bad.load();
          while ((cur < 0 || bad < cur) && !first_bad.compare_exchange_weak(cur, bad)) {
          }
          continue;
        }
        plane[at] += d[q];
      }
    }
  });
  return first_bad.load();
}

}  // namespace sn
