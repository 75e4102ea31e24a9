// Which SGEMM a target's kernels call: OpenBLAS (cblas_sgemm) or the built-in one
// (kernels/gemm.cc). Each target keeps its own choice, because the built-in kernel's speed
// differs per target while OpenBLAS's does not; the addon measures both when a target is first
// used (kernels/gemm_measure.cc) unless SCRATCHNET_GEMM pins one. Without OpenBLAS on the
// machine (blas/openblas.h) it is always the built-in one.
#pragma once
#include "simd/target.h"

SN_BEGIN_TARGET

enum class GemmImpl { OpenBlas, Builtin };

GemmImpl gemm_impl();
void set_gemm_impl(GemmImpl impl);  // OpenBlas is ignored when OpenBLAS was not found
const char* gemm_impl_name(GemmImpl impl);

SN_END_TARGET
