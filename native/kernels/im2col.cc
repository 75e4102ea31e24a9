#include "kernels/im2col.h"

#include <algorithm>
#include <cstring>

#include "kernels/threadpool.h"
#include "simd/vec.h"

SN_BEGIN_TARGET

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

static void im2col_image_generic(const float* x_n, const ConvGeom& g, float* col_n) {
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

static void col2im_image_generic(const float* col_n, const ConvGeom& g, float* dx_n) {
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

#if SN_MASKED_SIMD
// Stride 1: an output row of a tap is a shifted input row, so it is one masked load and one
// store per W columns; the load mask zeroes the padded columns, and masked-off lanes are never
// read, so addresses left of a padded row's start do not fault. The scalar loops above run
// ~10-column rows (LeNet's conv2, DeepConvNet's 7×7 and 14×14 maps) at a few floats per cycle
// and made im2col more than half of the forward pass.
// Every store is a whole vector: lanes past a row's end spill into the next output row or tap,
// which is written after it and overwrites them. Partial stores (per-lane masks on AVX2, where
// vmaskmovps stores are microcoded, or 4-2-1 pieces behind unpredictable branches) cost more
// than the copy. Only the image's very last row is stored partially: past it lies another
// image's col, which another thread may be writing.
static constexpr int64_t kMaxChunks = 16;

static void im2col_image_s1(const float* x_n, const ConvGeom& g, float* col_n) {
  // x_n is (c, h, w), col_n is (c·kh·kw, oh·ow)
  const int64_t ow = g.ow, ohw = g.oh * g.ow, chunks = (ow + W - 1) / W;
  const float* const col_end = col_n + g.ckk() * ohw;
  Mask m_load[kMaxChunks];
  for (int64_t ci = 0; ci < g.c; ++ci) {
    const float* plane = x_n + ci * g.h * g.w;
    for (int64_t ki = 0; ki < g.kh; ++ki) {
      int64_t oi_lo, oi_hi;
      valid_range(ki, 1, g.pad, g.h, g.oh, &oi_lo, &oi_hi);
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        float* row = col_n + ((ci * g.kh + ki) * g.kw + kj) * ohw;
        // output column oj reads input column oj + shift
        const int64_t shift = kj - g.pad;
        int64_t oj_lo, oj_hi;
        valid_range(kj, 1, g.pad, g.w, ow, &oj_lo, &oj_hi);
        for (int64_t c = 0; c < chunks; ++c) m_load[c] = lane_range(oj_lo - c * W, oj_hi - c * W);
        std::memset(row, 0, sizeof(float) * oi_lo * ow);
        const float* src = plane + (oi_lo - g.pad + ki) * g.w + shift;
        for (int64_t oi = oi_lo; oi < oi_hi; ++oi, src += g.w) {
          float* dst = row + oi * ow;
          for (int64_t c = 0; c < chunks; ++c) {
            const V v = vloadm(src + c * W, m_load[c]);
            if (dst + (c + 1) * W <= col_end) {
              vstore(dst + c * W, v);
            } else {
              vstore_first(dst + c * W, v, ow - c * W);
            }
          }
        }
        std::memset(row + oi_hi * ow, 0, sizeof(float) * (g.oh - oi_hi) * ow);
      }
    }
  }
}
#endif

#if defined(SN_TARGET_AVX512)
// (AVX-512 only. On AVX2 (Zen 3) both this gather with vector-masked loads and a vector form of
// the scatter — whose whole-vector read-modify-writes partly overlap the next row's and stall
// store forwarding — ran about twice as slow as GCC's vectorisation of the generic loop.)
// Stride 1, gathered per input row instead of scattered per tap: pixel (r, x) receives tap
// (ki, kj) from output (r + pad − ki, x + pad − kj), so a W-pixel run of dx is the sum of
// kh·kw shifted, masked col rows, kept in a register and stored once: dx needs no clearing and
// no read-modify-write. kRows input rows are summed side by side because one row's sum is a
// chain of kh·kw dependent adds (25 × 4 cycles for 5×5) that would leave the core idle. Each
// pixel still adds its taps in (ki, kj) order starting from 0, as the scatter loop above does
// (a tap outside the map adds a masked +0, which changes no sum), so both give the same bits.
static void col2im_image_s1(const float* col_n, const ConvGeom& g, float* dx_n) {
  // col_n is (c·kh·kw, oh·ow), dx_n is (c, h, w)
  constexpr int kRows = 4;
  const int64_t ow = g.ow, ohw = g.oh * g.ow;
  for (int64_t ci = 0; ci < g.c; ++ci) {
    float* plane = dx_n + ci * g.h * g.w;
    const float* taps = col_n + ci * g.kh * g.kw * ohw;
    for (int64_t r0 = 0; r0 < g.h; r0 += kRows) {
      for (int64_t x0 = 0; x0 < g.w; x0 += W) {
        V acc[kRows];
        for (int rb = 0; rb < kRows; ++rb) acc[rb] = vzero();
        for (int64_t ki = 0; ki < g.kh; ++ki) {
          // Rows past the plane or without an output row under this tap load nothing.
          const float* rows[kRows];
          bool live[kRows];
          for (int rb = 0; rb < kRows; ++rb) {
            const int64_t oi = r0 + rb + g.pad - ki;
            live[rb] = r0 + rb < g.h && oi >= 0 && oi < g.oh;
            rows[rb] = taps + ki * g.kw * ohw + (live[rb] ? oi : 0) * ow;
          }
          for (int64_t kj = 0; kj < g.kw; ++kj) {
            // pixel x reads output column x − shift, which exists for x in [shift, ow + shift)
            const int64_t shift = kj - g.pad;
            const Mask m = lane_range(std::max<int64_t>(shift, 0) - x0, std::min<int64_t>(g.w, ow + shift) - x0);
            const int64_t off = kj * ohw + x0 - shift;
            for (int rb = 0; rb < kRows; ++rb)
              acc[rb] = vadd(acc[rb], vloadm(rows[rb] + off, live[rb] ? m : no_lanes()));
          }
        }
        for (int rb = 0; rb < kRows && r0 + rb < g.h; ++rb)
          vstore_first(plane + (r0 + rb) * g.w + x0, acc[rb], g.w - x0);
      }
    }
  }
}
#endif

void im2col_image(const float* x_n, const ConvGeom& g, float* col_n) {
#if SN_MASKED_SIMD
  if (g.stride == 1 && (g.ow + W - 1) / W <= kMaxChunks) return im2col_image_s1(x_n, g, col_n);
#endif
  im2col_image_generic(x_n, g, col_n);
}

void col2im_image(const float* col_n, const ConvGeom& g, float* dx_n) {
#if defined(SN_TARGET_AVX512)
  if (g.stride == 1) return col2im_image_s1(col_n, g, dx_n);
#endif
  col2im_image_generic(col_n, g, dx_n);
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

SN_END_TARGET
