#include "kernels/conv_chain.h"

#include <algorithm>

#include "kernels/conv_relu.h"
#include "kernels/conv_relu_pool.h"
#include "kernels/convolution.h"
#include "kernels/scratch.h"
#include "kernels/threadpool.h"

SN_BEGIN_TARGET

namespace {

int64_t input_floats(const ChainLayer& l) { return l.g.c * l.g.h * l.g.w; }
int64_t output_floats(const ChainLayer& l) { return l.pooled ? l.p.c * l.p.oh * l.p.ow : l.g.f * l.g.ohw(); }

// Each layer's weights as its forward reads them, made on the calling thread for the call.
thread_local ForwardWeightStore t_stores[kMaxChainLayers];
// The maps between layers, one image at a time: layer s writes one, layer s + 1 reads it.
thread_local Scratch t_ping, t_pong;

}  // namespace

void conv_chain_forward(const float* x, const ChainLayer* layers, int64_t count, float* out) {
  ConvReluPoolPlan plans[kMaxChainLayers];
  int64_t between = 1;  // the largest map between two layers, in floats
  for (int64_t s = 0; s < count; ++s) {
    const ChainLayer& l = layers[s];
    const ForwardWeights fw = forward_weights(l.w, l.g, t_stores[s]);
    plans[s] = l.pooled ? conv_relu_pool_plan(fw, l.g, l.p)
                        : ConvReluPoolPlan{fw, ConvReluPoolPlan::Path::Separate, false};
    if (s + 1 < count) between = std::max(between, output_floats(l));
  }
  const int64_t in_size = input_floats(layers[0]), out_size = output_floats(layers[count - 1]);
  parallel_for_pieces(layers[0].g.n, [&](int64_t begin, int64_t end, int) {
    float* maps[2] = {t_ping.get(size_t(between)), t_pong.get(size_t(between))};
    for (int64_t i = begin; i < end; ++i) {
      const float* src = x + i * in_size;
      for (int64_t s = 0; s < count; ++s) {
        const ChainLayer& l = layers[s];
        float* dst = s + 1 == count ? out + i * out_size : maps[s % 2];
        if (l.pooled) {
          conv_relu_pool_image(plans[s], src, l.b, l.g, l.p, dst, nullptr);
        } else {
          conv_relu_image(src, plans[s].fw, l.b, l.g, dst);
        }
        src = dst;
      }
    }
  });
}

SN_END_TARGET
