#include "kernels/threadpool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
// Flush-to-zero and denormals-are-zero (MXCSR bits 15 and 6).
static constexpr unsigned kFlushDenormals = 0x8040;
static inline unsigned read_fp_mode() { return _mm_getcsr(); }
static inline void write_fp_mode(unsigned m) { _mm_setcsr(m); }
#elif defined(__aarch64__)
static inline void cpu_relax() { asm volatile("yield" ::: "memory"); }
// FPCR.FZ (bit 24) flushes denormals to zero.
static constexpr unsigned long kFlushDenormals = 1ul << 24;
static inline unsigned long read_fp_mode() { unsigned long m; asm volatile("mrs %0, fpcr" : "=r"(m)); return m; }
static inline void write_fp_mode(unsigned long m) { asm volatile("msr fpcr, %0" ::"r"(m)); }
#else
static inline void cpu_relax() {}
static constexpr unsigned kFlushDenormals = 0;
static inline unsigned read_fp_mode() { return 0; }
static inline void write_fp_mode(unsigned) {}
#endif

namespace sn {
namespace {

// A worker keeps polling this long after its last job before it sleeps: the kernels of one
// training step follow each other within microseconds, and a condition-variable wake-up costs
// tens of microseconds, which over ~20 kernels a step would be a visible share of 4 ms.
constexpr auto kSpinTime = std::chrono::microseconds(100);

// parallel_for_pieces's [0, count), in pieces of `size` items that the threads take in turn.
struct Pieces {
  std::atomic<int64_t> next{0};
  int64_t count = 0, size = 1;
  // Runs pieces until none is left.
  void run(RangeFn fn, void* ctx, int thread) {
    for (int64_t p; (p = next.fetch_add(1, std::memory_order_relaxed)) * size < count;)
      fn(ctx, p * size, std::min(count, (p + 1) * size), thread);
  }
};

// Pieces per thread for parallel_for_pieces: enough that a thread running at half speed leaves
// the others little to wait for; few enough that taking one (an atomic on a shared line) costs
// nothing next to an image's work. With halves, the caller of a LeNet5 step spent 7–10% of it
// waiting for the other thread (2 cores of a shared Zen 3 host, whose speed differs from core to
// core and moment to moment); in pieces, whole steps at 2 threads took ×0.93–0.95 (LeNet5),
// ×0.97 (SimpleConvNet), ×0.90 (DeepConvNet). 16 pieces a thread were no better than 8.
constexpr int kPiecesPerThread = 8;
// And at most this many items a piece: an inference batch (1000 images for LeNet5, 400 for
// DeepConvNet) in 16 pieces left a thread up to 62 images to wait for at the end of every layer;
// pieces of 8: inference ×0.992 (LeNet5), ×0.986 (DeepConvNet) over 100–150 rounds (Zen 3, 2
// threads). A training batch of 100 (6 images a piece) is cut as before.
constexpr int64_t kMaxPieceItems = 8;

// A worker's share: the range [begin, end), or, when pieces is set, pieces until none is left.
struct Job {
  RangeFn fn = nullptr;
  void* ctx = nullptr;
  int64_t begin = 0, end = 0;
  Pieces* pieces = nullptr;
};

// One per worker, on its own cache line so that publishing a job touches only that worker.
struct alignas(64) Slot {
  std::atomic<uint64_t> generation{0};
  Job job;
};

thread_local bool t_inside_parallel = false;

// Denormal floats (|x| < 1.2e-38) take a microcode path ~100× slower on x86. Late in training,
// gradients and Adam's moments of inactive units decay into that range and a SimpleConvNet
// epoch slowed from 3.5 s to 5.5 s. Kernels therefore run with denormals flushed to zero, as
// TensorFlow and oneDNN do. The caller's mode is restored afterwards, so JavaScript's own
// arithmetic on the main thread keeps IEEE semantics; pool workers keep the mode for good.
class FlushDenormals {
 public:
  FlushDenormals() : saved_(read_fp_mode()) { write_fp_mode(saved_ | kFlushDenormals); }
  ~FlushDenormals() { write_fp_mode(saved_); }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  decltype(read_fp_mode()) saved_;
};

class ThreadPool {
 public:
  ThreadPool() { start(default_threads()); }

  static int default_threads() {
    unsigned hc = std::thread::hardware_concurrency();
    return int(std::clamp<unsigned>(hc == 0 ? 1 : hc, 1, kMaxThreads));
  }

  int threads() const { return threads_.load(std::memory_order_relaxed); }

  void resize(int n) {
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    if (n == threads()) return;
    stop();
    start(n);
  }

