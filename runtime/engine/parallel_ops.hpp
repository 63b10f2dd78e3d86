// Internal: the forward pass's heavy operations split across the session's thread pool.
//
// Every split is over independent outputs — output features of a linear layer, heads of the
// attention, (group, query rows) of a codebook, aligned runs of an elementwise op — and each piece
// runs the same kernel on a narrower view, which computes every output element exactly as the
// whole call would. Results are therefore bit-identical for any thread count. Small operations
// stay on the calling thread (waking workers costs more than it saves) unless the session asks to
// split everything (SessionOptions::split_small_work, for tests).
#pragma once

#include <cstddef>

#include "runtime/engine/session_state.hpp"

namespace cbk::engine_detail {

// Tasks to aim for per thread: a few, so a thread delayed by the OS is covered by the others.
inline constexpr std::size_t kTasksPerThread = 4;
// Below this many multiply-adds an operation runs on one thread.
inline constexpr std::size_t kMinParallelWork = std::size_t{1} << 18;
// Least multiply-adds per task.
inline constexpr std::size_t kMinTaskWork = std::size_t{1} << 16;

// Threads of the session's pool (1 without one).
inline unsigned session_threads(const SessionState& st) noexcept {
  return st.pool ? st.pool->threads() : 1;
}

// Upper bound on the tasks worth making for an operation of `work` multiply-adds (1: don't split).
std::size_t task_budget(const SessionState& st, std::size_t work) noexcept;

// Runs body(task, worker) for task in [0, n_tasks): on the pool, or inline on worker 0.
template <class Body>
void run_tasks(SessionState& st, std::size_t n_tasks, Body& body) noexcept {
  if (st.pool && n_tasks > 1) {
    st.pool->run(n_tasks, body);
  } else {
    for (std::size_t t = 0; t < n_tasks; ++t) body(t, 0u);
  }
}

// y rows = lin(x rows), split over output features (GEMV when n_rows == 1 and use_gemv).
void parallel_linear(SessionState& st, const PreparedLinear& lin, const float* x, std::size_t n_rows,
                     std::size_t x_stride, float* y, std::size_t y_stride, bool use_gemv = false) noexcept;

// The prefill attention kernel (n_queries rows from first_position), split over heads; each
// worker uses its own score scratch.
void parallel_attention(SessionState& st, const simd::AttentionShape& shape, const float* q,
                        std::size_t n_queries, std::size_t q_stride, const float* k_cache,
                        const float* v_cache, std::size_t first_position, float* out,
                        std::size_t out_stride) noexcept;

// x[0..n) = fn(x), split into runs whose starts are multiples of 64 floats (so each element takes
// the same vector or tail path as in one call).
void parallel_unary(SessionState& st, simd::UnaryFn fn, float* x, std::size_t n) noexcept;

}  // namespace cbk::engine_detail
