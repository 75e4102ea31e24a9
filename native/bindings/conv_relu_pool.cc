// convReluPoolForward, convReluPoolBackward
#include "kernels/conv_relu_pool.h"

#include "bindings/args.h"
#include "bindings/register.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

Napi::Value ConvReluPoolForward(const Napi::CallbackInfo& info) {
  const char* fn = "convReluPoolForward";
  CheckArgCount(info, fn, 7);
  ConvGeom g = ConvGeomArg(info, 3, fn);
  PoolGeom p = PoolGeomArg(info, 4, fn, "p");
  CheckPoolOfConv(info.Env(), fn, g, p);
  const uint64_t pooled = Product(info.Env(), fn, {p.n, p.c, p.oh, p.ow});
  const float* x = F32Arg(info, 0, fn, "x", uint64_t(g.n * g.c * g.h * g.w));
  const float* w = F32Arg(info, 1, fn, "w", uint64_t(g.f * g.ckk()));
  const float* b = F32Arg(info, 2, fn, "b", uint64_t(g.f));
  float* out = F32Arg(info, 5, fn, "out", pooled);
  int32_t* argmax = I32ArgOrNull(info, 6, fn, "argmax", pooled);
  conv_relu_pool_forward(x, w, b, g, p, out, argmax);
  return info.Env().Undefined();
}

Napi::Value ConvReluPoolBackward(const Napi::CallbackInfo& info) {
  const char* fn = "convReluPoolBackward";
  CheckArgCount(info, fn, 10);
  ConvGeom g = ConvGeomArg(info, 5, fn);
  PoolGeom p = PoolGeomArg(info, 6, fn, "p");
  CheckPoolOfConv(info.Env(), fn, g, p);
  const uint64_t pooled = Product(info.Env(), fn, {p.n, p.c, p.oh, p.ow});
  const float* dout = F32Arg(info, 0, fn, "dout", pooled);
  const float* out = F32Arg(info, 1, fn, "out", pooled);
  const int32_t* argmax = I32Arg(info, 2, fn, "argmax", pooled);
  const float* x = F32Arg(info, 3, fn, "x", uint64_t(g.n * g.c * g.h * g.w));
  const float* w = F32Arg(info, 4, fn, "w", uint64_t(g.f * g.ckk()));
  float* dw = F32Arg(info, 7, fn, "dw", uint64_t(g.f * g.ckk()));
  float* db = F32Arg(info, 8, fn, "db", uint64_t(g.f));
  float* dx = F32ArgOrNull(info, 9, fn, "dx", uint64_t(g.n * g.c * g.h * g.w));
  // The kernel validates each index as it routes (a separate pass would read argmax twice).
  int64_t bad = conv_relu_pool_backward(dout, out, argmax, x, w, g, p, dw, db, dx);
  if (bad >= 0) {
    ThrowRange(info.Env(), std::string(fn) + ": 'argmax' must hold indices in [0, " + std::to_string(g.oh * g.ow) +
                               ") (g.oh·g.ow), but argmax[" + std::to_string(bad) + "] is " +
                               std::to_string(argmax[bad]) +
                               ". Fix: pass the argmax that convReluPoolForward wrote for the same geometry.");
  }
  return info.Env().Undefined();
}

}  // namespace

void RegisterConvReluPool(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "convReluPoolForward", ConvReluPoolForward);
  Export(env, exports, "convReluPoolBackward", ConvReluPoolBackward);
}

SN_END_TARGET
