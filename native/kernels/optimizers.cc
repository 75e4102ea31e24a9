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

void sgd_update(float* param, const float* grad, int64_t len, double lr_d, double wd_d) {
  // param, grad are (len)
  const float lr = float(lr_d), wd = float(wd_d);
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      const float g = grad[i] + wd * param[i];
      param[i] -= lr * g;
    }
  });
}

void momentum_update(float* param, const float* grad, float* v, int64_t len, double lr_d, double momentum_d,
                     double wd_d) {
  // param, grad, v are (len)
  const float lr = float(lr_d), mom = float(momentum_d), wd = float(wd_d);
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      const float g = grad[i] + wd * param[i];
      const float vi = mom * v[i] - lr * g;
      v[i] = vi;
      param[i] += vi;
    }
  });
}

void nesterov_update(float* param, const float* grad, float* v, int64_t len, double lr_d, double momentum_d,
                     double wd_d) {
  // param, grad, v are (len)
  const float lr = float(lr_d), mom = float(momentum_d), wd = float(wd_d);
  const float mom2 = float(momentum_d * momentum_d), step = float((1.0 + momentum_d) * lr_d);
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      const float g = grad[i] + wd * param[i];
      const float vi = mom * v[i] - lr * g;
      v[i] = vi;
      param[i] += mom2 * vi - step * g;
    }
  });
}

void adagrad_update(float* param, const float* grad, float* h, int64_t len, double lr_d, double wd_d) {
  // param, grad, h are (len)
  const float lr = float(lr_d), wd = float(wd_d);
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      const float g = grad[i] + wd * param[i];
      const float hi = h[i] + g * g;
      h[i] = hi;
      param[i] -= lr * g / (std::sqrt(hi) + kEps);
    }
  });
}

void rmsprop_update(float* param, const float* grad, float* h, int64_t len, double lr_d, double decay_rate,
                    double wd_d) {
  // param, grad, h are (len)
  const float lr = float(lr_d), wd = float(wd_d), decay = float(decay_rate), keep = float(1.0 - decay_rate);
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      const float g = grad[i] + wd * param[i];
      const float hi = decay * h[i] + keep * g * g;
      h[i] = hi;
      param[i] -= lr * g / (std::sqrt(hi) + kEps);
    }
  });
}

void adam_update(float* param, const float* grad, float* m, float* v, int64_t len, double lr, double beta1,
                 double beta2, double t, double wd_d) {
  // param, grad, m, v are (len)
  const float lr_t = float(lr * std::sqrt(1.0 - std::pow(beta2, t)) / (1.0 - std::pow(beta1, t)));
  const float a1 = float(1.0 - beta1), a2 = float(1.0 - beta2), wd = float(wd_d);
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      const float g = grad[i] + wd * param[i];
      const float mi = m[i] + a1 * (g - m[i]);
      const float vi = v[i] + a2 * (g * g - v[i]);
      m[i] = mi;
      v[i] = vi;
      param[i] -= lr_t * mi / (std::sqrt(vi) + kEps);
    }
  });
}

}  // namespace sn
