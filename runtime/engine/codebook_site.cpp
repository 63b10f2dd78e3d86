// One codebook site applied to a chunk of rows: per group, LayerNorm (eps 1e-5, the group's own
// affine) -> exact top-k search -> steering -> mean of the selected raw codes, which replaces the
// group's slice of the vector. Records the trace when tracing.
#include <algorithm>
#include <cmath>
#include <limits>

#include "runtime/engine/parallel_ops.hpp"
#include "runtime/engine/session_state.hpp"

namespace cbk::engine_detail {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

void record(TraceBook& t, std::size_t group, std::size_t capacity, std::size_t pos,
            const std::int32_t* ids, const float* scores, std::size_t slots) noexcept {
  const std::size_t base = (group * capacity + pos) * t.slots;
  std::int32_t* out_ids = t.ids.data() + base;
  float* out_scores = t.scores.data() + base;
  for (std::size_t s = 0; s < t.slots; ++s) {
    if (s < slots) {
      out_ids[s] = ids[s];
      out_scores[s] = ids[s] < 0 ? kNaN : scores[s];
    } else {
      out_ids[s] = kTraceNoSlot;
      out_scores[s] = kNaN;
    }
  }
}

}  // namespace

namespace {

// Group g of codebook cb_index on rows [r0, r1) of the chunk (row r is position p0 + r), with one
// worker's scratch. Rows and groups are independent, so any split of the chunk gives the same result.
void apply_group(SessionState& st, int cb_index, std::size_t g, float* data, std::size_t r0, std::size_t r1,
                 std::size_t width, std::size_t p0, const WorkerBuffers& buf) noexcept {
  const PreparedCodebook& cb = st.pm->codebooks()[static_cast<std::size_t>(cb_index)];
  const simd::Kernels& kern = *st.kern;
  const std::size_t dim = cb.dim, k = cb.k, n = r1 - r0;
  data += r0 * width;
  p0 += r0;
  const bool steered = st.codebook_steered[static_cast<std::size_t>(cb_index)];
  TraceBook* trace = st.trace ? &st.traces[static_cast<std::size_t>(cb_index)] : nullptr;
  float* x_hat = buf.x_hat;
  std::int32_t* ids = buf.top_ids;
  float* scores = buf.top_scores;

  const PreparedGroup& grp = cb.group[g];
  const GroupSteering* steer = steered ? &st.group_steering[static_cast<std::size_t>(cb_index)][g] : nullptr;
  if (steer != nullptr && steer->bypass) {
    if (trace)
      for (std::size_t r = 0; r < n; ++r) record(*trace, g, st.capacity, p0 + r, nullptr, nullptr, 0);
    return;
  }
  for (std::size_t r = 0; r < n; ++r)
    kern.f32_layernorm(data + r * width + g * dim, grp.ln_weight, grp.ln_bias, dim,
                       kCodebookLayerNormEps, x_hat + r * dim);
  grp.search_rows(x_hat, n, dim, k, ids, scores);
  for (std::size_t r = 0; r < n; ++r) {
    float* out = data + r * width + g * dim;
    const std::int32_t* row_ids = ids + r * k;
    const float* row_scores = scores + r * k;
    if (steer == nullptr || !steer->rewrites()) {
      grp.gather_mean(grp.book, row_ids, k, nullptr, out);
      if (trace) record(*trace, g, st.capacity, p0 + r, row_ids, row_scores, k);
      continue;
    }
    const Selection sel = select_codes(grp, x_hat + r * dim, row_ids, row_scores, k,
                                       *steer, p0 + r, st.n_prompt, trace != nullptr,
                                       buf.selection);
    grp.gather_mean(grp.book, sel.ids, sel.slots, sel.strength, out);
    if (trace) record(*trace, g, st.capacity, p0 + r, sel.ids, sel.scores, sel.slots);
  }
}

}  // namespace

void apply_codebook(SessionState& st, int cb_index, float* data, std::size_t n, std::size_t width,
                    std::size_t p0) noexcept {
  const PreparedCodebook& cb = st.pm->codebooks()[static_cast<std::size_t>(cb_index)];
  // Tasks are (group, block of rows): whole groups when there are enough of them for the threads
  // (each task then reads its table once for the chunk), else query rows are split too.
  const std::size_t groups = cb.groups;
  const std::size_t budget = task_budget(st, n * groups * cb.codes * cb.dim);
  if (budget <= 1) {
    const WorkerBuffers buf = worker_buffers(st, 0);
    for (std::size_t g = 0; g < groups; ++g) apply_group(st, cb_index, g, data, 0, n, width, p0, buf);
    return;
  }
  const std::size_t row_blocks = groups >= budget ? 1 : (budget + groups - 1) / groups;
  const parallel::Split rows = parallel::split_range(n, st.split_small_work ? 1 : 16, row_blocks);
  auto body = [&](std::size_t task, unsigned worker) {
    const std::size_t g = task / rows.tasks, block = task % rows.tasks;
    apply_group(st, cb_index, g, data, rows.begin(block), rows.end(block), width, p0,
                worker_buffers(st, worker));
  };
  run_tasks(st, groups * rows.tasks, body);
}

void clear_trace(SessionState& st) noexcept {
  for (TraceBook& t : st.traces) {
    std::fill(t.ids.begin(), t.ids.end(), kTraceNoSlot);
    std::fill(t.scores.begin(), t.scores.end(), kNaN);
  }
}

}  // namespace cbk::engine_detail
