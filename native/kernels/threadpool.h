// A small persistent thread pool. OpenBLAS runs single-threaded (its own workers spin after
// each call and fight ours for the cores), so every kernel parallelises itself through this.
#pragma once
#include <cstdint>
#include <type_traits>

namespace sn {

// Process-wide thread count (the caller thread counts as one). 1..kMaxThreads.
constexpr int kMaxThreads = 256;
int num_threads();
// Resizes the pool; waits for any kernel in flight (from any worker_thread) to finish first.
void set_num_threads(int n);

using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end, int thread);
void parallel_for_impl(int64_t count, int64_t min_per_thread, RangeFn fn, void* ctx);
void parallel_for_pieces_impl(int64_t count, RangeFn fn, void* ctx);

// Splits [0, count) into contiguous ranges, at most one per thread and none smaller than
// min_per_thread items (so small jobs stay on the caller, where a wake-up would cost more
// than the work), and calls fn(begin, end, threadIndex) for each. Runs everything inline on
// the caller when another caller (another worker_thread) holds the pool, or when called from
// inside a parallel_for: callers must not depend on how the range is split.
template <typename F>
inline void parallel_for(int64_t count, int64_t min_per_thread, F&& fn) {
  using Fn = std::remove_reference_t<F>;
  parallel_for_impl(
      count, min_per_thread,
      [](void* ctx, int64_t b, int64_t e, int t) { (*static_cast<Fn*>(ctx))(b, e, t); },
      const_cast<void*>(static_cast<const void*>(&fn)));
}
template <typename F>
inline void parallel_for(int64_t count, F&& fn) {
  parallel_for(count, 1, static_cast<F&&>(fn));
}

// As parallel_for, but [0, count) is cut into several pieces per thread, which the threads take
// in turn as each finishes its last: a thread slowed down (by the shared host, by a cold cache)
// takes fewer. For loops of equal, independent items (the images of a batch) whose results do
// not depend on which thread computes them; fn may be called several times per thread, so it
// must not keep per-thread sums (softmax_loss keeps them; it uses parallel_for).
template <typename F>
inline void parallel_for_pieces(int64_t count, F&& fn) {
  using Fn = std::remove_reference_t<F>;
  parallel_for_pieces_impl(
      count, [](void* ctx, int64_t b, int64_t e, int t) { (*static_cast<Fn*>(ctx))(b, e, t); },
      const_cast<void*>(static_cast<const void*>(&fn)));
}

}  // namespace sn
