// Argument checking shared by every binding. The addon trusts nothing it is handed: every
// array's type and length and every size is checked here before a kernel touches memory, and
// each failure is a JavaScript TypeError or RangeError that names the function, the argument,
// what was expected and what came.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <new>
#include <stdexcept>
#include <string>

#include "kernels/geometry.h"

namespace sn {

// Largest element count any one array may have (the kernels index with int64/size_t, but
// GEMM takes int dimensions, so keep every product well inside int32).
constexpr uint64_t kMaxElements = (uint64_t(1) << 31) - 1;

struct F32 {
  float* data;
  size_t length;
};

// A number as JavaScript would print it for these messages: 3, -1, 0.5, NaN (not 3.000000).
inline std::string FormatNumber(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  return buf;
}

inline std::string TypeNameOf(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_int8_array: return "Int8Array";
      case napi_uint8_array: return "Uint8Array";
      case napi_uint8_clamped_array: return "Uint8ClampedArray";
      case napi_int16_array: return "Int16Array";
      case napi_uint16_array: return "Uint16Array";
      case napi_int32_array: return "Int32Array";
      case napi_uint32_array: return "Uint32Array";
      case napi_float32_array: return "Float32Array";
      case napi_float64_array: return "Float64Array";
      case napi_bigint64_array: return "BigInt64Array";
      case napi_biguint64_array: return "BigUint64Array";
      default: return "a typed array";
    }
  }
  if (v.IsArray()) return "Array";
  if (v.IsNumber()) return "number " + FormatNumber(v.As<Napi::Number>().DoubleValue());
  if (v.IsString()) return "string";
  if (v.IsBoolean()) return "boolean";
  if (v.IsFunction()) return "function";
  if (v.IsObject()) return "object";
  return "a value of another type";
}

[[noreturn]] inline void ThrowType(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}
[[noreturn]] inline void ThrowRange(Napi::Env env, const std::string& msg) {
  throw Napi::RangeError::New(env, msg);
}

inline void CheckArgCount(const Napi::CallbackInfo& info, const char* fn, size_t n) {
  if (info.Length() < n) {
    ThrowType(info.Env(), std::string(fn) + ": expected " + std::to_string(n) + " arguments, received " +
                              std::to_string(info.Length()));
  }
}

// A typed array of the given kind, of any length (stored in *length).
template <typename T, napi_typedarray_type Kind>
inline T* TypedArgAnyLength(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name,
                            const char* kindName, uint64_t* length) {
  Napi::Value v = info[idx];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != Kind) {
    ThrowType(info.Env(), std::string(fn) + ": expected " + kindName + " for '" + name + "' (argument " +
                              std::to_string(idx + 1) + ") but received " + TypeNameOf(v));
  }
  auto arr = v.As<Napi::TypedArrayOf<T>>();
  *length = uint64_t(arr.ElementLength());
  return arr.Data();
}

// A typed array of the given kind with exactly `expected` elements.
template <typename T, napi_typedarray_type Kind>
inline T* TypedArg(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name,
                   const char* kindName, uint64_t expected) {
  uint64_t length = 0;
  T* data = TypedArgAnyLength<T, Kind>(info, idx, fn, name, kindName, &length);
  if (length != expected) {
    ThrowRange(info.Env(), std::string(fn) + ": '" + name + "' must have " + std::to_string(expected) +
                               " elements for the sizes given, but has " + std::to_string(length));
  }
  return data;
}

inline float* F32Arg(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name, uint64_t expected) {
  return TypedArg<float, napi_float32_array>(info, idx, fn, name, "Float32Array", expected);
}
// Same, but `null` is allowed (an optional output such as a skipped input gradient).
inline float* F32ArgOrNull(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name,
                           uint64_t expected) {
  if (info[idx].IsNull()) return nullptr;
  return F32Arg(info, idx, fn, name, expected);
}
inline int32_t* I32Arg(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name, uint64_t expected) {
  return TypedArg<int32_t, napi_int32_array>(info, idx, fn, name, "Int32Array", expected);
}
// Same, but `null` is allowed (the winners' positions that inference does not keep).
inline int32_t* I32ArgOrNull(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name,
                             uint64_t expected) {
  if (info[idx].IsNull()) return nullptr;
  return I32Arg(info, idx, fn, name, expected);
}
inline uint8_t* U8Arg(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name, uint64_t expected) {
  return TypedArg<uint8_t, napi_uint8_array>(info, idx, fn, name, "Uint8Array", expected);
}

