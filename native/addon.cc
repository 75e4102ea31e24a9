// Registers the exports and nothing more: the kernels live in kernels/, argument checking in
// bindings/, target selection in simd/dispatch.cc. `targets` holds one object of kernels per
// SIMD target this CPU can run (a target it cannot run is never registered, so its code is
// never called); lib/backend/native.ts builds a backend from one of them.
#include <napi.h>

#include "bindings/register.h"
#include "simd/dispatch.h"

#define SN_DECLARE_TARGET(t) \
  namespace sn {             \
  namespace t {              \
  Napi::Object RegisterTarget(Napi::Env env); \
  }                          \
  }
#if defined(SN_HAVE_AVX512)
SN_DECLARE_TARGET(avx512)
#endif
#if defined(SN_HAVE_AVX2)
SN_DECLARE_TARGET(avx2)
#endif
#if defined(SN_HAVE_SSE2)
SN_DECLARE_TARGET(sse2)
#endif
#if defined(SN_HAVE_NEON)
SN_DECLARE_TARGET(neon)
#endif

static bool Runs(const char* target) {
  for (const std::string& t : sn::supported_targets())
    if (t == target) return true;
  return false;
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  sn::RegisterThreads(env, exports);
  Napi::Object targets = Napi::Object::New(env);
  const auto add = [&](const char* name, Napi::Object (*reg)(Napi::Env)) {
    if (Runs(name)) targets.Set(name, reg(env));
  };
#if defined(SN_HAVE_AVX512)
  add("avx512", sn::avx512::RegisterTarget);
#endif
#if defined(SN_HAVE_AVX2)
  add("avx2", sn::avx2::RegisterTarget);
#endif
#if defined(SN_HAVE_SSE2)
  add("sse2", sn::sse2::RegisterTarget);
#endif
#if defined(SN_HAVE_NEON)
  add("neon", sn::neon::RegisterTarget);
#endif
  exports.Set("targets", targets);
  return exports;
}

NODE_API_MODULE(scratchnet_native, Init)
