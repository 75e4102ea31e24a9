// The machine's float32 FMA peak with this target's vectors: the compute floor every kernel
// and epoch time is judged against (scripts/bench-floor).
#pragma once
#include "simd/target.h"

SN_BEGIN_TARGET

// Runs independent chains of vector FMAs on every pool thread for about `seconds` and returns
// the rate in GFLOP/s (an FMA is 2 FLOPs a lane).
double fma_peak_gflops(double seconds);

SN_END_TARGET
