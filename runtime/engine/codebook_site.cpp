// One codebook site applied to a chunk of rows: per group, LayerNorm (eps 1e-5, the group's own
// affine) -> exact top-k search -> steering -> mean of the selected raw codes, which replaces the
// group's slice of the vector. Records the trace when tracing.
#include <algorithm>
#include <cmath>
#include <limits>

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

void apply_codebook(SessionState& st, int cb_index, float* data, std::size_t n, std::size_t width,
                    std::size_t p0) noexcept {
  const PreparedCodebook& cb = st.pm->codebooks()[static_cast<std::size_t>(cb_index)];
  const simd::Kernels& kern = *st.kern;
  const std::size_t dim = cb.dim, k = cb.k;
  const bool steered = st.codebook_steered[static_cast<std::size_t>(cb_index)];
  TraceBook* trace = st.trace ? &st.traces[static_cast<std::size_t>(cb_index)] : nullptr;
  float* x_hat = st.x_hat.data();
  std::int32_t* ids = st.top_ids.data();
  float* scores = st.top_scores.data();

  for (std::size_t g = 0; g < cb.groups; ++g) {
    const PreparedGroup& grp = cb.group[g];
    const GroupSteering* steer = steered ? &st.group_steering[static_cast<std::size_t>(cb_index)][g] : nullptr;
    if (steer != nullptr && steer->bypass) {
      if (trace)
        for (std::size_t r = 0; r < n; ++r) record(*trace, g, st.capacity, p0 + r, nullptr, nullptr, 0);
      continue;
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
                                         &st.selection);
      grp.gather_mean(grp.book, sel.ids, sel.slots, sel.strength, out);
      if (trace) record(*trace, g, st.capacity, p0 + r, sel.ids, sel.scores, sel.slots);
    }
  }
}

void clear_trace(SessionState& st) noexcept {
  for (TraceBook& t : st.traces) {
    std::fill(t.ids.begin(), t.ids.end(), kTraceNoSlot);
    std::fill(t.scores.begin(), t.scores.end(), kNaN);
  }
}

}  // namespace cbk::engine_detail
