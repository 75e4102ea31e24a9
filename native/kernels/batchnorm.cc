#include "kernels/batchnorm.h"

#include <cmath>

#include "kernels/threadpool.h"
#include "simd/target.h"

SN_BEGIN_TARGET

// Channels are independent, so threads own disjoint channels; a channel's values are the
// n strided runs x[(i·c + ch)·s .. +s).
static int64_t min_channels(const BatchNormGeom& g) {
  const int64_t per_channel = g.n * g.s;
  return (1 << 15) / (per_channel > 0 ? per_channel : 1) + 1;
}

void batchnorm_forward(const float* x, const float* gamma, const float* beta, const BatchNormGeom& g, bool train,
                       double momentum, double eps, float* running_mean, float* running_var, float* out, float* xhat,
                       float* inv_std) {
  // x, out, xhat are (n, c, s); gamma, beta, running_*, inv_std are (c)
  const int64_t n = g.n, c = g.c, s = g.s;
  const double count = double(n * s);
  parallel_for(c, min_channels(g), [&](int64_t c0, int64_t c1, int) {
    for (int64_t ch = c0; ch < c1; ++ch) {
      double mu, var;
      if (train) {
        double sum = 0.0;
        for (int64_t i = 0; i < n; ++i) {
          const float* r = x + (i * c + ch) * s;
          for (int64_t k = 0; k < s; ++k) sum += r[k];
        }
        mu = sum / count;
        // Two passes: the centred sum of squares does not cancel catastrophically.
        double sq = 0.0;
        for (int64_t i = 0; i < n; ++i) {
          const float* r = x + (i * c + ch) * s;
          for (int64_t k = 0; k < s; ++k) {
            const double d = r[k] - mu;
            sq += d * d;
          }
        }
        var = sq / count;
        running_mean[ch] = float(momentum * running_mean[ch] + (1.0 - momentum) * mu);
        running_var[ch] = float(momentum * running_var[ch] + (1.0 - momentum) * var);
      } else {
        mu = running_mean[ch];
        var = running_var[ch];
      }
      const double istd = 1.0 / std::sqrt(var + eps);
      inv_std[ch] = float(istd);
      const float m = float(mu), is = float(istd), ga = gamma[ch], be = beta[ch];
      for (int64_t i = 0; i < n; ++i) {
        const int64_t off = (i * c + ch) * s;
        for (int64_t k = 0; k < s; ++k) {
          const float xh = (x[off + k] - m) * is;
          xhat[off + k] = xh;
          out[off + k] = ga * xh + be;
        }
      }
    }
  });
}

void batchnorm_backward(const float* dout, const float* xhat, const float* gamma, const float* inv_std,
                        const BatchNormGeom& g, float* dx, float* dgamma, float* dbeta) {
  // dout, xhat, dx are (n, c, s); gamma, inv_std, dgamma, dbeta are (c)
  // dx = γ·invStd/N · (N·dout − Σdout − xhat·Σ(dout·xhat)), the book's chain rule collapsed.
  const int64_t n = g.n, c = g.c, s = g.s;
  const double count = double(n * s);
  parallel_for(c, min_channels(g), [&](int64_t c0, int64_t c1, int) {
    for (int64_t ch = c0; ch < c1; ++ch) {
      double sd = 0.0, sdx = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t off = (i * c + ch) * s;
        for (int64_t k = 0; k < s; ++k) {
          sd += dout[off + k];
          sdx += double(dout[off + k]) * xhat[off + k];
        }
      }
      dbeta[ch] = float(sd);
      dgamma[ch] = float(sdx);
      const float k1 = float(double(gamma[ch]) * inv_std[ch] / count);
      const float sum_d = float(sd), sum_dx = float(sdx), N = float(count);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t off = (i * c + ch) * s;
        for (int64_t k = 0; k < s; ++k) dx[off + k] = k1 * (N * dout[off + k] - sum_d - xhat[off + k] * sum_dx);
      }
    }
  });
}

SN_END_TARGET