// A finite number.
inline double NumberArg(Napi::Env env, const Napi::Value& v, const char* fn, const char* name) {
  if (!v.IsNumber()) ThrowType(env, std::string(fn) + ": expected a number for '" + name + "' but received " + TypeNameOf(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) ThrowRange(env, std::string(fn) + ": '" + name + "' must be finite, received " + FormatNumber(d));
  return d;
}
inline double NumberArg(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name) {
  return NumberArg(info.Env(), info[idx], fn, name);
}

// An integer in [min, max].
inline int64_t IntArg(Napi::Env env, const Napi::Value& v, const char* fn, const char* name, int64_t min,
                      int64_t max = int64_t(kMaxElements)) {
  if (!v.IsNumber()) {
    ThrowType(env, std::string(fn) + ": expected an integer for '" + name + "' but received " + TypeNameOf(v));
  }
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < double(min) || d > double(max)) {
    ThrowRange(env, std::string(fn) + ": '" + name + "' must be an integer in [" + std::to_string(min) + ", " +
                        std::to_string(max) + "], received " + TypeNameOf(v).substr(7));
  }
  return int64_t(d);
}
inline int64_t IntArg(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name, int64_t min,
                      int64_t max = int64_t(kMaxElements)) {
  return IntArg(info.Env(), info[idx], fn, name, min, max);
}

inline bool BoolArg(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name) {
  if (!info[idx].IsBoolean()) {
    ThrowType(info.Env(), std::string(fn) + ": expected a boolean for '" + name + "' but received " + TypeNameOf(info[idx]));
  }
  return info[idx].As<Napi::Boolean>().Value();
}

inline Napi::Object ObjectFrom(Napi::Env env, const Napi::Value& v, const char* fn, const char* name) {
  if (!v.IsObject() || v.IsTypedArray() || v.IsArray()) {
    ThrowType(env, std::string(fn) + ": expected a geometry object for '" + name + "' but received " + TypeNameOf(v));
  }
  return v.As<Napi::Object>();
}
inline Napi::Object ObjectArg(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name) {
  return ObjectFrom(info.Env(), info[idx], fn, name);
}

// An integer field of a geometry object, e.g. g.kh, named "g.kh" in errors.
inline int64_t IntField(Napi::Env env, const Napi::Object& o, const char* fn, const char* objName, const char* field,
                        int64_t min, int64_t max = 1 << 24) {
  const Napi::Value v = o.Get(field);
  // The usual case decides without building the name: messages are made only for errors.
  if (v.IsNumber()) {
    const double d = v.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && std::floor(d) == d && d >= double(min) && d <= double(max)) return int64_t(d);
  }
  const std::string name = std::string(objName) + "." + field;
  return IntArg(env, v, fn, name.c_str(), min, max);
}

// Product of sizes with an overflow guard: throws when the buffer would exceed kMaxElements.
inline uint64_t Product(Napi::Env env, const char* fn, std::initializer_list<int64_t> dims) {
  uint64_t p = 1;
  for (int64_t d : dims) {
    if (d < 0) ThrowRange(env, std::string(fn) + ": negative size");
    if (d != 0 && p > kMaxElements / uint64_t(d)) {
      ThrowRange(env, std::string(fn) + ": the sizes given describe a buffer of more than " +
                          std::to_string(kMaxElements) + " elements");
    }
    p *= uint64_t(d);
  }
  return p;
}

// A finite number in [lo, hi], e.g. a learning rate or a decay rate; `range` is printed as the allowed interval.
inline double NumberInRange(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name, double lo,
                            double hi, const char* range) {
  double d = NumberArg(info, idx, fn, name);
  if (d < lo || d > hi) {
    ThrowRange(info.Env(), std::string(fn) + ": '" + name + "' must be in " + range + ", received " +
                               TypeNameOf(info[idx]).substr(7));
  }
  return d;
}

// A JS number taken as uint32 (dropout seeds and counters): an integer in [0, 2^32 − 1].
inline uint32_t Uint32Arg(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name) {
  return uint32_t(IntArg(info, idx, fn, name, 0, int64_t(UINT32_MAX)));
}

// One spatial output size must be floor((in + 2·pad − k) / stride) + 1, as the book and PyTorch
// compute it (rows and columns past the last whole window are not read): the kernels index with
// it, so an inconsistent geometry would read or write outside the arrays.
inline void CheckOutputSize(Napi::Env env, const char* fn, const char* axis, const char* outField, int64_t in,
                            int64_t k, int64_t stride, int64_t pad, int64_t out, const char* obj = "g") {
  int64_t span = in + 2 * pad - k;
  if (span >= 0 && span / stride + 1 == out) return;
  std::string formula = std::string("floor((") + std::to_string(in) + " + 2·" + std::to_string(pad) + " − " +
                        std::to_string(k) + ") / " + std::to_string(stride) + ") + 1";
  if (span < 0) {
    ThrowRange(env, std::string(fn) + ": the geometry is inconsistent: the " + axis + " window (" + std::to_string(k) +
                        ") is larger than the padded input (" + std::to_string(in) + " + 2·" + std::to_string(pad) +
                        "). Fix: build the geometry with convGeometry/poolGeometry "
                        "(lib/tensor/shape.ts), which explain what to change.");
  }
  ThrowRange(env, std::string(fn) + ": the geometry is inconsistent: " + obj + "." + outField + " must be " + formula +
                      " = " + std::to_string(span / stride + 1) + ", received " + std::to_string(out) +
                      ". Fix: build the geometry with convGeometry/poolGeometry (lib/tensor/shape.ts).");
}

