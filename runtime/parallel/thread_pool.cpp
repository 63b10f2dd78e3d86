#include "runtime/parallel/thread_pool.hpp"

#include <algorithm>

namespace cbk::parallel {
namespace {

constexpr std::uint64_t kIndexMask = 0xffffffffu;

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

std::uint64_t pack(std::uint32_t generation, std::uint64_t index) noexcept {
  return (std::uint64_t{generation} << 32) | index;
}

}  // namespace

ThreadPool::ThreadPool(unsigned n_threads) {
#if !CBK_PARALLEL_INLINE_ONLY
  const unsigned extra = n_threads > 1 ? std::min(n_threads, kMaxThreads) - 1 : 0;
  try {
    workers_.reserve(extra);
    for (unsigned w = 1; w <= extra; ++w) workers_.emplace_back([this, w] { worker_loop(w); });
  } catch (...) {
    stop_workers();
    throw;
  }
#else
  (void)n_threads;
#endif
}

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::stop_workers() noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
}

void ThreadPool::dispatch(std::size_t n_tasks, TaskFn fn, void* ctx) noexcept {
  if (n_tasks == 0) return;
  if (workers_.empty() || n_tasks == 1) {
    for (std::size_t t = 0; t < n_tasks; ++t) fn(ctx, t, 0);
    return;
  }
  Job job;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job.fn = fn;
    job.ctx = ctx;
    job.n_tasks = n_tasks;
    job.generation = job_.generation + 1;
    remaining_.store(n_tasks, std::memory_order_relaxed);
    next_.store(pack(job.generation, 0), std::memory_order_release);
    job_ = job;
  }
  wake_.notify_all();
  work(job, 0);
  // The caller has run out of tasks; wait for the workers' last ones (spinning a few microseconds
  // first: the tail of a job is usually short, and sleeping costs a wake-up).
  for (int spin = 0; spin < 256 && remaining_.load(std::memory_order_acquire) != 0; ++spin) cpu_relax();
  if (remaining_.load(std::memory_order_acquire) != 0) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return remaining_.load(std::memory_order_acquire) == 0; });
  }
}

void ThreadPool::work(const Job& job, unsigned worker) noexcept {
  std::uint64_t cur = next_.load(std::memory_order_acquire);
  for (;;) {
    if ((cur >> 32) != job.generation || (cur & kIndexMask) >= job.n_tasks) return;
    if (!next_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel, std::memory_order_acquire))
      continue;
    job.fn(job.ctx, static_cast<std::size_t>(cur & kIndexMask), worker);
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);  // pairs with the waiter's predicate check
      done_.notify_all();
    }
    cur = next_.load(std::memory_order_acquire);
  }
}

void ThreadPool::worker_loop(unsigned worker) noexcept {
  std::uint32_t seen = 0;
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || job_.generation != seen; });
      if (stop_) return;
      job = job_;
      seen = job.generation;
    }
    work(job, worker);
  }
}

Split split_range(std::size_t n, std::size_t min_items, std::size_t max_tasks, std::size_t align) noexcept {
  Split s;
  s.n = n;
  min_items = std::max<std::size_t>(min_items, 1);
  align = std::max<std::size_t>(align, 1);
  std::size_t tasks = std::max<std::size_t>(std::min(max_tasks, n / min_items), 1);
  std::size_t per = (n + tasks - 1) / tasks;
  per = (per + align - 1) / align * align;
  if (per == 0) per = 1;
  s.per_task = per;
  s.tasks = n == 0 ? 0 : (n + per - 1) / per;
  return s;
}

}  // namespace cbk::parallel
