// axpy, scale
#include "kernels/elementwise.h"

#include "bindings/args.h"
#include "bindings/register.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

Napi::Value Axpy(const Napi::CallbackInfo& info) {
  const char* fn = "axpy";
  CheckArgCount(info, fn, 4);
  float alpha = float(NumberArg(info, 0, fn, "alpha"));
  int64_t len = IntArg(info, 3, fn, "len", 0);
  const float* x = F32Arg(info, 1, fn, "x", uint64_t(len));
  float* y = F32Arg(info, 2, fn, "y", uint64_t(len));
  axpy(alpha, x, y, len);
  return info.Env().Undefined();
}

Napi::Value Scale(const Napi::CallbackInfo& info) {
  const char* fn = "scale";
  CheckArgCount(info, fn, 4);
  int64_t len = IntArg(info, 2, fn, "len", 0);
  const float* x = F32Arg(info, 0, fn, "x", uint64_t(len));
  float alpha = float(NumberArg(info, 1, fn, "alpha"));
  float* out = F32Arg(info, 3, fn, "out", uint64_t(len));
  scale(x, alpha, len, out);
  return info.Env().Undefined();
}

}  // namespace

void RegisterElementwise(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "axpy", Axpy);
  Export(env, exports, "scale", Scale);
}

SN_END_TARGET
