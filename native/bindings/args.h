// Argument checking shared by every binding. The addon trusts nothing it is handed: every
// array's type and length and every size is checked here before a kernel touches memory, and
// each failure is a JavaScript TypeError or RangeError that names the function, the argument,
// what was expected and what came.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

namespace sn {

// Largest element count any one array may have (the kernels index with int64/size_t, but
// GEMM takes int dimensions, so keep every product well inside int32).
constexpr uint64_t kMaxElements = (uint64_t(1) << 31) - 1;

struct F32 {
  float* data;
  size_t length;
};

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
  if (v.IsNumber()) return "number " + std::to_string(v.As<Napi::Number>().DoubleValue());
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

// A typed array of the given kind with exactly `expected` elements.
template <typename T, napi_typedarray_type Kind>
inline T* TypedArg(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name,
                   const char* kindName, uint64_t expected) {
  Napi::Value v = info[idx];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != Kind) {
    ThrowType(info.Env(), std::string(fn) + ": expected " + kindName + " for '" + name + "' (argument " +
                              std::to_string(idx + 1) + ") but received " + TypeNameOf(v));
  }
  auto arr = v.As<Napi::TypedArrayOf<T>>();
  if (uint64_t(arr.ElementLength()) != expected) {
    ThrowRange(info.Env(), std::string(fn) + ": '" + name + "' must have " + std::to_string(expected) +
                               " elements for the sizes given, but has " + std::to_string(arr.ElementLength()));
  }
  return arr.Data();
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
inline uint8_t* U8Arg(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name, uint64_t expected) {
  return TypedArg<uint8_t, napi_uint8_array>(info, idx, fn, name, "Uint8Array", expected);
}

// A finite number.
inline double NumberArg(Napi::Env env, const Napi::Value& v, const char* fn, const char* name) {
  if (!v.IsNumber()) ThrowType(env, std::string(fn) + ": expected a number for '" + name + "' but received " + TypeNameOf(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) ThrowRange(env, std::string(fn) + ": '" + name + "' must be finite, received " + std::to_string(d));
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

inline Napi::Object ObjectArg(const Napi::CallbackInfo& info, size_t idx, const char* fn, const char* name) {
  if (!info[idx].IsObject() || info[idx].IsTypedArray() || info[idx].IsArray()) {
    ThrowType(info.Env(), std::string(fn) + ": expected a geometry object for '" + name + "' but received " +
                              TypeNameOf(info[idx]));
  }
  return info[idx].As<Napi::Object>();
}

// An integer field of a geometry object, e.g. g.kh, named "g.kh" in errors.
inline int64_t IntField(Napi::Env env, const Napi::Object& o, const char* fn, const char* objName, const char* field,
                        int64_t min, int64_t max = 1 << 24) {
  std::string name = std::string(objName) + "." + field;
  return IntArg(env, o.Get(field), fn, name.c_str(), min, max);
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

}  // namespace sn
