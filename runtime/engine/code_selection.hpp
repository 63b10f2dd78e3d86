// Internal: which codes one codebook group uses at one token once steering is applied.
// The order of application is documented in runtime/engine/steering.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/engine/prepared_model.hpp"
#include "runtime/engine/steering.hpp"
#include "simd/simd.hpp"

namespace cbk::engine_detail {

// The interventions of one group, resolved once when the steering is set (pointers into the
// session's own copy of the Steering).
struct GroupSteering {
  bool bypass = false;
  std::vector<const DisableCodes*> keep;
  std::vector<const DisableCodes*> zero;
  std::vector<const Interchange*> interchanges;
  std::vector<const ForceCode*> forces;
  std::size_t appends = 0;  // number of append forces (upper bound of extra slots)

  bool rewrites() const noexcept {
    return !keep.empty() || !zero.empty() || !interchanges.empty() || !forces.empty();
  }
};

// Reusable buffers for one selection; sized once by reserve().
struct SelectionScratch {
  std::vector<std::int32_t> ids;
  std::vector<float> strength;
  std::vector<float> scores;
  std::vector<std::int32_t> disabled;     // sorted unique keep-mode codes
  std::vector<std::int32_t> ranked_ids;   // keep-mode search results
  std::vector<float> ranked_scores;
  std::vector<float> all_scores;          // fallback: every code's score
  std::vector<std::int32_t> order;

  void reserve(std::size_t max_slots, std::size_t max_codes_in_steering);
  // Bytes reserve() allocates.
  static std::uint64_t bytes(std::uint64_t max_slots, std::uint64_t max_codes_in_steering) noexcept;
};

// The selection for one token.
struct Selection {
  const std::int32_t* ids = nullptr;
  const float* strength = nullptr;  // null when every strength is 1
  const float* scores = nullptr;    // per slot; NaN for blocked slots (only when want_scores)
  std::size_t slots = 0;
};

// Exact kernel score of code `code` for the normalized query x_hat (the same number the search
// kernel reports for it).
float code_score(const PreparedGroup& group, const float* x_hat, std::int32_t code) noexcept;

// Applies `steer` at absolute position `pos` to the searched top-k (`top_ids`/`top_scores`, k
// entries). x_hat is the group's LayerNorm output (needed for re-searching and for the scores of
// codes the search did not pick). Uses only the preallocated scratch.
Selection select_codes(const PreparedGroup& group, const float* x_hat, const std::int32_t* top_ids, const float* top_scores,
                       std::size_t k, const GroupSteering& steer, std::size_t pos,
                       std::size_t n_prompt, bool want_scores, SelectionScratch* scratch) noexcept;

}  // namespace cbk::engine_detail
