// im2col, col2im
#include "kernels/im2col.h"

#include "bindings/args.h"
#include "bindings/register.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

Napi::Value Im2col(const Napi::CallbackInfo& info) {
  const char* fn = "im2col";
  CheckArgCount(info, fn, 3);
  ConvGeom g = ConvGeomArg(info, 1, fn);
  const float* x = F32Arg(info, 0, fn, "x", uint64_t(g.n * g.c * g.h * g.w));
  float* col = F32Arg(info, 2, fn, "col", uint64_t(g.n * g.ckk() * g.ohw()));
  im2col(x, g, col);
  return info.Env().Undefined();
}

Napi::Value Col2im(const Napi::CallbackInfo& info) {
  const char* fn = "col2im";
  CheckArgCount(info, fn, 3);
  ConvGeom g = ConvGeomArg(info, 1, fn);
  const float* col = F32Arg(info, 0, fn, "col", uint64_t(g.n * g.ckk() * g.ohw()));
  float* dx = F32Arg(info, 2, fn, "dx", uint64_t(g.n * g.c * g.h * g.w));
  col2im(col, g, dx);
  return info.Env().Undefined();
}

}  // namespace

void RegisterIm2col(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "im2col", Im2col);
  Export(env, exports, "col2im", Col2im);
}

SN_END_TARGET
