// One SIMD target's exports: every kernel, plus info, setGemm, measureGemm and fmaPeak for this
// target. addon.cc adds this object under the target's name when the CPU can run it.
#include <cstdlib>
#include <cstring>

#include "blas/openblas.h"
#include "bindings/args.h"
#include "bindings/register.h"
#include "kernels/fma_peak.h"
#include "kernels/gemm_choice.h"
#include "kernels/gemm_measure.h"
#include "kernels/threadpool.h"

#define SN_STRINGIFY2(x) #x
#define SN_STRINGIFY(x) SN_STRINGIFY2(x)

SN_BEGIN_TARGET
namespace {

const char* const kTarget = SN_STRINGIFY(SN_TARGET);

// How the current GEMM was chosen: "measured", "SCRATCHNET_GEMM", "setGemm", "no OpenBLAS"
// (the library was not found at load), or "default" (the built-in one) until setGemm('auto').
std::string g_gemm_reason = "default";
GemmTiming g_timing{0.0, 0.0};

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("simd", Napi::String::New(env, kTarget));
  o.Set("threads", Napi::Number::New(env, num_threads()));
  o.Set("gemm", Napi::String::New(env, gemm_impl_name(gemm_impl())));
  o.Set("gemmReason", Napi::String::New(env, g_gemm_reason));
  if (g_timing.builtin_seconds > 0 && openblas().found()) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("builtinMs", Napi::Number::New(env, g_timing.builtin_seconds * 1e3));
    t.Set("openblasMs", Napi::Number::New(env, g_timing.openblas_seconds * 1e3));
    o.Set("gemmTiming", t);
  }
  return o;
}

// OpenBLAS must take less than this share of the built-in kernel's time to be chosen. The two
// round differently, so the choice decides the bits of every result: a near tie must not flip
// between runs on the same machine (a resumed run would then diverge from the original), and
// on a busy machine timings swing by 30%. A wide margin still catches the cases that matter:
// a target narrower than OpenBLAS's kernels (sse2 against its AVX2 ones: 3× here), or a
// built-in tile the target does badly.
constexpr double kOpenBlasMargin = 0.6;

void ChooseGemm() {
  if (!openblas().found()) {
    set_gemm_impl(GemmImpl::Builtin);
    g_gemm_reason = "no OpenBLAS";
    return;
  }
  if (const char* forced = std::getenv("SCRATCHNET_GEMM")) {
    if (std::strcmp(forced, "openblas") == 0 || std::strcmp(forced, "builtin") == 0) {
      set_gemm_impl(std::strcmp(forced, "openblas") == 0 ? GemmImpl::OpenBlas : GemmImpl::Builtin);
      g_gemm_reason = "SCRATCHNET_GEMM";
      return;
    }
  }
  g_timing = measure_gemm(5);
  set_gemm_impl(g_timing.openblas_seconds < kOpenBlasMargin * g_timing.builtin_seconds ? GemmImpl::OpenBlas
                                                                                        : GemmImpl::Builtin);
  g_gemm_reason = "measured";
}

// setGemm('openblas' | 'builtin' | 'auto'): which SGEMM the convolution and affine kernels use
// (the benchmark and the tests compare them; 'auto' measures again, or follows SCRATCHNET_GEMM).
Napi::Value SetGemm(const Napi::CallbackInfo& info) {
  CheckArgCount(info, "setGemm", 1);
  const std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (name == "openblas" && !openblas().found()) {
    throw Napi::Error::New(info.Env(), "setGemm('openblas'): OpenBLAS was not found when the addon loaded (" + openblas().error +
                               "), so only the built-in SGEMM is available. Fix: sudo apt-get install -y libopenblas0, "
                               "then restart Node.js");
  } else if (name == "openblas" || name == "builtin") {
    set_gemm_impl(name == "openblas" ? GemmImpl::OpenBlas : GemmImpl::Builtin);
    g_gemm_reason = "setGemm";
  } else if (name == "auto") {
    ChooseGemm();
  } else {
    ThrowType(info.Env(), "setGemm: expected 'openblas', 'builtin' or 'auto' for 'name' but received " +
                              (info[0].IsString() ? "'" + name + "'" : TypeNameOf(info[0])));
  }
  return info.Env().Undefined();
}

// fmaPeak(seconds): this machine's FMA rate with this target's vectors on every pool thread.
Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  CheckArgCount(info, "fmaPeak", 1);
  const double seconds = NumberInRange(info, 0, "fmaPeak", "seconds", 0.01, 60.0, "[0.01, 60]");
  return Napi::Number::New(info.Env(), fma_peak_gflops(seconds));
}

}  // namespace

Napi::Object RegisterTarget(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  RegisterIm2col(env, o);
  RegisterConvolution(env, o);
  RegisterConvReluPool(env, o);
  RegisterConvRelu(env, o);
  RegisterConvChain(env, o);
  RegisterAffine(env, o);
  RegisterPooling(env, o);
  RegisterActivation(env, o);
  RegisterSoftmaxLoss(env, o);
  RegisterDropout(env, o);
  RegisterBatchNorm(env, o);
  RegisterElementwise(env, o);
  RegisterGather(env, o);
  RegisterAugment(env, o);
  RegisterOptimizers(env, o);
  Export(env, o, "info", Info);
  Export(env, o, "setGemm", SetGemm);
  Export(env, o, "fmaPeak", FmaPeak);
  // The GEMM is measured when JavaScript first builds a backend from this target
  // (setGemm('auto')), not here: a target nobody uses costs nothing at load.
  return o;
}

SN_END_TARGET
