// setNumThreads, getNumThreads, info: the pool size and what the addon was built with.
#include <cblas.h>

#include "bindings/args.h"
#include "bindings/register.h"
#include "kernels/gemm.h"
#include "kernels/threadpool.h"

#include <cstdlib>
#include <cstring>

namespace sn {
namespace {

const char* SimdName() {
#if defined(__AVX512F__)
  return "AVX-512F";
#elif defined(__AVX2__)
  return "AVX2";
#elif defined(__AVX__)
  return "AVX";
#elif defined(__SSE2__) || defined(__x86_64__)
  return "SSE2";
#elif defined(__ARM_NEON) || defined(__aarch64__)
  return "NEON";
#else
  return "none";
#endif
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  CheckArgCount(info, "setNumThreads", 1);
  set_num_threads(int(IntArg(info, 0, "setNumThreads", "n", 1, kMaxThreads)));
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), num_threads()); }

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  const char* config = openblas_get_config();
  const char* core = openblas_get_corename();
  o.Set("openblasConfig", Napi::String::New(env, config ? config : ""));
  o.Set("openblasCoreName", Napi::String::New(env, core ? core : ""));
  o.Set("threads", Napi::Number::New(env, num_threads()));
  o.Set("simd", Napi::String::New(env, SimdName()));
  o.Set("gemm", Napi::String::New(env, gemm_impl_name(gemm_impl())));
  return o;
}

// setGemm('openblas' | 'builtin' | 'auto'): which SGEMM the convolution and affine kernels use
// (the benchmark compares them; 'auto' is the choice made at load, see kernels/gemm.h).
Napi::Value SetGemm(const Napi::CallbackInfo& info) {
  CheckArgCount(info, "setGemm", 1);
  const std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (name == "openblas") {
    set_gemm_impl(GemmImpl::OpenBlas);
  } else if (name == "builtin") {
    set_gemm_impl(GemmImpl::Builtin);
  } else if (name == "auto") {
    set_gemm_impl(gemm_auto_choice());
  } else {
    ThrowType(info.Env(), "setGemm: expected 'openblas', 'builtin' or 'auto' for 'name' but received " +
                              (info[0].IsString() ? "'" + name + "'" : TypeNameOf(info[0])));
  }
  return info.Env().Undefined();
}

}  // namespace

void RegisterThreads(Napi::Env env, Napi::Object exports) {
  // Our pool splits the work; OpenBLAS's own threads would spin against it for the same cores.
  openblas_set_num_threads(1);
  Export(env, exports, "setNumThreads", SetNumThreads);
  Export(env, exports, "getNumThreads", GetNumThreads);
  Export(env, exports, "info", Info);
  Export(env, exports, "setGemm", SetGemm);
  // SCRATCHNET_GEMM=openblas|builtin overrides the automatic choice for the whole process.
  if (const char* forced = std::getenv("SCRATCHNET_GEMM")) {
    if (std::strcmp(forced, "openblas") == 0) set_gemm_impl(GemmImpl::OpenBlas);
    if (std::strcmp(forced, "builtin") == 0) set_gemm_impl(GemmImpl::Builtin);
  }
}

}  // namespace sn
