// Times the built-in SGEMM against OpenBLAS on the shapes the networks' kernels hand it, so the
// addon can use the faster one on this machine (kernels/gemm_choice.h).
#pragma once
#include "simd/target.h"

SN_BEGIN_TARGET

struct GemmTiming {
  double builtin_seconds, openblas_seconds;  // one pass over the shapes, best of the repeats (1e30: no OpenBLAS)
};

GemmTiming measure_gemm(int repeats);

SN_END_TARGET
