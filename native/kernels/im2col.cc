#include "kernels/im2col.h"

#include <algorithm>
#include <cstring>

#include "kernels/scratch.h"
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

// Stride 1: the image is first copied into a zero-bordered one (the padding made real), so that
// every output row of a tap is a plain copy of a padded input row — whole-vector loads and
// stores, no masks, no clipping. On Zen 3 a masked form (vmaskmovps loads, a mask per tap, the
// clipping) took LeNet's conv2 6–13 µs an image against 3.5 µs for this, and 10.5% of a LeNet5
// training step against 4.1%; on SSE2/NEON a partial vector is built lane by lane. AVX-512's
// masked loads are cheap, and its masked im2col ran the same as this (whole steps ×0.97–1.01,
// Xeon, 2 threads), so it was dropped: the padded image is also what the forward and
// weight-gradient kernels that read taps in place need. The copy is c·(h+2p)·(w+2p) floats, a ninth to a 25th of the
// col it feeds. (Maps of 28 × 28 gain little: their col, 450 KB an image for DeepConvNet's
// second layer, is written at the speed of L2, not of the instructions.)
// Lanes past a row's end read the next padded row (or the slack after the last plane) and
// spill into the next output row or tap, which is written after it and overwrites them. Only
// the image's very last row is stored partially: past it lies another image's col, which
// another thread may be writing (or, for a band of rows, whatever follows the band).
thread_local Scratch t_padded;

// Every plane of xp: its top border, row(src, dst) for each of its rows (src the row in x_n, dst
// its padded row), its bottom border.
template <class RowFn>
static inline void pad_planes(const float* x_n, int64_t c, int64_t h, int64_t w, int64_t pad, float* xp, RowFn row) {
  const int64_t pw = w + 2 * pad, ph = h + 2 * pad;
  for (int64_t ci = 0; ci < c; ++ci) {
    const float* src = x_n + ci * h * w;
    float* plane = xp + ci * ph * pw;
    std::fill(plane, plane + pad * pw, 0.0f);
    for (int64_t r = 0; r < h; ++r, src += w) row(src, plane + (pad + r) * pw);
    std::fill(plane + (pad + h) * pw, plane + ph * pw, 0.0f);
  }
}

// xp = x_n with `pad` zeros around every plane, rows g.w + 2·pad floats apart.
static void pad_image(const float* x_n, const ConvGeom& g, float* xp) {
  // The geometry in locals: the vector stores below may alias anything (the intrinsics' types
  // are may_alias), so read through g every field was loaded again after every store.
  const int64_t c = g.c, h = g.h, w = g.w, pad = g.pad;
  const int64_t pw = w + 2 * pad;
#if SN_MASKED_SIMD
  // Each padded row as whole vectors: a zero-masked load puts the borders' zeros and the row's
  // values in place (masked-off lanes are never read, so it may start before the row). AVX-512
  // stores exactly the row (masked); AVX2 (whose masked stores are slow on AMD) whole vectors,
  // whose lanes past the row are zeros landing in the next row (written after), the bottom
  // border (zeros) or the slack (zeros). The stores of the form below — a border, the row's
  // vectors, a border, overlapping and mostly split across cache lines — made this copy 5.2% of
  // DeepConvNet's inference (Zen 4, AVX-512); this way 2.5%. Against that form (bench-ab, Zen 4):
  // DeepConvNet steps ×0.957 (AVX-512) and ×0.968 (AVX2), inference ×0.964 and ×0.99; LeNet5
  // steps ×0.986 and ×0.940.
  constexpr int64_t kMaxRowVectors = 16;
  const int64_t padded_vectors = (pw + W - 1) / W;
  if (padded_vectors <= kMaxRowVectors) {
    Mask load[kMaxRowVectors];
    for (int64_t k = 0; k < padded_vectors; ++k) load[k] = lane_range(pad - k * W, pad + w - k * W);
    pad_planes(x_n, c, h, w, pad, xp, [&](const float* src, float* dst) {
      for (int64_t k = 0; k < padded_vectors; ++k) {
        const V v = vloadm(src + k * W - pad, load[k]);
#if defined(SN_TARGET_AVX512)
        vstore_first(dst + k * W, v, pw - k * W);
#else
        vstore(dst + k * W, v);
#endif
      }
    });
    return;
  }
#endif
  // Borders of up to W floats as one whole vector of zeros each (a memset call per border was
  // 2% of DeepConvNet's 28 × 28 forward): the left one is overwritten by the row's copy past
  // the border, the right one spills into the next row's start (or the bottom border), which
  // is written after it.
  const bool vector_borders = pad <= W && pad * pw >= W;
  const int64_t row_vectors = (w + W - 1) / W;
  const float* const x_end = x_n + c * h * w;
  pad_planes(x_n, c, h, w, pad, xp, [&](const float* src, float* dst) {
    if (vector_borders) {
      vstore(dst, vzero());
    } else {
      std::fill(dst, dst + pad, 0.0f);
    }
    // Whole vectors spill into this row's right border and the next row, written after it;
    // near the image's end they would read past it.
    if (src + row_vectors * W <= x_end) {
      for (int64_t j = 0; j < row_vectors; ++j) vstore(dst + pad + j * W, vload(src + j * W));
    } else {
      for (int64_t j = 0; j < w; ++j) dst[pad + j] = src[j];
    }
    if (vector_borders) {
      vstore(dst + pad + w, vzero());
    } else {
      std::fill(dst + pad + w, dst + pw, 0.0f);
    }
  });
}