inline ConvGeom ConvGeomFrom(Napi::Env env, const Napi::Value& v, const char* fn, const char* obj) {
  Napi::Object o = ObjectFrom(env, v, fn, obj);
  ConvGeom g;
  g.n = IntField(env, o, fn, obj, "n", 1);
  g.c = IntField(env, o, fn, obj, "c", 1);
  g.h = IntField(env, o, fn, obj, "h", 1);
  g.w = IntField(env, o, fn, obj, "w", 1);
  g.f = IntField(env, o, fn, obj, "f", 1);
  g.kh = IntField(env, o, fn, obj, "kh", 1);
  g.kw = IntField(env, o, fn, obj, "kw", 1);
  g.stride = IntField(env, o, fn, obj, "stride", 1);
  g.pad = IntField(env, o, fn, obj, "pad", 0);
  g.oh = IntField(env, o, fn, obj, "oh", 1);
  g.ow = IntField(env, o, fn, obj, "ow", 1);
  CheckOutputSize(env, fn, "height", "oh", g.h, g.kh, g.stride, g.pad, g.oh, obj);
  CheckOutputSize(env, fn, "width", "ow", g.w, g.kw, g.stride, g.pad, g.ow, obj);
  // Every buffer the convolution touches must be addressable (and each GEMM dimension an int).
  Product(env, fn, {g.n, g.c, g.h, g.w});
  Product(env, fn, {g.n, g.c, g.kh, g.kw, g.oh, g.ow});
  Product(env, fn, {g.n, g.f, g.oh, g.ow});
  Product(env, fn, {g.f, g.c, g.kh, g.kw});
  return g;
}
inline ConvGeom ConvGeomArg(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* obj = "g") {
  return ConvGeomFrom(info.Env(), info[idx], fn, obj);
}

inline PoolGeom PoolGeomFrom(Napi::Env env, const Napi::Value& v, const char* fn, const char* obj) {
  Napi::Object o = ObjectFrom(env, v, fn, obj);
  PoolGeom g;
  g.n = IntField(env, o, fn, obj, "n", 1);
  g.c = IntField(env, o, fn, obj, "c", 1);
  g.h = IntField(env, o, fn, obj, "h", 1);
  g.w = IntField(env, o, fn, obj, "w", 1);
  g.ph = IntField(env, o, fn, obj, "ph", 1);
  g.pw = IntField(env, o, fn, obj, "pw", 1);
  g.stride = IntField(env, o, fn, obj, "stride", 1);
  g.pad = IntField(env, o, fn, obj, "pad", 0);
  g.oh = IntField(env, o, fn, obj, "oh", 1);
  g.ow = IntField(env, o, fn, obj, "ow", 1);
  if (g.pad >= g.ph || g.pad >= g.pw) {
    ThrowRange(env, std::string(fn) + ": " + obj + ".pad (" + std::to_string(g.pad) + ") must be smaller than the window " +
                        std::to_string(g.ph) + "×" + std::to_string(g.pw) +
                        ", or a window could lie entirely in the padding. Fix: pad at most " +
                        std::to_string((g.ph < g.pw ? g.ph : g.pw) - 1) + ".");
  }
  CheckOutputSize(env, fn, "height", "oh", g.h, g.ph, g.stride, g.pad, g.oh, obj);
  CheckOutputSize(env, fn, "width", "ow", g.w, g.pw, g.stride, g.pad, g.ow, obj);
  Product(env, fn, {g.n, g.c, g.h, g.w});
  Product(env, fn, {g.n, g.c, g.oh, g.ow});
  return g;
}
inline PoolGeom PoolGeomArg(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* obj = "g") {
  return PoolGeomFrom(info.Env(), info[idx], fn, obj);
}

// A fused block's pooling must read exactly its convolution's output map. `where` prefixes the
// fields' names (e.g. "layers[2]" for layers[2].p.n).
inline void CheckPoolOfConv(Napi::Env env, const char* fn, const ConvGeom& g, const PoolGeom& p,
                            const char* where = "") {
  const struct {
    const char* pool_field;
    int64_t pool_value;
    const char* conv_field;
    int64_t conv_value;
  } pairs[] = {{"p.n", p.n, "g.n", g.n}, {"p.c", p.c, "g.f", g.f}, {"p.h", p.h, "g.oh", g.oh}, {"p.w", p.w, "g.ow", g.ow}};
  for (const auto& q : pairs) {
    if (q.pool_value != q.conv_value) {
      const std::string at = *where ? std::string(where) + "." : "";
      ThrowRange(env, std::string(fn) + ": the pooling geometry must describe the convolution's output, but " + at +
                          q.pool_field + " is " + std::to_string(q.pool_value) + " and " + at + q.conv_field + " is " +
                          std::to_string(q.conv_value) + ". Fix: build p from (g.n, g.f, g.oh, g.ow).");
    }
  }
}

