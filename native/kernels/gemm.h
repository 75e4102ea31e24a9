// Single-threaded SGEMM for the kernels: C(M×N) = op(A)(M×K) · op(B)(K×N) [+ C] [+ bias], row-major.
// Callers split the work across the pool themselves, so this never starts threads.
//
// Two implementations: OpenBLAS (cblas_sgemm) and a built-in one written with intrinsics
// (simd/vec.h: a register tile per target). kernels/gemm_choice.h says which one runs; the addon
// measures both at load (bindings/threads.cc) because neither wins everywhere: OpenBLAS 0.3.21
// runs its SSE3 "Prescott" kernels on CPUs newer than itself (~20 GFLOP/s a core on Emerald
// Rapids), and on the small shapes of these networks a tile that needs no packing often wins.
#pragma once
#include <cstdint>
#include "simd/target.h"

SN_BEGIN_TARGET

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

// A B used by many products (a convolution's weights, for every image of a batch), copied once
// into the column panels the built-in kernel reads: sgemm_packed_b_floats(k, n) floats from a
// row-major B(k × n) (rows ldb floats apart). Then C(m × n) = op(A) · B [+ col_bias] (built-in
// GEMM only; the same sums, in the same order, as sgemm_builtin on the unpacked B).
int64_t sgemm_packed_b_floats(int64_t k, int64_t n);
void sgemm_pack_b(int64_t k, int64_t n, const float* b, int64_t ldb, float* packed);
void sgemm_packed_b(bool trans_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b_packed,
                    const float* col_bias, float* c, int64_t ldc);

// Whether the built-in kernel's register tiles cover C(n × m) with clearly fewer steps than
// C(m × n) (edge tiles counted): a convolution's 49 positions make a 16-wide column panel of one
// column, but as rows only a 1-row tile. Only where it was measured (AVX2); false elsewhere.
bool sgemm_transposed_is_cheaper(int64_t m, int64_t n);
// Whether the built-in kernel copies a row-major B into panels on every call with m rows of C
// (then a B shared by many calls is better packed once). Only where measured (AVX2).
bool sgemm_copies_b_per_call(int64_t m, int64_t ldb);
// The built-in kernel's column panel: its register tile's width in floats.
int64_t sgemm_panel_columns();
// The built-in kernel's pass over K: every output is summed kKC steps at a time from 0, each
// pass's sum then added to C (the first one to the bias). A kernel that must give its bits sums
// the same way.
int64_t sgemm_pass_depth();

// Whether the GEMM in use copies a transposed A (trans_a, k deep, rows lda floats apart) into
// row tiles before multiplying, for n columns of C. A caller that holds A both ways (a
// convolution's w and its transpose) passes the row-major one instead, read in place where the
// copy would be repeated on every call (once per image). (On AVX2 a row-major A is copied too
// when n ≥ 256 columns read it, the copy then paying for itself within the call; no preset
// convolution has that many.)
bool sgemm_packs_transposed_a(int64_t n, int64_t k, int64_t lda);

SN_END_TARGET
