// convChainForward
#include "kernels/conv_chain.h"

#include <cstdio>
#include <string>

#include "bindings/args.h"
#include "bindings/register.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

// A Float32Array field of layers[s] (`where`), exactly `expected` long. Messages are built only
// for errors: a valid call allocates nothing here.
const float* F32Field(Napi::Env env, const Napi::Object& o, const char* fn, const char* where, const char* field,
                      uint64_t expected) {
  const Napi::Value v = o.Get(field);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    ThrowType(env, std::string(fn) + ": expected Float32Array for '" + where + "." + field + "' but received " +
                       TypeNameOf(v));
  }
  auto arr = v.As<Napi::Float32Array>();
  if (uint64_t(arr.ElementLength()) != expected) {
    ThrowRange(env, std::string(fn) + ": '" + where + "." + field + "' must have " + std::to_string(expected) +
                        " elements for the sizes given, but has " + std::to_string(arr.ElementLength()));
  }
  return arr.Data();
}

// Layer s + 1 must read exactly what layer s writes: the same images, channels and size.
void CheckFollows(Napi::Env env, const char* fn, int64_t s, const ChainLayer& prev, const ChainLayer& next) {
  const int64_t c = prev.pooled ? prev.p.c : prev.g.f, h = prev.pooled ? prev.p.oh : prev.g.oh,
                w = prev.pooled ? prev.p.ow : prev.g.ow;
  if (next.g.n == prev.g.n && next.g.c == c && next.g.h == h && next.g.w == w) return;
  const std::string here = "layers[" + std::to_string(s) + "]", there = "layers[" + std::to_string(s + 1) + "]";
  ThrowRange(env, std::string(fn) + ": " + there + " must read what " + here + " writes, (" + std::to_string(prev.g.n) +
                      ", " + std::to_string(c) + ", " + std::to_string(h) + ", " + std::to_string(w) +
                      "), but its g describes an input of (" + std::to_string(next.g.n) + ", " +
                      std::to_string(next.g.c) + ", " + std::to_string(next.g.h) + ", " + std::to_string(next.g.w) +
                      "). Fix: pass consecutive layers of one network, each geometry built for the same batch.");
}

Napi::Value ConvChainForward(const Napi::CallbackInfo& info) {
  const char* fn = "convChainForward";
  Napi::Env env = info.Env();
  CheckArgCount(info, fn, 3);
  if (!info[1].IsArray()) {
    ThrowType(env, std::string(fn) + ": expected an Array of layers ({ w, b, g, p }) for 'layers' (argument 2) but received " +
                       TypeNameOf(info[1]));
  }
  const Napi::Array list = info[1].As<Napi::Array>();
  const int64_t count = int64_t(list.Length());
  if (count < 1 || count > kMaxChainLayers) {
    ThrowRange(env, std::string(fn) + ": 'layers' must hold 1 to " + std::to_string(kMaxChainLayers) +
                        " layers, received " + std::to_string(count) +
                        (count > kMaxChainLayers ? ". Fix: run the layers in several calls." : "."));
  }
  ChainLayer layers[kMaxChainLayers];
  for (int64_t s = 0; s < count; ++s) {
    // Names for the messages, on the stack: "layers[15]", "layers[15].g".
    char where[16], g_name[24], p_name[24];
    std::snprintf(where, sizeof where, "layers[%d]", int(s));
    std::snprintf(g_name, sizeof g_name, "%s.g", where);
    std::snprintf(p_name, sizeof p_name, "%s.p", where);
    const Napi::Value v = list.Get(uint32_t(s));
    if (!v.IsObject() || v.IsArray() || v.IsTypedArray()) {
      ThrowType(env, std::string(fn) + ": expected an object { w, b, g, p } for " + where + " but received " + TypeNameOf(v));
    }
    const Napi::Object o = v.As<Napi::Object>();
    ChainLayer& l = layers[s];
    l.g = ConvGeomFrom(env, o.Get("g"), fn, g_name);
    const Napi::Value pv = o.Get("p");
    l.pooled = !pv.IsNull() && !pv.IsUndefined();
    if (l.pooled) {
      l.p = PoolGeomFrom(env, pv, fn, p_name);
      CheckPoolOfConv(env, fn, l.g, l.p, where);
    }
    l.w = F32Field(env, o, fn, where, "w", uint64_t(l.g.f * l.g.ckk()));
    l.b = F32Field(env, o, fn, where, "b", uint64_t(l.g.f));
    if (s > 0) CheckFollows(env, fn, s - 1, layers[s - 1], l);
  }
  const ChainLayer& first = layers[0];
  const ChainLayer& last = layers[count - 1];
  const float* x = F32Arg(info, 0, fn, "x", uint64_t(first.g.n * first.g.c * first.g.h * first.g.w));
  const uint64_t out_len = last.pooled ? Product(env, fn, {last.p.n, last.p.c, last.p.oh, last.p.ow})
                                       : uint64_t(last.g.n * last.g.f * last.g.ohw());
  float* out = F32Arg(info, 2, fn, "out", out_len);
  conv_chain_forward(x, layers, count, out);
  return env.Undefined();
}

}  // namespace

void RegisterConvChain(Napi::Env env, Napi::Object exports) { Export(env, exports, "convChainForward", ConvChainForward); }

SN_END_TARGET
