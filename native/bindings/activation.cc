// reluForward, reluBackward, sigmoidForward, sigmoidBackward
#include "kernels/activation.h"

#include "bindings/args.h"
#include "bindings/register.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

// (x, len, out)
template <void (*Kernel)(const float*, int64_t, float*)>
Napi::Value Forward(const Napi::CallbackInfo& info, const char* fn) {
  CheckArgCount(info, fn, 3);
  int64_t len = IntArg(info, 1, fn, "len", 0);
  const float* x = F32Arg(info, 0, fn, "x", uint64_t(len));
  float* out = F32Arg(info, 2, fn, "out", uint64_t(len));
  Kernel(x, len, out);
  return info.Env().Undefined();
}

// (dout, out, len, dx)
template <void (*Kernel)(const float*, const float*, int64_t, float*)>
Napi::Value Backward(const Napi::CallbackInfo& info, const char* fn) {
  CheckArgCount(info, fn, 4);
  int64_t len = IntArg(info, 2, fn, "len", 0);
  const float* dout = F32Arg(info, 0, fn, "dout", uint64_t(len));
  const float* out = F32Arg(info, 1, fn, "out", uint64_t(len));
  float* dx = F32Arg(info, 3, fn, "dx", uint64_t(len));
  Kernel(dout, out, len, dx);
  return info.Env().Undefined();
}

Napi::Value ReluForward(const Napi::CallbackInfo& info) { return Forward<relu_forward>(info, "reluForward"); }
Napi::Value ReluBackward(const Napi::CallbackInfo& info) { return Backward<relu_backward>(info, "reluBackward"); }
Napi::Value SigmoidForward(const Napi::CallbackInfo& info) { return Forward<sigmoid_forward>(info, "sigmoidForward"); }
Napi::Value SigmoidBackward(const Napi::CallbackInfo& info) {
  return Backward<sigmoid_backward>(info, "sigmoidBackward");
}

}  // namespace

void RegisterActivation(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "reluForward", ReluForward);
  Export(env, exports, "reluBackward", ReluBackward);
  Export(env, exports, "sigmoidForward", SigmoidForward);
  Export(env, exports, "sigmoidBackward", SigmoidBackward);
}

SN_END_TARGET
