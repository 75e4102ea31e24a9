// batchNormForward, batchNormBackward
#include "kernels/batchnorm.h"

#include <limits>

#include "bindings/args.h"
#include "bindings/register.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

Napi::Value BatchNormForward(const Napi::CallbackInfo& info) {
  const char* fn = "batchNormForward";
  CheckArgCount(info, fn, 12);
  BatchNormGeom g = BatchNormGeomArg(info, 3, fn);
  const uint64_t len = uint64_t(g.n * g.c * g.s), c = uint64_t(g.c);
  const float* x = F32Arg(info, 0, fn, "x", len);
  const float* gamma = F32Arg(info, 1, fn, "gamma", c);
  const float* beta = F32Arg(info, 2, fn, "beta", c);
  bool train = BoolArg(info, 4, fn, "train");
  double momentum = NumberInRange(info, 5, fn, "momentum", 0.0, 1.0, "[0, 1]");
  double eps = NumberInRange(info, 6, fn, "eps", std::numeric_limits<double>::min(),
                             std::numeric_limits<double>::max(), "(0, ∞) (the book uses 1e-7)");
  float* running_mean = F32Arg(info, 7, fn, "runningMean", c);
  float* running_var = F32Arg(info, 8, fn, "runningVar", c);
  float* out = F32Arg(info, 9, fn, "out", len);
  float* xhat = F32Arg(info, 10, fn, "xhat", len);
  float* inv_std = F32Arg(info, 11, fn, "invStd", c);
  batchnorm_forward(x, gamma, beta, g, train, momentum, eps, running_mean, running_var, out, xhat, inv_std);
  return info.Env().Undefined();
}

Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) {
  const char* fn = "batchNormBackward";
  CheckArgCount(info, fn, 8);
  BatchNormGeom g = BatchNormGeomArg(info, 4, fn);
  const uint64_t len = uint64_t(g.n * g.c * g.s), c = uint64_t(g.c);
  const float* dout = F32Arg(info, 0, fn, "dout", len);
  const float* xhat = F32Arg(info, 1, fn, "xhat", len);
  const float* gamma = F32Arg(info, 2, fn, "gamma", c);
  const float* inv_std = F32Arg(info, 3, fn, "invStd", c);
  float* dx = F32Arg(info, 5, fn, "dx", len);
  float* dgamma = F32Arg(info, 6, fn, "dgamma", c);
  float* dbeta = F32Arg(info, 7, fn, "dbeta", c);
  batchnorm_backward(dout, xhat, gamma, inv_std, g, dx, dgamma, dbeta);
  return info.Env().Undefined();
}

}  // namespace

void RegisterBatchNorm(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "batchNormForward", BatchNormForward);
  Export(env, exports, "batchNormBackward", BatchNormBackward);
}

SN_END_TARGET
