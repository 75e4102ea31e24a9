// affineForward, affineBackward
#include "kernels/affine.h"

#include "bindings/args.h"
#include "bindings/register.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

struct AffineSizes {
  int64_t n, d, m;
};

AffineSizes SizesArg(const Napi::CallbackInfo& info, size_t first, const char* fn) {
  AffineSizes s;
  s.n = IntArg(info, first, fn, "n", 1);
  s.d = IntArg(info, first + 1, fn, "d", 1);
  s.m = IntArg(info, first + 2, fn, "m", 1);
  Product(info.Env(), fn, {s.n, s.d});
  Product(info.Env(), fn, {s.d, s.m});
  Product(info.Env(), fn, {s.n, s.m});
  return s;
}

Napi::Value AffineForward(const Napi::CallbackInfo& info) {
  const char* fn = "affineForward";
  CheckArgCount(info, fn, 7);
  AffineSizes s = SizesArg(info, 3, fn);
  const float* x = F32Arg(info, 0, fn, "x", uint64_t(s.n * s.d));
  const float* w = F32Arg(info, 1, fn, "w", uint64_t(s.d * s.m));
  const float* b = F32Arg(info, 2, fn, "b", uint64_t(s.m));
  float* out = F32Arg(info, 6, fn, "out", uint64_t(s.n * s.m));
  affine_forward(x, w, b, s.n, s.d, s.m, out);
  return info.Env().Undefined();
}

Napi::Value AffineBackward(const Napi::CallbackInfo& info) {
  const char* fn = "affineBackward";
  CheckArgCount(info, fn, 9);
  AffineSizes s = SizesArg(info, 3, fn);
  const float* dout = F32Arg(info, 0, fn, "dout", uint64_t(s.n * s.m));
  const float* x = F32Arg(info, 1, fn, "x", uint64_t(s.n * s.d));
  const float* w = F32Arg(info, 2, fn, "w", uint64_t(s.d * s.m));
  float* dw = F32Arg(info, 6, fn, "dw", uint64_t(s.d * s.m));
  float* db = F32Arg(info, 7, fn, "db", uint64_t(s.m));
  float* dx = F32ArgOrNull(info, 8, fn, "dx", uint64_t(s.n * s.d));
  affine_backward(dout, x, w, s.n, s.d, s.m, dw, db, dx);
  return info.Env().Undefined();
}

}  // namespace

void RegisterAffine(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "affineForward", AffineForward);
  Export(env, exports, "affineBackward", AffineBackward);
}

SN_END_TARGET