// One tap's output rows: `oh` rows of CH vectors (CH = 0: `chunks`, known at run time only).
template <int CH>
static inline void copy_tap_rows(const float* src, int64_t pw, float* row, int64_t oh, int64_t ow, int64_t chunks,
                                 const float* col_end) {
  const int64_t ch = CH > 0 ? CH : chunks;
  for (int64_t oi = 0; oi < oh; ++oi, src += pw, row += ow) {
    if (row + ch * W <= col_end) {
      SN_UNROLL
      for (int64_t c = 0; c < ch; ++c) vstore(row + c * W, vload(src + c * W));
    } else {
      for (int64_t j = 0; j < ow; ++j) row[j] = src[j];
    }
  }
}

// col (c·kh·kw, (r1 − r0)·ow): output rows [r0, r1) of every tap.
template <int CH>
static void im2col_padded(const float* xp, const ConvGeom& g, int64_t r0, int64_t r1, float* col, int64_t chunks) {
  const int64_t pw = g.w + 2 * g.pad, ph = g.h + 2 * g.pad, band = (r1 - r0) * g.ow;
  const float* const col_end = col + g.ckk() * band;
  float* row = col;
  for (int64_t ci = 0; ci < g.c; ++ci)
    for (int64_t ki = 0; ki < g.kh; ++ki)
      for (int64_t kj = 0; kj < g.kw; ++kj, row += band)
        copy_tap_rows<CH>(xp + (ci * ph + ki + r0) * pw + kj, pw, row, r1 - r0, g.ow, chunks, col_end);
}

int64_t padded_image_floats(const ConvGeom& g) {
  // Slack past the last plane for the readers' whole vectors: im2col's last row reads up to
  // W − 1 floats past it, the direct forward's (chunks of up to kPadSlackVectors vectors) up to
  // kPadSlackVectors·W − 2.
  return g.c * (g.h + 2 * g.pad) * (g.w + 2 * g.pad) + kPadSlackVectors * W;
}

void im2col_pad_image_into(const float* x_n, const ConvGeom& g, float* xp) {
  const int64_t padded = padded_image_floats(g) - kPadSlackVectors * W;
  std::fill(xp + padded, xp + padded + kPadSlackVectors * W, 0.0f);
  pad_image(x_n, g, xp);
}

const float* im2col_pad_image(const float* x_n, const ConvGeom& g) {
  float* xp = t_padded.get(size_t(padded_image_floats(g)));
  im2col_pad_image_into(x_n, g, xp);
  return xp;
}

void im2col_rows(const float* xp, const ConvGeom& g, int64_t r0, int64_t r1, float* col) {
  const int64_t chunks = (g.ow + W - 1) / W;
  switch (chunks) {
    case 1: return im2col_padded<1>(xp, g, r0, r1, col, chunks);
    case 2: return im2col_padded<2>(xp, g, r0, r1, col, chunks);
    case 3: return im2col_padded<3>(xp, g, r0, r1, col, chunks);
    case 4: return im2col_padded<4>(xp, g, r0, r1, col, chunks);
    default: return im2col_padded<0>(xp, g, r0, r1, col, chunks);
  }
}

static void im2col_image_s1(const float* x_n, const ConvGeom& g, float* col_n) {
  // x_n is (c, h, w), col_n is (c·kh·kw, oh·ow)
  im2col_rows(im2col_pad_image(x_n, g), g, 0, g.oh, col_n);
}
static bool im2col_s1_fits(const ConvGeom&) { return true; }

#if defined(SN_TARGET_AVX512)
// (AVX-512 only. On AVX2 (Zen 3) both this gather with vector-masked loads and a vector form of
// the scatter — whose whole-vector read-modify-writes partly overlap the next row's and stall
// store forwarding — ran about twice as slow as GCC's vectorisation of the generic loop; so did
// the gather with plain loads and an AND instead of the masked ones, in a LeNet5 training step
// (col2im 9% → 12% of the profile, 2026-11-30).)
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

#if defined(SN_TARGET_AVX2)
// Stride 1 on AVX2: dx row by row, each W-pixel run loaded once per kernel row ki, the kw taps
// of that row added to it in a register, and stored once — kw times fewer read-modify-writes
// than the scatter, and no two of them overlap (the run past a row's end is stored piece by
// piece, so no store straddles the next row's load). Tap kj of pixel x is output column
// x + pad − kj, read with a plain load and an AND that drops the columns outside the map
// (vloadm_within: vmaskmovps loads are slow on AMD). Each pixel still adds its taps in
// (ki, kj) order starting from 0, as the scatter does (a masked-off tap adds +0, which changes
// no sum), so both give the same bits.
// (The full gather of the AVX-512 form above — all kh·kw taps of several rows in registers,
// nothing read back — was slower here: col2im 9% → 12% of a LeNet5 training step on Zen 3.)
static constexpr int64_t kRowsMaxKw = 8, kRowsMaxChunks = 8;

