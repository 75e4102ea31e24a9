// Convolution → Relu as one kernel: the block the deeper networks of the book's ch. 8 repeat
// between poolings (DeepConvNet: Conv → Relu → Conv → Relu → Pool). Run as two layers, the
// Convolution keeps im2col of the whole batch for backward (45 MB for a batch of 100 through
// a 16-channel 3×3 layer on 28×28) and writes, reads and writes again the output map for the
// Relu; here each image's col lives in cache only, forward and backward.
#pragma once
#include <cstdint>

#include "kernels/convolution.h"
#include "kernels/geometry.h"
#include "simd/target.h"

SN_BEGIN_TARGET

// x (n, c, h, w), w (f, c·kh·kw), b (f) → out (n, f, oh, ow) = relu(conv(x)).
void conv_relu_forward(const float* x, const float* w, const float* b, const ConvGeom& g, float* out);

// One image of conv_relu_forward with the batch's weights (forward_weights): x_i (c, h, w) →
// out_i (f, oh, ow). Single-threaded: callers split the batch.
void conv_relu_image(const float* x_i, const ForwardWeights& fw, const float* b, const ConvGeom& g, float* out_i);

// From dout and forward's out (both (n, f, oh, ow)) and the same x and w: dw (f, c·kh·kw) and
// db (f) are overwritten, dx (n, c, h, w) too when non-null. The gradient passes where out > 0.
void conv_relu_backward(const float* dout, const float* out, const float* x, const float* w, const ConvGeom& g,
                        float* dw, float* db, float* dx);

SN_END_TARGET
