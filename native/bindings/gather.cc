// gatherBytes
#include "kernels/gather.h"

#include "bindings/args.h"
#include "bindings/register.h"
#include "bindings/rows.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

Napi::Value GatherBytes(const Napi::CallbackInfo& info) {
  const char* fn = "gatherBytes";
  CheckArgCount(info, fn, 7);
  Napi::Env env = info.Env();
  uint64_t src_length = 0;
  const uint8_t* src = TypedArgAnyLength<uint8_t, napi_uint8_array>(info, 0, fn, "src", "Uint8Array", &src_length);
  const int64_t row_length = IntArg(info, 1, fn, "rowLength", 1);
  const int64_t count = int64_t(src_length) / row_length;
  if (uint64_t(count * row_length) != src_length) {
    ThrowRange(env, std::string(fn) + ": 'src' has " + std::to_string(src_length) +
                        " bytes, not a whole number of rows of rowLength " + std::to_string(row_length) +
                        ". Fix: pass the values per sample as rowLength (784 for MNIST images).");
  }
  const int64_t start = IntArg(info, 3, fn, "start", 0);
  const int64_t end = IntArg(info, 4, fn, "end", start);
  const double divisor = NumberArg(info, 5, fn, "divisor");
  if (!(divisor > 0)) {
    ThrowRange(env, std::string(fn) + ": 'divisor' must be > 0, received " + FormatNumber(divisor) +
                        ". Fix: 255 scales bytes to [0, 1], 1 keeps them as they are.");
  }
  const int64_t n = end - start;
  const int32_t* rows = RowsArg(info, 2, fn, start, end, count, "row");
  uint64_t out_length = 0;
  float* out = TypedArgAnyLength<float, napi_float32_array>(info, 6, fn, "out", "Float32Array", &out_length);
  if (out_length != uint64_t(n * row_length)) {
    ThrowRange(env, std::string(fn) + ": 'out' must have " + std::to_string(n * row_length) + " elements (" +
                        std::to_string(n) + " rows of " + std::to_string(row_length) + "), but has " +
                        std::to_string(out_length) + ". Fix: pass a subarray of exactly that length.");
  }
  gather_bytes(src, row_length, rows, start, n, divisor, out);
  return env.Undefined();
}

}  // namespace

void RegisterGather(Napi::Env env, Napi::Object exports) { Export(env, exports, "gatherBytes", GatherBytes); }

SN_END_TARGET
