#pragma once
#include <cstdint>

#include "kernels/geometry.h"
#include "simd/target.h"

SN_BEGIN_TARGET

// x is (n, c, h, w), out and argmax are (n, c, oh, ow); argmax holds the winner's index within
// its own (h, w) plane. Padded cells never win; the first maximum wins ties.
void pool_forward(const float* x, const PoolGeom& g, float* out, int32_t* argmax);

// One (h, w) plane of x → one (oh, ow) plane of out and argmax; single-threaded (the fused
// Convolution → Relu → Pooling kernel pools planes it has just computed).
void pool_plane(const float* plane, const PoolGeom& g, float* out, int32_t* argmax);
// The same plane, inference only: out = max(0, window maximum), the values pool_plane and a Relu
// give, without the winners' positions (no backward follows) and in one pass.
void pool_plane_relu(const float* plane, const PoolGeom& g, float* out);
// dout and argmax are (n, c, oh, ow), dx is (n, c, h, w): zeroed, then dout routed to the winners.
// Returns -1, or the flat position in argmax of an entry outside [0, h·w) (such entries are skipped).
int64_t pool_backward(const float* dout, const int32_t* argmax, const PoolGeom& g, float* dx);

SN_END_TARGET
