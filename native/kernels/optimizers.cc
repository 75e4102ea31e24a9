#include "kernels/optimizers.h"

#include <cmath>

#include "kernels/threadpool.h"

namespace sn {

// The per-element arithmetic is float32, so the loops vectorise (sqrt and division included:
// in double they ran ~8× slower and Adam over SimpleConvNet's 432,000 parameters cost a full
// millisecond a step). Step-size factors (lr_t, 1 − β) are computed once in double. The
// reference computes in double and rounds once; the two agree to a few ulps (the kernel suite
// checks this with its transcendental tolerance).
constexpr int64_t kMinElements = 1 << 15;
constexpr float kEps = 1e-7f;

// Each loop body reads its arrays through restrict pointers and its factors from locals: captured
// by reference, the factors could alias the stores as far as GCC knows, and it left every loop
// scalar (Adam over SimpleConvNet's 432,000 parameters: 0.57 ms a step).
#define SN_RESTRICT __restrict__

void sgd_update(float* param, const float* grad, int64_t len, double lr_d, double wd_d) {
  // param, grad are (len)
  const float lr = float(lr_d), wd = float(wd_d);
  parallel_for(len, kMinElements, [=](int64_t b, int64_t e, int) {
    float* SN_RESTRICT p = param;
    const float* SN_RESTRICT gr = grad;
    for (int64_t i = b; i < e; ++i) {
      const float g = gr[i] + wd * p[i];
      p[i] -= lr * g;
    }
  });
}

void momentum_update(float* param, const float* grad, float* v, int64_t len, double lr_d, double momentum_d,
                     double wd_d) {
  // param, grad, v are (len)
  const float lr = float(lr_d), mom = float(momentum_d), wd = float(wd_d);
  parallel_for(len, kMinElements, [=](int64_t b, int64_t e, int) {
    float* SN_RESTRICT p = param;
    float* SN_RESTRICT vel = v;
    const float* SN_RESTRICT gr = grad;
    for (int64_t i = b; i < e; ++i) {
      const float g = gr[i] + wd * p[i];
      const float vi = mom * vel[i] - lr * g;
      vel[i] = vi;
      p[i] += vi;
    }
  });
}

void nesterov_update(float* param, const float* grad, float* v, int64_t len, double lr_d, double momentum_d,
                     double wd_d) {
  // param, grad, v are (len)
  const float lr = float(lr_d), mom = float(momentum_d), wd = float(wd_d);
  const float mom2 = float(momentum_d * momentum_d), step = float((1.0 + momentum_d) * lr_d);
  parallel_for(len, kMinElements, [=](int64_t b, int64_t e, int) {
    float* SN_RESTRICT p = param;
    float* SN_RESTRICT vel = v;
    const float* SN_RESTRICT gr = grad;
    for (int64_t i = b; i < e; ++i) {
      const float g = gr[i] + wd * p[i];
      const float vi = mom * vel[i] - lr * g;
      vel[i] = vi;
      p[i] += mom2 * vi - step * g;
    }
  });
}

void adagrad_update(float* param, const float* grad, float* h, int64_t len, double lr_d, double wd_d) {
  // param, grad, h are (len)
  const float lr = float(lr_d), wd = float(wd_d);
  parallel_for(len, kMinElements, [=](int64_t b, int64_t e, int) {
    float* SN_RESTRICT p = param;
    float* SN_RESTRICT hs = h;
    const float* SN_RESTRICT gr = grad;
    for (int64_t i = b; i < e; ++i) {
      const float g = gr[i] + wd * p[i];
      const float hi = hs[i] + g * g;
      hs[i] = hi;
      p[i] -= lr * g / (std::sqrt(hi) + kEps);
    }
  });
}

void rmsprop_update(float* param, const float* grad, float* h, int64_t len, double lr_d, double decay_rate,
                    double wd_d) {
  // param, grad, h are (len)
  const float lr = float(lr_d), wd = float(wd_d), decay = float(decay_rate), keep = float(1.0 - decay_rate);
  parallel_for(len, kMinElements, [=](int64_t b, int64_t e, int) {
    float* SN_RESTRICT p = param;
    float* SN_RESTRICT hs = h;
    const float* SN_RESTRICT gr = grad;
    for (int64_t i = b; i < e; ++i) {
      const float g = gr[i] + wd * p[i];
      const float hi = decay * hs[i] + keep * g * g;
      hs[i] = hi;
      p[i] -= lr * g / (std::sqrt(hi) + kEps);
    }
  });
}

void adam_update(float* param, const float* grad, float* m, float* v, int64_t len, double lr, double beta1,
                 double beta2, double t, double wd_d) {
  // param, grad, m, v are (len)
  const float lr_t = float(lr * std::sqrt(1.0 - std::pow(beta2, t)) / (1.0 - std::pow(beta1, t)));
  const float a1 = float(1.0 - beta1), a2 = float(1.0 - beta2), wd = float(wd_d);
  parallel_for(len, kMinElements, [=](int64_t b, int64_t e, int) {
    float* SN_RESTRICT p = param;
    float* SN_RESTRICT ms = m;
    float* SN_RESTRICT vs = v;
    const float* SN_RESTRICT gr = grad;
    for (int64_t i = b; i < e; ++i) {
      const float g = gr[i] + wd * p[i];
      const float mi = ms[i] + a1 * (g - ms[i]);
      const float vi = vs[i] + a2 * (g * g - vs[i]);
      ms[i] = mi;
      vs[i] = vi;
      p[i] -= lr_t * mi / (std::sqrt(vi) + kEps);
    }
  });
}

}  // namespace sn
