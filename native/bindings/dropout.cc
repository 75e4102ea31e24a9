// dropoutForward, dropoutBackward
#include "kernels/dropout.h"

#include "bindings/args.h"
#include "bindings/register.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

Napi::Value DropoutForward(const Napi::CallbackInfo& info) {
  const char* fn = "dropoutForward";
  CheckArgCount(info, fn, 7);
  int64_t len = IntArg(info, 1, fn, "len", 0);
  const float* x = F32Arg(info, 0, fn, "x", uint64_t(len));
  double ratio = NumberInRange(info, 2, fn, "ratio", 0.0, 1.0, "[0, 1]");
  uint32_t seed = Uint32Arg(info, 3, fn, "seed");
  uint32_t counter = Uint32Arg(info, 4, fn, "counter");
  float* out = F32Arg(info, 5, fn, "out", uint64_t(len));
  uint8_t* mask = U8Arg(info, 6, fn, "mask", uint64_t(len));
  dropout_forward(x, len, ratio, seed, counter, out, mask);
  return info.Env().Undefined();
}

Napi::Value DropoutBackward(const Napi::CallbackInfo& info) {
  const char* fn = "dropoutBackward";
  CheckArgCount(info, fn, 4);
  int64_t len = IntArg(info, 2, fn, "len", 0);
  const float* dout = F32Arg(info, 0, fn, "dout", uint64_t(len));
  const uint8_t* mask = U8Arg(info, 1, fn, "mask", uint64_t(len));
  float* dx = F32Arg(info, 3, fn, "dx", uint64_t(len));
  dropout_backward(dout, mask, len, dx);
  return info.Env().Undefined();
}

}  // namespace

void RegisterDropout(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "dropoutForward", DropoutForward);
  Export(env, exports, "dropoutBackward", DropoutBackward);
}

SN_END_TARGET
