#include "kernels/convolution.h"

#include "kernels/gemm.h"
#include "kernels/im2col.h"
#include "kernels/threadpool.h"

namespace sn {

void conv_forward(const float* x, const float* w, const float* b, const ConvGeom& g, float* out, float* col) {
  // x is (n, c, h, w), w is (f, ckk), col_n is (ckk, ohw), out_n = w · col_n + b is (f, ohw)
  const int64_t ckk = g.ckk(), ohw = g.ohw();
  const int64_t in_size = g.c * g.h * g.w, col_size = ckk * ohw, out_size = g.f * ohw;
  // Each image is one GEMM on data that stays in L2 (col_n is written just before it is read).
  parallel_for(g.n, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      float* col_n = col + i * col_size;
      float* out_n = out + i * out_size;
      im2col_image(x + i * in_size, g, col_n);
      // The bias is added in the GEMM's store, so out_n is written once.
      sgemm_bias(false, false, g.f, ohw, ckk, w, ckk, col_n, ohw, b, nullptr, out_n, ohw);
    }
  });
}

void conv_backward(const float* dout, const float* w, float* col, const ConvGeom& g, float* dw, float* db, float* dx) {
  // dout_n is (f, ohw), col_n is (ckk, ohw): dw(f, ckk) = Σ_n dout_n · col_nᵀ, db(f) = Σ_n,p dout_n
  const int64_t ckk = g.ckk(), ohw = g.ohw();
  const int64_t in_size = g.c * g.h * g.w, col_size = ckk * ohw, out_size = g.f * ohw;
  // Threads own disjoint rows (filters) of dw and accumulate every image into them, so no
  // per-thread partial sums exist and the result does not depend on the thread count.
  parallel_for(g.f, [&](int64_t f0, int64_t f1, int) {
    if (gemm_impl() == GemmImpl::Builtin) {
      conv_weight_grad(f0, f1, ckk, ohw, g.n, dout, out_size, col, col_size, dw, db);
      return;
    }
    for (int64_t i = 0; i < g.n; ++i) {
      sgemm(false, true, f1 - f0, ckk, ohw, dout + i * out_size + f0 * ohw, ohw, col + i * col_size, ohw, i > 0,
            dw + f0 * ckk, ckk);
    }
    for (int64_t fi = f0; fi < f1; ++fi) {
      double s = 0.0;
      for (int64_t i = 0; i < g.n; ++i) {
        const float* row = dout + i * out_size + fi * ohw;
        float acc = 0.0f;
        for (int64_t p = 0; p < ohw; ++p) acc += row[p];
        s += acc;
      }
      db[fi] = float(s);
    }
  });
  if (!dx) return;
  // dcol_n = wᵀ · dout_n overwrites col_n (dw no longer needs it), then folds back into dx_n.
  parallel_for(g.n, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      float* col_n = col + i * col_size;
      sgemm(true, false, ckk, ohw, g.f, w, ckk, dout + i * out_size, ohw, false, col_n, ohw);
      col2im_image(col_n, g, dx + i * in_size);
    }
  });
}

}  // namespace sn
