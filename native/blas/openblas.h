// OpenBLAS, found at run time: the addon does not link it, so a prebuilt addon loads on a
// machine without libopenblas0 and runs on the built-in SGEMM there. At load the addon tries
// libopenblas.so.0 (the runtime package), then libopenblas.so (-dev only), or the file named by
// SCRATCHNET_OPENBLAS ("none": do not look); the four functions it uses are resolved by name.
// Compiled once, outside the per-target namespaces: every target shares the one library.
#pragma once
#include <string>

namespace sn {

// cblas.h's enum values (CBLAS_ORDER / CBLAS_TRANSPOSE), fixed by the CBLAS standard; the enums
// are passed as int in the C ABI, so no OpenBLAS header is needed to build the addon.
constexpr int kCblasRowMajor = 101, kCblasNoTrans = 111, kCblasTrans = 112;

using CblasSgemmFn = void (*)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float* a,
                              int lda, const float* b, int ldb, float beta, float* c, int ldc);

struct OpenBlas {
  CblasSgemmFn sgemm = nullptr;  // null: OpenBLAS was not found
  void (*set_num_threads)(int) = nullptr;
  char* (*get_config)() = nullptr;
  char* (*get_corename)() = nullptr;
  std::string library;  // the file that was loaded
  std::string error;    // why none was, when sgemm is null
  bool found() const { return sgemm != nullptr; }
};

// Loaded on first call (thread-safe); never unloaded.
const OpenBlas& openblas();

}  // namespace sn
