// setNumThreads, getNumThreads, and what the addon carries: its SIMD targets, the one this CPU
// gets by default, whether OpenBLAS was found and its build. Compiled once; every target shares
// the thread pool.
#include "blas/openblas.h"

#include "bindings/args.h"
#include "bindings/register.h"
#include "kernels/threadpool.h"
#include "simd/dispatch.h"

namespace sn {
namespace {

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  CheckArgCount(info, "setNumThreads", 1);
  set_num_threads(int(IntArg(info, 0, "setNumThreads", "n", 1, kMaxThreads)));
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), num_threads()); }

Napi::Array Strings(Napi::Env env, const std::vector<std::string>& list) {
  Napi::Array a = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) a.Set(uint32_t(i), Napi::String::New(env, list[i]));
  return a;
}

}  // namespace

void RegisterThreads(Napi::Env env, Napi::Object exports) {
  const OpenBlas& blas = openblas();
  // Our pool splits the work; OpenBLAS's own threads would spin against it for the same cores.
  if (blas.found()) blas.set_num_threads(1);
  Export(env, exports, "setNumThreads", SetNumThreads);
  Export(env, exports, "getNumThreads", GetNumThreads);
  const char* config = blas.found() ? blas.get_config() : nullptr;
  const char* core = blas.found() ? blas.get_corename() : nullptr;
  exports.Set("openblasFound", Napi::Boolean::New(env, blas.found()));
  exports.Set("openblasLibrary", blas.found() ? Napi::Value(Napi::String::New(env, blas.library)) : env.Null());
  exports.Set("openblasError", blas.found() ? env.Null() : Napi::Value(Napi::String::New(env, blas.error)));
  exports.Set("openblasConfig", Napi::String::New(env, config ? config : ""));
  exports.Set("openblasCoreName", Napi::String::New(env, core ? core : ""));
  exports.Set("compiledTargets", Strings(env, compiled_targets()));
  exports.Set("supportedTargets", Strings(env, supported_targets()));
  std::string error;
  exports.Set("defaultTarget", Napi::String::New(env, default_target(&error)));
  exports.Set("targetError", error.empty() ? env.Null() : Napi::String::New(env, error));
}

}  // namespace sn
