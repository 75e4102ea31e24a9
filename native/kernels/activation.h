#pragma once
#include <cstdint>
#include "simd/target.h"

SN_BEGIN_TARGET

// Element-wise over len values; every pointer holds len floats.
void relu_forward(const float* x, int64_t len, float* out);
// dx = dout where out > 0, else 0 (out is relu_forward's output).
void relu_backward(const float* dout, const float* out, int64_t len, float* dx);
void sigmoid_forward(const float* x, int64_t len, float* out);
// dx = dout · out · (1 − out).
void sigmoid_backward(const float* dout, const float* out, int64_t len, float* dx);

SN_END_TARGET
