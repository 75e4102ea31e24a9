#include "kernels/gemm_measure.h"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <vector>

#include "blas/openblas.h"
#include "kernels/gemm.h"
#include "kernels/gemm_choice.h"

SN_BEGIN_TARGET

namespace {

// op(A)·op(B) shapes as the kernels call them, one thread's share at batch 100:
struct Shape {
  bool ta, tb;
  int64_t m, n, k;
};
constexpr Shape kShapes[] = {
    {false, false, 30, 576, 25},    // SimpleConvNet conv forward, one image (w · col)
    {false, false, 16, 100, 150},   // LeNet5 conv2 forward
    {false, false, 16, 784, 144},   // DeepConvNet 16 → 16 channels at 28×28
    {false, false, 64, 49, 576},    // DeepConvNet 64 channels at 7×7
    {true, false, 144, 784, 16},    // DeepConvNet dcol = wᵀ · dout
    {true, false, 576, 49, 64},
    {false, false, 50, 100, 4320},  // SimpleConvNet Affine 4320 → 100, half the batch
    {true, false, 2160, 100, 100},  // its weight gradient, half the rows
    {false, true, 100, 2160, 100},  // its input gradient, half the columns
};

// The calling thread's CPU time, in seconds. Wall-clock time counted the time slices other
// processes took from this thread: on a loaded 2-core machine a pass measured anything from 2.3
// to 12 ms, and 3 runs in 12 chose the other GEMM, so the same seed gave other bits. Both GEMMs
// run on this one thread here (OpenBLAS is single-threaded in scratchnet), so its CPU time is
// their cost.
double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double time_pass(GemmImpl impl, std::vector<float>& a, std::vector<float>& b, std::vector<float>& c) {
  set_gemm_impl(impl);
  const double t0 = thread_seconds();
  for (const Shape& s : kShapes) {
    const int64_t lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
    sgemm(s.ta, s.tb, s.m, s.n, s.k, a.data(), lda, b.data(), ldb, false, c.data(), s.n);
  }
  return thread_seconds() - t0;
}

}  // namespace

GemmTiming measure_gemm(int repeats) {
  size_t a_size = 0, b_size = 0, c_size = 0;
  for (const Shape& s : kShapes) {
    a_size = std::max<size_t>(a_size, size_t(s.m * s.k));
    b_size = std::max<size_t>(b_size, size_t(s.k * s.n));
    c_size = std::max<size_t>(c_size, size_t(s.m * s.n));
  }
  std::vector<float> a(a_size), b(b_size), c(c_size);
  for (size_t i = 0; i < a_size; ++i) a[i] = float(int(i % 17) - 8) * 0.01f;
  for (size_t i = 0; i < b_size; ++i) b[i] = float(int(i % 13) - 6) * 0.01f;
  const GemmImpl before = gemm_impl();
  GemmTiming t{1e30, 1e30};
  // Alternating, best of each: a noisy neighbour slows both alike.
  for (int r = 0; r < std::max(repeats, 1); ++r) {
    t.builtin_seconds = std::min(t.builtin_seconds, time_pass(GemmImpl::Builtin, a, b, c));
    if (openblas().found()) t.openblas_seconds = std::min(t.openblas_seconds, time_pass(GemmImpl::OpenBlas, a, b, c));
  }
  set_gemm_impl(before);
  return t;
}

SN_END_TARGET
