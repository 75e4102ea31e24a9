// convReluForward, convReluBackward
#include "kernels/conv_relu.h"

#include "bindings/args.h"
#include "bindings/register.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

Napi::Value ConvReluForward(const Napi::CallbackInfo& info) {
  const char* fn = "convReluForward";
  CheckArgCount(info, fn, 5);
  ConvGeom g = ConvGeomArg(info, 3, fn);
  const float* x = F32Arg(info, 0, fn, "x", uint64_t(g.n * g.c * g.h * g.w));
  const float* w = F32Arg(info, 1, fn, "w", uint64_t(g.f * g.ckk()));
  const float* b = F32Arg(info, 2, fn, "b", uint64_t(g.f));
  float* out = F32Arg(info, 4, fn, "out", uint64_t(g.n * g.f * g.ohw()));
  conv_relu_forward(x, w, b, g, out);
  return info.Env().Undefined();
}

Napi::Value ConvReluBackward(const Napi::CallbackInfo& info) {
  const char* fn = "convReluBackward";
  CheckArgCount(info, fn, 8);
  ConvGeom g = ConvGeomArg(info, 4, fn);
  const uint64_t out_len = uint64_t(g.n * g.f * g.ohw());
  const float* dout = F32Arg(info, 0, fn, "dout", out_len);
  const float* out = F32Arg(info, 1, fn, "out", out_len);
  const float* x = F32Arg(info, 2, fn, "x", uint64_t(g.n * g.c * g.h * g.w));
  const float* w = F32Arg(info, 3, fn, "w", uint64_t(g.f * g.ckk()));
  float* dw = F32Arg(info, 5, fn, "dw", uint64_t(g.f * g.ckk()));
  float* db = F32Arg(info, 6, fn, "db", uint64_t(g.f));
  float* dx = F32ArgOrNull(info, 7, fn, "dx", uint64_t(g.n * g.c * g.h * g.w));
  conv_relu_backward(dout, out, x, w, g, dw, db, dx);
  return info.Env().Undefined();
}

}  // namespace

void RegisterConvRelu(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "convReluForward", ConvReluForward);
  Export(env, exports, "convReluBackward", ConvReluBackward);
}

SN_END_TARGET
