// Per-thread scratch memory for the kernels' hot paths.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>

namespace sn {

// Scratch that grows to the largest shape seen and is then reused: the hot path allocates only
// on the first call with a new, larger shape. Declare it thread_local, one per use, so concurrent
// callers (Node worker_threads, the pool's workers) never share it. 64-byte aligned.
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { std::free(data_); }
  float* get(size_t floats) {
    if (floats > cap_) {
      std::free(data_);
      const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!data_) {
        cap_ = 0;
        throw std::bad_alloc();
      }
      cap_ = floats;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace sn
