// Single-threaded SGEMM for the kernels: C(M×N) = op(A)(M×K) · op(B)(K×N) [+ C] [+ bias], row-major.
// Callers split the work across the pool themselves, so this never starts threads.
//
// Two implementations: OpenBLAS (cblas_sgemm) and a built-in one written with intrinsics
// (AVX-512: 10×48 register tile, 30 zmm accumulators; AVX2+FMA: 4×24; scalar otherwise). The
// built-in one exists because OpenBLAS's DYNAMIC_ARCH build falls back to its SSE3 "Prescott"
// kernels on CPUs newer than the library (0.3.21 on Emerald Rapids runs at ~20 GFLOP/s a core,
// ~5× below the AVX-512 kernel here); see gemm_auto_choice().
#pragma once
#include <cstdint>

namespace sn {

enum class GemmImpl { OpenBlas, Builtin };

// accumulate: C += op(A)·op(B); otherwise C is overwritten.
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, bool accumulate, float* c, int64_t ldc);

// C = op(A)·op(B) + bias, the bias fused into the store: row_bias (m) adds row_bias[i] to row i
// (convolution: one bias per filter), col_bias (n) adds col_bias[j] to column j (Affine). Either
// may be null.
void sgemm_bias(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                const float* b, int64_t ldb, const float* row_bias, const float* col_bias, float* c, int64_t ldc);

// The built-in kernel alone (tests and the benchmark compare the two).
void sgemm_builtin(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                   const float* b, int64_t ldb, bool accumulate, const float* row_bias, const float* col_bias,
                   float* c, int64_t ldc);

// How conv_weight_grad tiles one shape: an rf × rt register tile (filters × taps) and the
// number of images summed in registers per pass. It depends only on the shape, never on the
// thread count, so every split of the taps gives the same bits.
struct WeightGradPlan {
  int rf, rt;
  int64_t images;
};
WeightGradPlan conv_weight_grad_plan(int64_t f, int64_t ckk, int64_t p, int64_t n);

// The convolution weight gradient for filters [f0, f1) and taps (columns of dw) [t0, t1):
// dw(f, ckk) = Σ_i dout_i(f × P) · col_i(ckk × P)ᵀ, and db(f) = Σ_i,p dout_i(f, p) for those filters
// when t0 = 0, over images i in [0, n) (dout_i at dout + i·dout_stride, col_i at col + i·col_stride,
// rows P floats apart); that block of dw (and of db) is overwritten. Both operands are contiguous
// along P = oh·ow, so this runs as register-blocked dot products kept in vector lanes across all
// images (one horizontal sum per output at the end) instead of a GEMM that would transpose col_i
// per image. Each output's sum runs in its own lane-wise accumulator in the same order whatever
// tile or block holds it, so any split of the filters and taps gives the same bits; splits at
// multiples of plan.rf / plan.rt avoid edge tiles.
void conv_weight_grad(const WeightGradPlan& plan, int64_t f0, int64_t f1, int64_t t0, int64_t t1, int64_t ckk,
                      int64_t p, int64_t n, const float* dout, int64_t dout_stride, const float* col,
                      int64_t col_stride, float* dw, float* db);

GemmImpl gemm_impl();
void set_gemm_impl(GemmImpl impl);
const char* gemm_impl_name(GemmImpl impl);
// Builtin when OpenBLAS runs a kernel narrower than the SIMD this addon was compiled for
// (its core name is not one of the AVX2/AVX-512 ones), else OpenBLAS.
GemmImpl gemm_auto_choice();

}  // namespace sn
