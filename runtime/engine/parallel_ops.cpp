#include "runtime/engine/parallel_ops.hpp"

#include <algorithm>

namespace cbk::engine_detail {
namespace {

// Rows [begin, end) of a weight matrix, as a matrix of their own.
simd::WeightView weight_rows(const simd::WeightView& w, std::size_t begin, std::size_t end) noexcept {
  simd::WeightView v = w;
  v.data = static_cast<const unsigned char*>(w.data) + begin * w.in_features * simd::dtype_bytes(w.dtype);
  v.row_scale = w.row_scale ? w.row_scale + begin : nullptr;
  v.out_features = end - begin;
  return v;
}

// An elementwise op counts as this many multiply-adds per element (erf/tanh are a few dozen flops).
constexpr std::size_t kElementwiseWork = 16;

}  // namespace

std::size_t task_budget(const SessionState& st, std::size_t work) noexcept {
  const unsigned threads = session_threads(st);
  if (threads <= 1) return 1;
  const std::size_t most = std::size_t{threads} * kTasksPerThread;
  if (st.split_small_work) return most;
  if (work < kMinParallelWork) return 1;
  return std::max<std::size_t>(1, std::min(most, work / kMinTaskWork));
}

void parallel_linear(SessionState& st, const PreparedLinear& lin, const float* x, std::size_t n_rows,
                     std::size_t x_stride, float* y, std::size_t y_stride, bool use_gemv) noexcept {
  const simd::WeightView& w = lin.w;
  const std::size_t budget = task_budget(st, n_rows * w.out_features * w.in_features);
  const std::size_t min_rows = st.split_small_work ? 1 : 64;
  const std::size_t align = st.split_small_work ? 1 : 16;  // whole cache lines of f32 outputs
  const parallel::Split split = parallel::split_range(w.out_features, min_rows, budget, align);
  auto body = [&](std::size_t task, unsigned) {
    const std::size_t begin = split.begin(task), end = split.end(task);
    const simd::WeightView part = weight_rows(w, begin, end);
    const float* bias = lin.bias ? lin.bias + begin : nullptr;
    if (use_gemv && n_rows == 1)
      lin.gemv(part, bias, x, y + begin);
    else
      lin.gemm(part, bias, x, n_rows, x_stride, y + begin, y_stride);
  };
  run_tasks(st, split.tasks, body);
}

void parallel_attention(SessionState& st, const simd::AttentionShape& shape, const float* q,
                        std::size_t n_queries, std::size_t q_stride, const float* k_cache,
                        const float* v_cache, std::size_t first_position, float* out,
                        std::size_t out_stride) noexcept {
  const std::size_t keys = first_position + n_queries;
  const std::size_t budget = task_budget(st, 2 * shape.n_heads * n_queries * keys * shape.head_dim);
  const parallel::Split split = parallel::split_range(shape.n_heads, 1, budget);
  const std::size_t hd = shape.head_dim;
  auto body = [&](std::size_t task, unsigned worker) {
    const std::size_t begin = split.begin(task), end = split.end(task);
    simd::AttentionShape part = shape;
    part.n_heads = end - begin;
    st.kern->f32_attention_prefill(part, q + begin * hd, n_queries, q_stride, k_cache + begin * hd,
                                   v_cache + begin * hd, first_position,
                                   worker_buffers(st, worker).attention_scratch, out + begin * hd,
                                   out_stride);
  };
  run_tasks(st, split.tasks, body);
}

void parallel_unary(SessionState& st, simd::UnaryFn fn, float* x, std::size_t n) noexcept {
  constexpr std::size_t kAlign = 64;
  const std::size_t budget = task_budget(st, n * kElementwiseWork);
  const std::size_t min_items = st.split_small_work ? kAlign : kMinTaskWork / kElementwiseWork;
  const parallel::Split split = parallel::split_range(n, min_items, budget, kAlign);
  auto body = [&](std::size_t task, unsigned) {
    const std::size_t begin = split.begin(task);
    fn(x + begin, x + begin, split.end(task) - begin);
  };
  run_tasks(st, split.tasks, body);
}

}  // namespace cbk::engine_detail
