// gatherBytes
#include "kernels/gather.h"

#include <vector>

#include "bindings/args.h"
#include "bindings/register.h"

namespace sn {
namespace {

Napi::Value GatherBytes(const Napi::CallbackInfo& info) {
  const char* fn = "gatherBytes";
  CheckArgCount(info, fn, 7);
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowType(env, std::string(fn) + ": expected Uint8Array for 'src' (argument 1) but received " + TypeNameOf(info[0]));
  }
  auto src = info[0].As<Napi::Uint8Array>();
  const int64_t row_length = IntArg(info, 1, fn, "rowLength", 1);
  const int64_t count = int64_t(src.ElementLength()) / row_length;
  if (count * row_length != int64_t(src.ElementLength())) {
    ThrowRange(env, std::string(fn) + ": 'src' has " + std::to_string(src.ElementLength()) +
                        " bytes, not a whole number of rows of rowLength " + std::to_string(row_length) + ".");
  }
  const int64_t start = IntArg(info, 3, fn, "start", 0);
  const int64_t end = IntArg(info, 4, fn, "end", start);
  const double divisor = NumberArg(info, 5, fn, "divisor");
  if (!(divisor > 0)) ThrowRange(env, std::string(fn) + ": 'divisor' must be > 0, received " + FormatNumber(divisor));
  const int64_t n = end - start;
  // rows: null for rows start..end−1, else an Int32Array whose [start, end) entries are row numbers.
  std::vector<int32_t> identity;
  const int32_t* rows = nullptr;
  if (info[2].IsNull()) {
    if (end > count) {
      ThrowRange(env, std::string(fn) + ": 'end' " + std::to_string(end) + " is past the " + std::to_string(count) +
                          " rows of src.");
    }
    identity.resize(size_t(n));
    for (int64_t s = 0; s < n; ++s) identity[size_t(s)] = int32_t(start + s);
    rows = identity.data();
  } else {
    if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      ThrowType(env, std::string(fn) + ": expected Int32Array or null for 'rows' (argument 3) but received " +
                         TypeNameOf(info[2]));
    }
    auto r = info[2].As<Napi::Int32Array>();
    if (end > int64_t(r.ElementLength())) {
      ThrowRange(env, std::string(fn) + ": 'end' " + std::to_string(end) + " is past the " +
                          std::to_string(r.ElementLength()) + " entries of rows.");
    }
    rows = r.Data() + start;
    for (int64_t s = 0; s < n; ++s) {
      if (rows[s] < 0 || rows[s] >= count) {
        ThrowRange(env, std::string(fn) + ": rows[" + std::to_string(start + s) + "] = " + std::to_string(rows[s]) +
                            " is not a row of src (0 to " + std::to_string(count - 1) + ").");
      }
    }
  }
  if (!info[6].IsTypedArray() || info[6].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    ThrowType(env, std::string(fn) + ": expected Float32Array for 'out' (argument 7) but received " + TypeNameOf(info[6]));
  }
  auto out = info[6].As<Napi::Float32Array>();
  if (uint64_t(out.ElementLength()) != uint64_t(n * row_length)) {
    ThrowRange(env, std::string(fn) + ": 'out' must have " + std::to_string(n * row_length) + " elements (" +
                        std::to_string(n) + " rows of " + std::to_string(row_length) + "), but has " +
                        std::to_string(out.ElementLength()));
  }
  gather_bytes(src.Data(), row_length, rows, n, divisor, out.Data());
  return env.Undefined();
}

}  // namespace

void RegisterGather(Napi::Env env, Napi::Object exports) { Export(env, exports, "gatherBytes", GatherBytes); }

}  // namespace sn
