// Work items on worker threads, one cbk_session per thread (fsm-eval, steer-eval). Each item gets
// its randomness from its own seed, so results do not depend on the thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "bindings/c/include/cbk.hpp"

namespace cbk::cli {

// A failed C API call: its status and message (taken on the thread that made the call).
struct ApiError {
  cbk_status status = CBK_STATUS_OK;
  std::string message;
  bool ok() const noexcept { return status == CBK_STATUS_OK; }
};

// The status of a C API call made on this thread, with its message.
inline ApiError check(cbk_status st) {
  if (st == CBK_STATUS_OK) return ApiError();
  return ApiError{st, cbk_last_error_message()};
}

// Runs fn(session, thread, item) for items [0, n) on `threads` threads (at most n), each with its
// own session created from `sp`; after each item, done() (called from the worker threads: it must
// be thread-safe). fn returns an ApiError; the first failure stops the remaining work and is
// returned.
template <class Fn, class Done>
ApiError parallel_items(const cbk_model* model, const cbk_session_params& sp, unsigned threads, std::size_t n,
                        Done done, Fn fn) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  const unsigned t_count = static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(threads, n)));
  std::vector<ApiError> errors(t_count);
  auto worker = [&](unsigned t) {
    cbk_status st = CBK_STATUS_OK;
    cbk::session_ptr s = cbk::create_session(model, &sp, &st);
    if (!s) {
      errors[t] = check(st);
      failed = true;
      return;
    }
    while (!failed) {
      const std::size_t i = next++;
      if (i >= n) break;
      if (ApiError e = fn(s.get(), t, i); !e.ok()) {
        errors[t] = e;
        failed = true;
        return;
      }
      done();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(t_count);  // so only a thread start can throw below
  try {
    for (unsigned t = 1; t < t_count; ++t) pool.emplace_back(worker, t);
  } catch (const std::system_error&) {
    // The system refused a thread: the ones started (and this one) do all the work.
  }
  worker(0);
  for (auto& th : pool) th.join();
  for (const ApiError& e : errors)
    if (!e.ok()) return e;
  return ApiError();
}

}  // namespace cbk::cli