  // pieces_per_thread 0: one contiguous range per thread; else about that many pieces per
  // thread, taken in turn (min_per_thread is then 1).
  void run(int64_t count, int64_t min_per_thread, RangeFn fn, void* ctx, int pieces_per_thread = 0) {
    if (count <= 0) return;
    FlushDenormals flush;
    int64_t chunks = std::min<int64_t>(threads(), count / std::max<int64_t>(min_per_thread, 1));
    if (chunks <= 1 || t_inside_parallel) {
      fn(ctx, 0, count, 0);
      return;
    }
    std::unique_lock<std::mutex> dispatch(dispatch_mu_, std::try_to_lock);
    if (!dispatch.owns_lock()) {  // another worker_thread is using the pool: do our share alone
      fn(ctx, 0, count, 0);
      return;
    }
    chunks = std::min<int64_t>(chunks, threads());  // threads() cannot change while we hold dispatch
    remaining_.store(int(chunks - 1), std::memory_order_relaxed);
    Pieces pieces;
    pieces.count = count;
    pieces.size = std::clamp<int64_t>(count / (chunks * std::max(pieces_per_thread, 1)), 1, kMaxPieceItems);
    Pieces* shared = pieces_per_thread > 0 ? &pieces : nullptr;
    for (int64_t t = 1; t < chunks; ++t) {
      Slot& s = *slots_[t - 1];
      s.job = Job{fn, ctx, count * t / chunks, count * (t + 1) / chunks, shared};
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      for (int64_t t = 1; t < chunks; ++t) slots_[t - 1]->generation.fetch_add(1, std::memory_order_release);
      if (sleepers_ > 0) wake_cv_.notify_all();
    }
    // An exception from any chunk (std::bad_alloc from a scratch buffer) is rethrown here on
    // the caller, after every chunk has finished: the workers use ctx, which lives on this
    // caller's stack, and a worker must never let an exception out (std::terminate).
    std::exception_ptr mine;
    t_inside_parallel = true;
    try {
      if (shared) {
        shared->run(fn, ctx, 0);
      } else {
        fn(ctx, 0, count / chunks, 0);
      }
    } catch (...) {
      mine = std::current_exception();
    }
    t_inside_parallel = false;
    wait_done();
    std::exception_ptr theirs;
    {
      std::lock_guard<std::mutex> lk(mu_);
      theirs = worker_error_;
      worker_error_ = nullptr;
    }
    if (mine) std::rethrow_exception(mine);
    if (theirs) std::rethrow_exception(theirs);
  }

 private:
  void start(int n) {
    threads_.store(n, std::memory_order_relaxed);
    stopping_ = false;
    slots_.clear();
    for (int i = 1; i < n; ++i) slots_.push_back(std::make_unique<Slot>());
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopping_ = true;
      wake_cv_.notify_all();
    }
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  void wait_done() {
    auto until = std::chrono::steady_clock::now() + kSpinTime * 10;
    for (int i = 0; remaining_.load(std::memory_order_acquire) > 0; ++i) {
      cpu_relax();
      if ((i & 255) == 255 && std::chrono::steady_clock::now() > until) {
        std::unique_lock<std::mutex> lk(mu_);
        done_cv_.wait(lk, [&] { return remaining_.load(std::memory_order_acquire) == 0; });
        return;
      }
    }
  }

  void worker_loop(int index) {
    t_inside_parallel = true;
    write_fp_mode(read_fp_mode() | kFlushDenormals);
    Slot& slot = *slots_[index - 1];
    // Slots are created with generation 0 before their worker starts; reading the current value
    // here instead would lose a job published before this thread got scheduled.
    uint64_t seen = 0;
    for (;;) {
      auto until = std::chrono::steady_clock::now() + kSpinTime;
      uint64_t g;
      for (int i = 0; (g = slot.generation.load(std::memory_order_acquire)) == seen; ++i) {
        cpu_relax();
        if ((i & 255) != 255) continue;
        if (stopping_flag()) return;
        if (std::chrono::steady_clock::now() < until) continue;
        std::unique_lock<std::mutex> lk(mu_);
        ++sleepers_;
        wake_cv_.wait(lk, [&] { return stopping_ || slot.generation.load(std::memory_order_acquire) != seen; });
        --sleepers_;
        if (stopping_) return;
      }
      seen = g;
      const Job job = slot.job;
      try {
        if (job.pieces) {
          job.pieces->run(job.fn, job.ctx, index);
        } else {
          job.fn(job.ctx, job.begin, job.end, index);
        }
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu_);
        if (!worker_error_) worker_error_ = std::current_exception();
      }
      if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(mu_);
        done_cv_.notify_one();
      }
    }
  }

  bool stopping_flag() {
    std::lock_guard<std::mutex> lk(mu_);
    return stopping_;
  }

  std::mutex dispatch_mu_;  // one dispatching caller at a time (worker_threads share the pool)
  std::mutex mu_;           // guards sleepers_, stopping_ and the condition variables
  std::condition_variable wake_cv_, done_cv_;
  std::atomic<int> threads_{1};
  std::atomic<int> remaining_{0};
  int sleepers_ = 0;
  bool stopping_ = false;
  std::exception_ptr worker_error_;  // the first exception a worker's chunk threw (guarded by mu_)
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::thread> workers_;
};

// Never destroyed: at process exit the workers are asleep (or spinning) and simply end with
// the process; joining them from a static destructor could race a worker_thread still running.
ThreadPool& pool() {
  static ThreadPool* p = new ThreadPool();
  return *p;
}

}  // namespace

int num_threads() { return pool().threads(); }

void set_num_threads(int n) { pool().resize(std::clamp(n, 1, kMaxThreads)); }

void parallel_for_impl(int64_t count, int64_t min_per_thread, RangeFn fn, void* ctx) {
  pool().run(count, min_per_thread, fn, ctx);
}

void parallel_for_pieces_impl(int64_t count, RangeFn fn, void* ctx) {
  pool().run(count, 1, fn, ctx, kPiecesPerThread);
}

}  // namespace sn