inline BatchNormGeom BatchNormGeomArg(const Napi::CallbackInfo& info, size_t idx, const char* fn) {
  Napi::Env env = info.Env();
  Napi::Object o = ObjectArg(info, idx, fn, "g");
  BatchNormGeom g;
  g.n = IntField(env, o, fn, "g", "n", 1, int64_t(kMaxElements));
  g.c = IntField(env, o, fn, "g", "c", 1, int64_t(kMaxElements));
  g.s = IntField(env, o, fn, "g", "s", 1, int64_t(kMaxElements));
  Product(env, fn, {g.n, g.c, g.s});
  return g;
}

// Softmax labels: Int32Array of n class indices, each checked to lie in [0, k), or a
// Float32Array target distribution of n·k values. Exactly one pointer is set.
struct LabelsView {
  const int32_t* index = nullptr;
  const float* dense = nullptr;
};
inline LabelsView LabelsArg(const Napi::CallbackInfo& info, size_t idx, const char* fn, int64_t n, int64_t k) {
  Napi::Value v = info[idx];
  LabelsView l;
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    l.index = I32Arg(info, idx, fn, "labels", uint64_t(n));
    for (int64_t i = 0; i < n; ++i) {
      if (l.index[i] < 0 || l.index[i] >= k) {
        ThrowRange(info.Env(), std::string(fn) + ": 'labels' must hold class indices in [0, " + std::to_string(k) +
                                   "), but labels[" + std::to_string(i) + "] is " + std::to_string(l.index[i]) +
                                   ". Fix: check the label data, or k (the number of classes).");
      }
    }
  } else if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
    l.dense = F32Arg(info, idx, fn, "labels", Product(info.Env(), fn, {n, k}));
  } else {
    ThrowType(info.Env(), std::string(fn) + ": expected Int32Array (class indices) or Float32Array (one-hot, n·k) for "
                                            "'labels' (argument " + std::to_string(idx + 1) + ") but received " +
                              TypeNameOf(v));
  }
  return l;
}

// Total bytes of the typed arrays among a call's arguments: the scale of the memory the kernel
// works on, which an out-of-memory message reports.
inline uint64_t ArgumentBytes(const Napi::CallbackInfo& info) {
  uint64_t bytes = 0;
  for (size_t i = 0; i < info.Length(); ++i) {
    if (info[i].IsTypedArray()) bytes += uint64_t(info[i].As<Napi::TypedArray>().ByteLength());
  }
  return bytes;
}

inline std::string FormatBytes(uint64_t bytes) {
  char buf[32];
  if (bytes >= 1000000000ull) std::snprintf(buf, sizeof buf, "%.1f GB", double(bytes) / 1e9);
  else if (bytes >= 1000000ull) std::snprintf(buf, sizeof buf, "%.1f MB", double(bytes) / 1e6);
  else std::snprintf(buf, sizeof buf, "%.1f kB", double(bytes) / 1e3);
  return buf;
}

// Adds fn to the exports under its JavaScript name. Every export runs inside this guard, the one
// place where C++ allocation failures are mapped: a kernel whose scratch memory cannot be had
// throws std::bad_alloc, which unhandled would abort the whole process (SIGABRT) — it becomes a
// JavaScript RangeError naming the kernel and the size of the data it was given instead.
inline void Export(Napi::Env env, Napi::Object exports, const char* name, Napi::Function::Callback cb) {
  exports.Set(name, Napi::Function::New(
                        env,
                        [cb, name](const Napi::CallbackInfo& info) -> Napi::Value {
                          try {
                            return cb(info);
                          } catch (const std::bad_alloc&) {
                            ThrowRange(info.Env(), std::string(name) +
                                                       ": out of memory: the kernel could not allocate its working memory "
                                                       "for arguments totalling " +
                                                       FormatBytes(ArgumentBytes(info)) +
                                                       ". Fix: use a smaller batch size or a smaller model, or free memory "
                                                       "(raise the process's memory limit).");
                          } catch (const std::length_error&) {
                            ThrowRange(info.Env(), std::string(name) + ": a buffer for arguments totalling " +
                                                       FormatBytes(ArgumentBytes(info)) +
                                                       " would exceed what C++ can allocate. Fix: use a smaller batch size or model.");
                          }
                        },
                        name));
}

}  // namespace sn