// Chunks [c0, c0 + N) of one dx row (W pixels each): loaded, the row's kw taps added to each
// side by side (N independent chains of adds), stored. m[kj][c] is tap kj's mask for chunk c.
template <int N>
static inline void col2im_row_chunks(float* drow, const float* crow, int64_t c0, int64_t w, int64_t kw, int64_t ohw,
                                     const Mask (*m)[kRowsMaxChunks], const float* col_n, const float* col_end,
                                     const float* dx_end) {
  V acc[N];
  SN_UNROLL
  for (int j = 0; j < N; ++j) {
    const int64_t x0 = (c0 + j) * W;
    acc[j] = x0 + W <= w || drow + x0 + W <= dx_end ? vload(drow + x0) : vloadm(drow + x0, tail_mask(w - x0));
  }
  for (int64_t kj = 0; kj < kw; ++kj) {
    SN_UNROLL
    for (int j = 0; j < N; ++j)
      acc[j] = vadd(acc[j], vloadm_within(crow + kj * (ohw - 1) + (c0 + j) * W, m[kj][c0 + j], col_n, col_end));
  }
  SN_UNROLL
  for (int j = 0; j < N; ++j) {
    const int64_t x0 = (c0 + j) * W;
    if (x0 + W <= w) {
      vstore(drow + x0, acc[j]);
    } else {
      vstore_first(drow + x0, acc[j], w - x0);
    }
  }
}

// CH: the row's chunks when known at compile time (1–4), all summed side by side (LeNet5's second
// layer and DeepConvNet's 28×28 and 14×14 layers' backward ×0.94–0.95 against one chunk's chain of
// adds after another, Zen 3); 0: `chunks` known at run time only, one at a time.
template <int CH>
static void col2im_image_rows(const float* col_n, const ConvGeom& g, float* dx_n, int64_t chunks_rt) {
  // col_n is (c·kh·kw, oh·ow), dx_n is (c, h, w)
  const int64_t ow = g.ow, ohw = g.oh * g.ow, w = g.w, chunks = CH > 0 ? CH : chunks_rt;
  const float* const col_end = col_n + g.ckk() * ohw;
  const float* const dx_end = dx_n + g.c * g.h * w;
  // tap kj reaches pixels x in [kj − pad, kj − pad + ow) of the row
  Mask m[kRowsMaxKw][kRowsMaxChunks];
  for (int64_t kj = 0; kj < g.kw; ++kj)
    for (int64_t c = 0; c < chunks; ++c)
      m[kj][c] = lane_range(kj - g.pad - c * W, std::min(kj - g.pad + ow, w) - c * W);
  std::memset(dx_n, 0, sizeof(float) * g.c * g.h * w);
  for (int64_t ci = 0; ci < g.c; ++ci) {
    float* plane = dx_n + ci * g.h * w;
    for (int64_t ki = 0; ki < g.kh; ++ki) {
      int64_t oi_lo, oi_hi;
      valid_range(ki, 1, g.pad, g.h, g.oh, &oi_lo, &oi_hi);
      const float* taps = col_n + (ci * g.kh + ki) * g.kw * ohw;
      for (int64_t oi = oi_lo; oi < oi_hi; ++oi) {
        float* drow = plane + (oi - g.pad + ki) * w;
        // pixel x of tap kj: taps[kj·ohw + oi·ow + x + pad − kj]
        const float* crow = taps + oi * ow + g.pad;
        if constexpr (CH > 0) {
          col2im_row_chunks<CH>(drow, crow, 0, w, g.kw, ohw, m, col_n, col_end, dx_end);
        } else {
          for (int64_t c = 0; c < chunks; ++c) col2im_row_chunks<1>(drow, crow, c, w, g.kw, ohw, m, col_n, col_end, dx_end);
        }
      }
    }
  }
}
#endif

void im2col_image(const float* x_n, const ConvGeom& g, float* col_n) {
  if (g.stride == 1 && im2col_s1_fits(g)) return im2col_image_s1(x_n, g, col_n);
  im2col_image_generic(x_n, g, col_n);
}

void col2im_image(const float* col_n, const ConvGeom& g, float* dx_n) {
#if defined(SN_TARGET_AVX512)
  if (g.stride == 1) return col2im_image_s1(col_n, g, dx_n);
#elif defined(SN_TARGET_AVX2)
  if (g.stride == 1 && g.kw <= kRowsMaxKw && (g.w + W - 1) / W <= kRowsMaxChunks) {
    switch (const int64_t chunks = (g.w + W - 1) / W) {
      case 1: return col2im_image_rows<1>(col_n, g, dx_n, chunks);
      case 2: return col2im_image_rows<2>(col_n, g, dx_n, chunks);
      case 3: return col2im_image_rows<3>(col_n, g, dx_n, chunks);
      case 4: return col2im_image_rows<4>(col_n, g, dx_n, chunks);
      default: return col2im_image_rows<0>(col_n, g, dx_n, chunks);
    }
  }
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
