// Inference through a run of fused convolution blocks (DeepConvNet's six Convolution → Relu
// [→ Pooling] layers, LeNet5's two blocks) image by image instead of layer by layer: each image's
// maps pass from one layer to the next in the core's cache, where layer by layer every map went
// out to memory for the whole batch (DeepConvNet's first layer: 20 MB at batch 400) and the next
// layer waited on reading it back.
#pragma once
#include <cstdint>

#include "kernels/geometry.h"
#include "simd/target.h"

SN_BEGIN_TARGET

// One layer of the run: relu(conv(x)) with w (f, c·kh·kw) and b (f), then max-pooled by p when
// pooled (p describes the convolution's output, as conv_relu_pool_forward's).
struct ChainLayer {
  const float* w;
  const float* b;
  ConvGeom g;
  PoolGeom p;
  bool pooled;
};

// Layers a run may have (each keeps its derived weights for the call).
constexpr int64_t kMaxChainLayers = 16;

// x (n, c, h, w) of the first layer → out, the last layer's output for the n images: the same
// values as conv_relu_forward and conv_relu_pool_forward (argmax null) run one after another.
// Each layer's input must be the previous layer's output (the binding checks).
void conv_chain_forward(const float* x, const ChainLayer* layers, int64_t count, float* out);

SN_END_TARGET
