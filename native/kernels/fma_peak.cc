#include "kernels/fma_peak.h"

#include <chrono>
#include <cstdint>

#include "kernels/threadpool.h"
#include "simd/vec.h"

SN_BEGIN_TARGET

namespace {

// Enough independent chains to cover FMA latency × FMA ports (4 cycles × 2 ports on every
// AVX2/AVX-512 core of the last decade), within the register file.
#if defined(SN_TARGET_AVX512) || defined(__aarch64__)
constexpr int kChains = 16;
#else
constexpr int kChains = 12;
#endif

// acc ← acc·m + a converges to a/(1 − m): no overflow, no denormals, nothing the compiler can fold.
float run_chains(int64_t iterations) {
  V acc[kChains];
  SN_UNROLL
  for (int c = 0; c < kChains; ++c) acc[c] = vset1(float(c));
  V m = vset1(0.999f), a = vset1(0.001f);
  pin(m);
  pin(a);
  for (int64_t it = 0; it < iterations; ++it) {
    SN_UNROLL
    for (int c = 0; c < kChains; ++c) acc[c] = vfma(acc[c], m, a);
  }
  V s = acc[0];
  SN_UNROLL
  for (int c = 1; c < kChains; ++c) s = vadd(s, acc[c]);
  return vsum(s);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

double fma_peak_gflops(double seconds) {
  const double flops_per_iteration = 2.0 * kChains * W;
  // Size the run from a short one on this thread, then time every thread doing it at once.
  int64_t probe = 1 << 16;
  volatile float sink = 0.0f;
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    sink = sink + run_chains(probe);
    if (seconds_since(t0) > 0.01 || probe > (int64_t(1) << 40)) {
      const double rate = double(probe) / seconds_since(t0);
      const int threads = num_threads();
      const int64_t iterations = std::max<int64_t>(int64_t(rate * seconds), 1);
      float sums[kMaxThreads] = {};
      const auto t1 = std::chrono::steady_clock::now();
      parallel_for(threads, [&](int64_t b, int64_t e, int) {
        for (int64_t t = b; t < e; ++t) sums[t] = run_chains(iterations);
      });
      const double elapsed = seconds_since(t1);
      for (int t = 0; t < threads; ++t) sink = sink + sums[t];
      return double(threads) * double(iterations) * flops_per_iteration / elapsed / 1e9;
    }
    probe *= 4;
  }
}

SN_END_TARGET
