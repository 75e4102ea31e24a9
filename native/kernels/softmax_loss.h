#pragma once
#include <cstdint>
#include "simd/target.h"

SN_BEGIN_TARGET

// x and probs are (n, k); labels are n class indices in [0, k) (checked by the caller).
// probs = row-wise softmax; returns mean over rows of −log(p[label] + 1e-7).
double softmax_cross_entropy_forward_index(const float* x, const int32_t* labels, int64_t n, int64_t k, float* probs);
// Same with t a target distribution (n, k): returns mean over rows of −Σ t·log(p + 1e-7).
double softmax_cross_entropy_forward_dense(const float* x, const float* t, int64_t n, int64_t k, float* probs);

// probs and dx are (n, k): dx = (probs − onehot(labels)) · scale.
void softmax_cross_entropy_backward_index(const float* probs, const int32_t* labels, int64_t n, int64_t k, float scale,
                                          float* dx);
// probs, t and dx are (n, k): dx = (probs − t) · scale.
void softmax_cross_entropy_backward_dense(const float* probs, const float* t, int64_t n, int64_t k, float scale,
                                          float* dx);

SN_END_TARGET
