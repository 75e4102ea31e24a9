#pragma once
#include <cstdint>
#include "simd/target.h"

SN_BEGIN_TARGET

// x is (n, d), w is (d, m), b is (m): out(n, m) = x · w + b.
void affine_forward(const float* x, const float* w, const float* b, int64_t n, int64_t d, int64_t m, float* out);

// dout is (n, m): dw(d, m) = xᵀ · dout, db(m) = Σ_rows dout, dx(n, d) = dout · wᵀ when non-null.
void affine_backward(const float* dout, const float* x, const float* w, int64_t n, int64_t d, int64_t m, float* dw,
                     float* db, float* dx);

SN_END_TARGET
