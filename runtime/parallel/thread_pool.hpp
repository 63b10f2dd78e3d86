// A small persistent thread pool for one session's forward pass, and the fixed split of a range
// into contiguous chunks that the engine's parallel loops use.
//
//   cbk::parallel::ThreadPool pool(3);              // the caller + 2 workers (may throw)
//   auto body = [&](std::size_t task, unsigned worker) { ... };
//   pool.run(n_tasks, body);                        // returns when every task has run
//
// Tasks are handed out in index order to whichever thread is free (the calling thread takes part),
// so which thread runs a task varies from run to run; the engine only splits work whose result per
// output element does not depend on the split, so results are identical for any thread count.
// run() never allocates and never throws. Workers sleep on a condition variable between runs and
// are joined by the destructor. Under Emscripten without pthreads the pool has no workers and runs
// every task on the caller (threads() == 1).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define CBK_PARALLEL_INLINE_ONLY 1
#else
#define CBK_PARALLEL_INLINE_ONLY 0
#endif

namespace cbk::parallel {

// Largest thread count a pool accepts (more is refused by the session's option checks).
inline constexpr unsigned kMaxThreads = 256;

class ThreadPool {
 public:
  // Starts n_threads - 1 workers (0 and 1 start none). Throws std::system_error when a thread
  // cannot be started and std::bad_alloc; the workers already started are joined first.
  explicit ThreadPool(unsigned n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Threads that run tasks: the caller plus the workers (1 when threads are unavailable).
  unsigned threads() const noexcept { return static_cast<unsigned>(workers_.size()) + 1; }

  // Calls body(task, worker) for every task in [0, n_tasks) and returns when all have returned.
  // worker < threads() names the thread (0 = the caller), so tasks can use per-worker scratch.
  // body must not throw (the engine's kernels are noexcept) and must not call run() itself.
  template <class Body>
  void run(std::size_t n_tasks, Body& body) noexcept {
    dispatch(n_tasks, [](void* ctx, std::size_t task, unsigned worker) noexcept {
      (*static_cast<Body*>(ctx))(task, worker);
    }, &body);
  }

 private:
  using TaskFn = void (*)(void* ctx, std::size_t task, unsigned worker) noexcept;
  struct Job {
    TaskFn fn = nullptr;
    void* ctx = nullptr;
    std::size_t n_tasks = 0;
    std::uint32_t generation = 0;
  };

  void dispatch(std::size_t n_tasks, TaskFn fn, void* ctx) noexcept;
  // Claims and runs tasks of `job` until none is left (or a newer job has started).
  void work(const Job& job, unsigned worker) noexcept;
  void worker_loop(unsigned worker) noexcept;
  void stop_workers() noexcept;

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;  // a new job, or stop
  std::condition_variable done_;  // the last task of a job finished
  Job job_;                       // guarded by mutex_
  bool stop_ = false;             // guarded by mutex_
  // High 32 bits: the job's generation; low 32 bits: the next task index. Claiming with a
  // compare-exchange on both keeps a late worker from taking a task of a newer job.
  std::atomic<std::uint64_t> next_{0};
  std::atomic<std::size_t> remaining_{0};  // tasks of the current job not finished yet
};

// [0, n) cut into `tasks` contiguous chunks; every chunk but the last holds `per_task` items.
struct Split {
  std::size_t n = 0;
  std::size_t per_task = 0;
  std::size_t tasks = 0;
  std::size_t begin(std::size_t task) const noexcept { return task * per_task; }
  std::size_t end(std::size_t task) const noexcept {
    const std::size_t e = (task + 1) * per_task;
    return e < n ? e : n;
  }
};

// Splits n items into at most max_tasks chunks of at least min_items each (chunk sizes a multiple
// of `align`, except the last); 1 task when n is too small to split.
Split split_range(std::size_t n, std::size_t min_items, std::size_t max_tasks, std::size_t align = 1) noexcept;

}  // namespace cbk::parallel
