#include "kernels/optimizers.h"

#include <cmath>

#include "kernels/threadpool.h"

namespace sn {

// The per-element arithmetic is done in double, as the reference backend does, and rounded once
// when stored: the updates are memory-bound, so the wider lanes cost nothing measurable and the
// two backends agree to the last bit far more often.
constexpr int64_t kMinElements = 1 << 15;
constexpr double kEps = 1e-7;

void sgd_update(float* param, const float* grad, int64_t len, double lr, double weight_decay) {
  // param, grad are (len)
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      const double g = double(grad[i]) + weight_decay * param[i];
      param[i] = float(param[i] - lr * g);
    }
  });
}

void momentum_update(float* param, const float* grad, float* v, int64_t len, double lr, double momentum,
                     double weight_decay) {
  // param, grad, v are (len)
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      const double g = double(grad[i]) + weight_decay * param[i];
      const float vi = float(momentum * v[i] - lr * g);
      v[i] = vi;
      param[i] = float(double(param[i]) + vi);
    }
  });
}

void nesterov_update(float* param, const float* grad, float* v, int64_t len, double lr, double momentum,
                     double weight_decay) {
  // param, grad, v are (len)
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      const double g = double(grad[i]) + weight_decay * param[i];
      const float vi = float(momentum * v[i] - lr * g);
      v[i] = vi;
      param[i] = float(param[i] + momentum * momentum * vi - (1.0 + momentum) * lr * g);
    }
  });
}

void adagrad_update(float* param, const float* grad, float* h, int64_t len, double lr, double weight_decay) {
  // param, grad, h are (len)
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      const double g = double(grad[i]) + weight_decay * param[i];
      const float hi = float(h[i] + g * g);
      h[i] = hi;
      param[i] = float(param[i] - lr * g / (std::sqrt(double(hi)) + kEps));
    }
  });
}

void rmsprop_update(float* param, const float* grad, float* h, int64_t len, double lr, double decay_rate,
                    double weight_decay) {
  // param, grad, h are (len)
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      const double g = double(grad[i]) + weight_decay * param[i];
      const float hi = float(decay_rate * h[i] + (1.0 - decay_rate) * g * g);
      h[i] = hi;
      param[i] = float(param[i] - lr * g / (std::sqrt(double(hi)) + kEps));
    }
  });
}

void adam_update(float* param, const float* grad, float* m, float* v, int64_t len, double lr, double beta1,
                 double beta2, double t, double weight_decay) {
  // param, grad, m, v are (len)
  const double lr_t = lr * std::sqrt(1.0 - std::pow(beta2, t)) / (1.0 - std::pow(beta1, t));
  parallel_for(len, kMinElements, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      const double g = double(grad[i]) + weight_decay * param[i];
      const float mi = float(m[i] + (1.0 - beta1) * (g - m[i]));
      const float vi = float(v[i] + (1.0 - beta2) * (g * g - v[i]));
      m[i] = mi;
      v[i] = vi;
      param[i] = float(param[i] - lr_t * mi / (std::sqrt(double(vi)) + kEps));
    }
  });
}

}  // namespace sn
