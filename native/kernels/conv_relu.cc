#include "kernels/conv_relu.h"

#include "kernels/convolution.h"
#include "kernels/scratch.h"
#include "kernels/threadpool.h"

SN_BEGIN_TARGET

// One image's im2col (forward).
static thread_local Scratch t_col;

void conv_relu_image(const float* x_i, const ForwardWeights& fw, const float* b, const ConvGeom& g, float* out_i) {
  const int64_t out_size = g.f * g.ohw();
  conv_forward_image(x_i, fw, b, g, out_i, t_col.get(size_t(g.ckk() * g.ohw())), false);
  // while the image's map is still in cache
  for (int64_t q = 0; q < out_size; ++q) out_i[q] = out_i[q] > 0.0f ? out_i[q] : 0.0f;
}

void conv_relu_forward(const float* x, const float* w, const float* b, const ConvGeom& g, float* out) {
  // x is (n, c, h, w), out_i = relu(w · col_i + b) is (f, oh·ow)
  const int64_t in_size = g.c * g.h * g.w, out_size = g.f * g.ohw();
  const ForwardWeights fw = forward_weights(w, g);
  parallel_for_pieces(g.n, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) conv_relu_image(x + i * in_size, fw, b, g, out + i * out_size);
  });
}

namespace {

struct ReluMask {
  const float* dout;
  const float* out;
  int64_t size;  // f·oh·ow
};

// dconv_i = dout_i where out_i > 0, else 0.
int64_t mask_by_relu(const void* ctx, int64_t i, float* d) {
  const ReluMask& s = *static_cast<const ReluMask*>(ctx);
  const float* dout_i = s.dout + i * s.size;
  const float* out_i = s.out + i * s.size;
  for (int64_t q = 0; q < s.size; ++q) d[q] = out_i[q] > 0.0f ? dout_i[q] : 0.0f;
  return -1;
}

}  // namespace

void conv_relu_backward(const float* dout, const float* out, const float* x, const float* w, const ConvGeom& g,
                        float* dw, float* db, float* dx) {
  const ReluMask s{dout, out, g.f * g.ohw()};
  conv_backward_from_x(x, w, g, mask_by_relu, &s, dw, db, dx);
}

SN_END_TARGET
