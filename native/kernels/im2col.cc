#include "kernels/im2col.h"

#include <algorithm>
#include <cstring>

#include "kernels/threadpool.h"

namespace sn {

// Output columns oj in [lo, hi) read input column oj·stride − pad + kj inside [0, w).
static inline void valid_range(int64_t k, int64_t stride, int64_t pad, int64_t in, int64_t out, int64_t* lo,
                               int64_t* hi) {
  // oj·stride − pad + k ≥ 0  ⇔  oj ≥ ceil((pad − k) / stride)
  int64_t a = pad - k;
  *lo = a <= 0 ? 0 : (a + stride - 1) / stride;
  // oj·stride − pad + k ≤ in − 1  ⇔  oj ≤ floor((in − 1 + pad − k) / stride)
  int64_t b = in - 1 + pad - k;
  *hi = b < 0 ? 0 : std::min(out, b / stride + 1);
  if (*lo > *hi) *lo = *hi;
}

void im2col_image(const float* x_n, const ConvGeom& g, float* col_n) {
  // x_n is (c, h, w), col_n is (c·kh·kw, oh·ow)
  const int64_t ohw = g.oh * g.ow;
  for (int64_t ci = 0; ci < g.c; ++ci) {
    const float* plane = x_n + ci * g.h * g.w;
    for (int64_t ki = 0; ki < g.kh; ++ki) {
      int64_t oi_lo, oi_hi;
      valid_range(ki, g.stride, g.pad, g.h, g.oh, &oi_lo, &oi_hi);
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        float* row = col_n + ((ci * g.kh + ki) * g.kw + kj) * ohw;
        int64_t oj_lo, oj_hi;
        valid_range(kj, g.stride, g.pad, g.w, g.ow, &oj_lo, &oj_hi);
        std::memset(row, 0, sizeof(float) * oi_lo * g.ow);
        for (int64_t oi = oi_lo; oi < oi_hi; ++oi) {
          float* dst = row + oi * g.ow;
          const float* src = plane + (oi * g.stride - g.pad + ki) * g.w - g.pad + kj;
          for (int64_t oj = 0; oj < oj_lo; ++oj) dst[oj] = 0.0f;
          if (g.stride == 1) {
            // An inline loop, not memcpy: rows are short (24 floats for the book's first layer)
            // and ~60 000 library calls per batch cost more than the copying itself.
            for (int64_t oj = oj_lo; oj < oj_hi; ++oj) dst[oj] = src[oj];
          } else {
            for (int64_t oj = oj_lo; oj < oj_hi; ++oj) dst[oj] = src[oj * g.stride];
          }
          for (int64_t oj = oj_hi; oj < g.ow; ++oj) dst[oj] = 0.0f;
        }
        std::memset(row + oi_hi * g.ow, 0, sizeof(float) * (g.oh - oi_hi) * g.ow);
      }
    }
  }
}

void col2im_image(const float* col_n, const ConvGeom& g, float* dx_n) {
  // col_n is (c·kh·kw, oh·ow), dx_n is (c, h, w)
  const int64_t ohw = g.oh * g.ow;
  std::memset(dx_n, 0, sizeof(float) * g.c * g.h * g.w);
  for (int64_t ci = 0; ci < g.c; ++ci) {
    float* plane = dx_n + ci * g.h * g.w;
    for (int64_t ki = 0; ki < g.kh; ++ki) {
      int64_t oi_lo, oi_hi;
      valid_range(ki, g.stride, g.pad, g.h, g.oh, &oi_lo, &oi_hi);
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        const float* row = col_n + ((ci * g.kh + ki) * g.kw + kj) * ohw;
        int64_t oj_lo, oj_hi;
        valid_range(kj, g.stride, g.pad, g.w, g.ow, &oj_lo, &oj_hi);
        for (int64_t oi = oi_lo; oi < oi_hi; ++oi) {
          const float* src = row + oi * g.ow;
          float* dst = plane + (oi * g.stride - g.pad + ki) * g.w - g.pad + kj;
          if (g.stride == 1) {
            for (int64_t oj = oj_lo; oj < oj_hi; ++oj) dst[oj] += src[oj];
          } else {
            for (int64_t oj = oj_lo; oj < oj_hi; ++oj) dst[oj * g.stride] += src[oj];
          }
        }
      }
    }
  }
}

void im2col(const float* x, const ConvGeom& g, float* col) {
  // x is (n, c, h, w), col is (n, c·kh·kw, oh·ow)
  const int64_t in_size = g.c * g.h * g.w, col_size = g.ckk() * g.ohw();
  parallel_for(g.n, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) im2col_image(x + i * in_size, g, col + i * col_size);
  });
}

void col2im(const float* col, const ConvGeom& g, float* dx) {
  // col is (n, c·kh·kw, oh·ow), dx is (n, c, h, w)
  const int64_t in_size = g.c * g.h * g.w, col_size = g.ckk() * g.ohw();
  parallel_for(g.n, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) col2im_image(col + i * col_size, g, dx + i * in_size);
  });
}

}  // namespace sn
