// Single-threaded SGEMM for the kernels: C(M×N) = op(A)(M×K) · op(B)(K×N) [+ C], row-major.
// Callers split the work across the pool themselves, so this never starts threads.
//
// Two implementations: OpenBLAS (cblas_sgemm) and a small built-in one (packed B panels,
// register-blocked micro-kernel written with GCC vector extensions, so -march=native gives it
// AVX-512 or AVX2). The built-in one exists because OpenBLAS's DYNAMIC_ARCH build falls back to
// its SSE3 "Prescott" kernels on CPUs newer than the library (0.3.21 on Emerald Rapids runs at
// ~20 GFLOP/s a core, ~5× below the AVX-512 kernel here); see gemm_auto_choice().
#pragma once
#include <cstdint>

namespace sn {

enum class GemmImpl { OpenBlas, Builtin };

// accumulate: C += op(A)·op(B); otherwise C is overwritten.
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, bool accumulate, float* c, int64_t ldc);

// The built-in kernel alone (tests and the benchmark compare the two).
void sgemm_builtin(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                   const float* b, int64_t ldb, bool accumulate, float* c, int64_t ldc);

// C(M×N) [+]= A(M×K) · B(N×K)ᵀ as dot products along the contiguous K rows of both: for the
// convolution weight gradient (K = oh·ow is long, M = filters and N = c·kh·kw are small), where
// a packed GEMM would spend its time transposing B. Built-in only (no OpenBLAS call).
void sgemm_abt_dot(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                   bool accumulate, float* c, int64_t ldc);

GemmImpl gemm_impl();
void set_gemm_impl(GemmImpl impl);
const char* gemm_impl_name(GemmImpl impl);
// Builtin when OpenBLAS runs a kernel narrower than the SIMD this addon was compiled for
// (its core name is not one of the AVX2/AVX-512 ones), else OpenBLAS.
GemmImpl gemm_auto_choice();

}  // namespace sn
