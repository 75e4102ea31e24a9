// sgdUpdate, momentumUpdate, nesterovUpdate, adaGradUpdate, rmspropUpdate, adamUpdate
#include "kernels/optimizers.h"

#include <limits>

#include "bindings/args.h"
#include "bindings/register.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double Rate(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name) {
  return NumberInRange(info, idx, fn, name, 0.0, kInf, "[0, ∞)");
}
double Fraction(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name) {
  return NumberInRange(info, idx, fn, name, 0.0, 1.0, "[0, 1]");
}

Napi::Value SgdUpdate(const Napi::CallbackInfo& info) {
  const char* fn = "sgdUpdate";
  CheckArgCount(info, fn, 5);
  int64_t len = IntArg(info, 2, fn, "len", 0);
  float* param = F32Arg(info, 0, fn, "param", uint64_t(len));
  const float* grad = F32Arg(info, 1, fn, "grad", uint64_t(len));
  double lr = Rate(info, 3, fn, "lr");
  double wd = Rate(info, 4, fn, "weightDecay");
  sgd_update(param, grad, len, lr, wd);
  return info.Env().Undefined();
}

// (param, grad, state, len, lr, rate, weightDecay): momentum and Nesterov share a shape.
template <void (*Kernel)(float*, const float*, float*, int64_t, double, double, double)>
Napi::Value WithVelocity(const Napi::CallbackInfo& info, const char* fn, const char* state, const char* rate) {
  CheckArgCount(info, fn, 7);
  int64_t len = IntArg(info, 3, fn, "len", 0);
  float* param = F32Arg(info, 0, fn, "param", uint64_t(len));
  const float* grad = F32Arg(info, 1, fn, "grad", uint64_t(len));
  float* v = F32Arg(info, 2, fn, state, uint64_t(len));
  double lr = Rate(info, 4, fn, "lr");
  double r = Fraction(info, 5, fn, rate);
  double wd = Rate(info, 6, fn, "weightDecay");
  Kernel(param, grad, v, len, lr, r, wd);
  return info.Env().Undefined();
}

Napi::Value MomentumUpdate(const Napi::CallbackInfo& info) {
  return WithVelocity<momentum_update>(info, "momentumUpdate", "v", "momentum");
}
Napi::Value NesterovUpdate(const Napi::CallbackInfo& info) {
  return WithVelocity<nesterov_update>(info, "nesterovUpdate", "v", "momentum");
}
Napi::Value RmspropUpdate(const Napi::CallbackInfo& info) {
  return WithVelocity<rmsprop_update>(info, "rmspropUpdate", "h", "decayRate");
}

Napi::Value AdaGradUpdate(const Napi::CallbackInfo& info) {
  const char* fn = "adaGradUpdate";
  CheckArgCount(info, fn, 6);
  int64_t len = IntArg(info, 3, fn, "len", 0);
  float* param = F32Arg(info, 0, fn, "param", uint64_t(len));
  const float* grad = F32Arg(info, 1, fn, "grad", uint64_t(len));
  float* h = F32Arg(info, 2, fn, "h", uint64_t(len));
  double lr = Rate(info, 4, fn, "lr");
  double wd = Rate(info, 5, fn, "weightDecay");
  adagrad_update(param, grad, h, len, lr, wd);
  return info.Env().Undefined();
}

Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  const char* fn = "adamUpdate";
  CheckArgCount(info, fn, 10);
  int64_t len = IntArg(info, 4, fn, "len", 0);
  float* param = F32Arg(info, 0, fn, "param", uint64_t(len));
  const float* grad = F32Arg(info, 1, fn, "grad", uint64_t(len));
  float* m = F32Arg(info, 2, fn, "m", uint64_t(len));
  float* v = F32Arg(info, 3, fn, "v", uint64_t(len));
  double lr = Rate(info, 5, fn, "lr");
  // β = 1 would divide by 1 − β1^t = 0; the book's defaults are 0.9 and 0.999.
  double beta1 = NumberInRange(info, 6, fn, "beta1", 0.0, 1.0 - 1e-12, "[0, 1)");
  double beta2 = NumberInRange(info, 7, fn, "beta2", 0.0, 1.0 - 1e-12, "[0, 1)");
  // t is the caller's update count: an integer ≥ 1 (t = 0 would divide by zero).
  double t = double(IntArg(info, 8, fn, "t", 1, int64_t(1) << 53));
  double wd = Rate(info, 9, fn, "weightDecay");
  adam_update(param, grad, m, v, len, lr, beta1, beta2, t, wd);
  return info.Env().Undefined();
}

}  // namespace

void RegisterOptimizers(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "sgdUpdate", SgdUpdate);
  Export(env, exports, "momentumUpdate", MomentumUpdate);
  Export(env, exports, "nesterovUpdate", NesterovUpdate);
  Export(env, exports, "adaGradUpdate", AdaGradUpdate);
  Export(env, exports, "rmspropUpdate", RmspropUpdate);
  Export(env, exports, "adamUpdate", AdamUpdate);
}

SN_END_TARGET
