#pragma once
#include <cstdint>
#include "simd/target.h"

SN_BEGIN_TARGET

// x and y are (len): y += alpha · x.
void axpy(float alpha, const float* x, float* y, int64_t len);
// x and out are (len), out may be x: out = x · alpha.
void scale(const float* x, float alpha, int64_t len, float* out);

SN_END_TARGET
