// augmentBytes
#include "kernels/augment.h"

#include <cmath>

#include "bindings/args.h"
#include "bindings/register.h"
#include "bindings/rows.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

// The elastic kernel's radius limit: σ up to ~40 px at 3σ, far past any useful distortion, and
// it bounds the per-thread scratch.
constexpr int64_t kMaxTaps = 257;

// Every value finite: a NaN coefficient would be harmless to memory (the kernel treats it as
// fill) but is always a caller's bug.
void CheckFinite(Napi::Env env, const char* fn, const char* name, const float* v, uint64_t len, const char* fix) {
  for (uint64_t i = 0; i < len; ++i) {
    if (!std::isfinite(v[i])) {
      ThrowRange(env, std::string(fn) + ": '" + name + "'[" + std::to_string(i) + "] is " + FormatNumber(v[i]) +
                          "; every entry must be finite. " + fix);
    }
  }
}

Napi::Value AugmentBytes(const Napi::CallbackInfo& info) {
  const char* fn = "augmentBytes";
  CheckArgCount(info, fn, 13);
  Napi::Env env = info.Env();
  uint64_t src_length = 0;
  const uint8_t* src = TypedArgAnyLength<uint8_t, napi_uint8_array>(info, 0, fn, "src", "Uint8Array", &src_length);
  const int64_t c = IntArg(info, 1, fn, "c", 1);
  const int64_t h = IntArg(info, 2, fn, "h", 1);
  const int64_t w = IntArg(info, 3, fn, "w", 1);
  const int64_t row_length = int64_t(Product(env, fn, {c, h, w}));
  const int64_t count = int64_t(src_length) / row_length;
  if (uint64_t(count * row_length) != src_length) {
    ThrowRange(env, std::string(fn) + ": 'src' has " + std::to_string(src_length) +
                        " bytes, not a whole number of images of c·h·w = " + std::to_string(row_length) +
                        ". Fix: pass the image shape (1, 28, 28 for MNIST) as c, h, w.");
  }
  const int64_t start = IntArg(info, 5, fn, "start", 0);
  const int64_t end = IntArg(info, 6, fn, "end", start);
  const int64_t n = end - start;
  const int32_t* rows = RowsArg(info, 4, fn, start, end, count, "image");
  const double divisor = NumberArg(info, 7, fn, "divisor");
  if (!(divisor > 0)) {
    ThrowRange(env, std::string(fn) + ": 'divisor' must be > 0, received " + FormatNumber(divisor) +
                        ". Fix: 255 scales bytes to [0, 1], 1 keeps them as they are.");
  }
  const float* affine = F32Arg(info, 8, fn, "affine", Product(env, fn, {n, 6}));
  CheckFinite(env, fn, "affine", affine, uint64_t(n * 6),
              "Fix: build the rows with lib/data/augment.ts (identity: 1, 0, 0, 0, 1, 0).");
  uint64_t ntaps = 0;
  const float* taps = TypedArgAnyLength<float, napi_float32_array>(info, 9, fn, "taps", "Float32Array", &ntaps);
  if (ntaps > 0 && (ntaps % 2 == 0 || ntaps > uint64_t(kMaxTaps))) {
    ThrowRange(env, std::string(fn) + ": 'taps' must have an odd number of entries up to " + std::to_string(kMaxTaps) +
                        " (2r + 1, a kernel centred on its middle entry), or none for no elastic distortion; it has " +
                        std::to_string(ntaps) + ". Fix: build it with gaussianTaps (lib/data/augment.ts).");
  }
  CheckFinite(env, fn, "taps", taps, ntaps, "Fix: build it with gaussianTaps (lib/data/augment.ts).");
  if (ntaps > 0) Product(env, fn, {h + int64_t(ntaps), w + int64_t(ntaps)});
  const double alpha = NumberArg(info, 10, fn, "alpha");
  if (alpha < 0) {
    ThrowRange(env, std::string(fn) + ": 'alpha' must be ≥ 0, received " + FormatNumber(alpha) +
                        ". Fix: the elastic strength in pixels per unit of smoothed noise (Simard et al.: 34).");
  }
  const uint32_t key = Uint32Arg(info, 11, fn, "key");
  uint64_t out_length = 0;
  float* out = TypedArgAnyLength<float, napi_float32_array>(info, 12, fn, "out", "Float32Array", &out_length);
  if (out_length != uint64_t(n * row_length)) {
    ThrowRange(env, std::string(fn) + ": 'out' must have " + std::to_string(n * row_length) + " elements (" +
                        std::to_string(n) + " images of " + std::to_string(row_length) + "), but has " +
                        std::to_string(out_length) + ". Fix: pass a subarray of exactly that length.");
  }
  augment_bytes(src, c, h, w, rows, start, n, divisor, affine, taps, int64_t(ntaps), alpha, key, out);
  return env.Undefined();
}

}  // namespace

void RegisterAugment(Napi::Env env, Napi::Object exports) { Export(env, exports, "augmentBytes", AugmentBytes); }

SN_END_TARGET
