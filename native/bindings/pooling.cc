// poolForward, poolBackward
#include "kernels/pooling.h"

#include "bindings/args.h"
#include "bindings/register.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

Napi::Value PoolForward(const Napi::CallbackInfo& info) {
  const char* fn = "poolForward";
  CheckArgCount(info, fn, 4);
  PoolGeom g = PoolGeomArg(info, 1, fn);
  const float* x = F32Arg(info, 0, fn, "x", uint64_t(g.n * g.c * g.h * g.w));
  float* out = F32Arg(info, 2, fn, "out", uint64_t(g.n * g.c * g.oh * g.ow));
  int32_t* argmax = I32Arg(info, 3, fn, "argmax", uint64_t(g.n * g.c * g.oh * g.ow));
  pool_forward(x, g, out, argmax);
  return info.Env().Undefined();
}

Napi::Value PoolBackward(const Napi::CallbackInfo& info) {
  const char* fn = "poolBackward";
  CheckArgCount(info, fn, 4);
  PoolGeom g = PoolGeomArg(info, 2, fn);
  const float* dout = F32Arg(info, 0, fn, "dout", uint64_t(g.n * g.c * g.oh * g.ow));
  const int32_t* argmax = I32Arg(info, 1, fn, "argmax", uint64_t(g.n * g.c * g.oh * g.ow));
  float* dx = F32Arg(info, 3, fn, "dx", uint64_t(g.n * g.c * g.h * g.w));
  // The kernel validates each index as it routes (a separate pass would read argmax twice).
  int64_t bad = pool_backward(dout, argmax, g, dx);
  if (bad >= 0) {
    ThrowRange(info.Env(), std::string(fn) + ": 'argmax' must hold indices in [0, " + std::to_string(g.h * g.w) +
                               ") (h·w), but argmax[" + std::to_string(bad) + "] is " + std::to_string(argmax[bad]) +
                               ". Fix: pass the argmax that poolForward wrote for the same geometry.");
  }
  return info.Env().Undefined();
}

}  // namespace

void RegisterPooling(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "poolForward", PoolForward);
  Export(env, exports, "poolBackward", PoolBackward);
}

SN_END_TARGET
