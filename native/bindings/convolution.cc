// convForward, convBackward
#include "kernels/convolution.h"

#include "bindings/args.h"
#include "bindings/register.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

Napi::Value ConvForward(const Napi::CallbackInfo& info) {
  const char* fn = "convForward";
  CheckArgCount(info, fn, 6);
  ConvGeom g = ConvGeomArg(info, 3, fn);
  const float* x = F32Arg(info, 0, fn, "x", uint64_t(g.n * g.c * g.h * g.w));
  const float* w = F32Arg(info, 1, fn, "w", uint64_t(g.f * g.ckk()));
  const float* b = F32Arg(info, 2, fn, "b", uint64_t(g.f));
  float* out = F32Arg(info, 4, fn, "out", uint64_t(g.n * g.f * g.ohw()));
  float* col = F32Arg(info, 5, fn, "col", uint64_t(g.n * g.ckk() * g.ohw()));
  conv_forward(x, w, b, g, out, col);
  return info.Env().Undefined();
}

Napi::Value ConvBackward(const Napi::CallbackInfo& info) {
  const char* fn = "convBackward";
  CheckArgCount(info, fn, 7);
  ConvGeom g = ConvGeomArg(info, 3, fn);
  const float* dout = F32Arg(info, 0, fn, "dout", uint64_t(g.n * g.f * g.ohw()));
  const float* w = F32Arg(info, 1, fn, "w", uint64_t(g.f * g.ckk()));
  float* col = F32Arg(info, 2, fn, "col", uint64_t(g.n * g.ckk() * g.ohw()));
  float* dw = F32Arg(info, 4, fn, "dw", uint64_t(g.f * g.ckk()));
  float* db = F32Arg(info, 5, fn, "db", uint64_t(g.f));
  float* dx = F32ArgOrNull(info, 6, fn, "dx", uint64_t(g.n * g.c * g.h * g.w));
  conv_backward(dout, w, col, g, dw, db, dx);
  return info.Env().Undefined();
}

}  // namespace

void RegisterConvolution(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "convForward", ConvForward);
  Export(env, exports, "convBackward", ConvBackward);
}

SN_END_TARGET
