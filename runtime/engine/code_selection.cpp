#include "runtime/engine/code_selection.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cbk::engine_detail {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

bool contains(const std::vector<std::int32_t>& v, std::int32_t x) noexcept {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Python-style index into n slots (-n <= slot < n is guaranteed by validation: |slot| < k <= n).
std::size_t wrap_slot(std::int32_t slot, std::size_t n) noexcept {
  const auto s = static_cast<long long>(slot);
  const auto nn = static_cast<long long>(n);
  return static_cast<std::size_t>(((s % nn) + nn) % nn);
}

// Keep-mode search: codes in `disabled` (sorted) rank last; the best `skip` of the rest are
// skipped; k ids (and their true scores) are written to ids/scores. Mirrors the reference's
// argsort(masked scores)[skip : skip + k] with a stable sort (ties to the lower id).
void search_skipping(const PreparedGroup& group, const float* x_hat,
                     std::size_t skip, std::size_t k, SelectionScratch* sc, std::int32_t* ids,
                     float* scores) noexcept {
  const simd::CodebookView& book = group.book;
  const std::vector<std::int32_t>& disabled = sc->disabled;
  const std::size_t want = skip + k;  // validation guarantees want <= n_codes
  std::size_t m = std::min(book.n_codes, want + disabled.size());
  std::int32_t* ranked = sc->ranked_ids.data();
  float* ranked_scores = sc->ranked_scores.data();
  if (m <= simd::kMaxTopK) {
    group.search(book, x_hat, m, ranked, ranked_scores);
  } else {
    // Rare: more codes to skip than one kernel call can rank. Score every code with the kernel
    // (bit-identical scores) and sort by (score desc, id asc).
    m = book.n_codes;
    for (std::size_t j = 0; j < m; ++j) {
      sc->all_scores[j] = code_score(group, x_hat, static_cast<std::int32_t>(j));
      sc->order[j] = static_cast<std::int32_t>(j);
    }
    const float* all = sc->all_scores.data();
    std::sort(sc->order.begin(), sc->order.begin() + static_cast<std::ptrdiff_t>(m),
              [all](std::int32_t a, std::int32_t b) {
                return all[a] > all[b] || (all[a] == all[b] && a < b);
              });
    ranked = sc->order.data();
    ranked_scores = nullptr;
  }
  std::size_t got = 0;
  auto take = [&](std::int32_t id, float score) {
    if (got >= skip && got < want) {
      ids[got - skip] = id;
      scores[got - skip] = score;
    }
    ++got;
  };
  for (std::size_t i = 0; i < m && got < want; ++i) {
    const std::int32_t id = ranked[i];
    if (std::binary_search(disabled.begin(), disabled.end(), id)) continue;
    take(id, ranked_scores ? ranked_scores[i] : sc->all_scores[static_cast<std::size_t>(id)]);
  }
  // Fewer enabled codes than needed: the disabled ones follow at -inf, in ascending id order.
  for (std::size_t i = 0; i < disabled.size() && got < want; ++i)
    take(disabled[i], code_score(group, x_hat, disabled[i]));
}

}  // namespace

void SelectionScratch::reserve(std::size_t max_slots, std::size_t max_codes) {
  ids.resize(max_slots);
  strength.resize(max_slots);
  scores.resize(max_slots);
  disabled.reserve(max_codes);
  ranked_ids.resize(simd::kMaxTopK);
  ranked_scores.resize(simd::kMaxTopK);
  all_scores.resize(max_codes);
  order.resize(max_codes);
}

std::uint64_t SelectionScratch::bytes(std::uint64_t max_slots, std::uint64_t max_codes) noexcept {
  return max_slots * (sizeof(std::int32_t) + 2 * sizeof(float)) +
         simd::kMaxTopK * (sizeof(std::int32_t) + sizeof(float)) +
         max_codes * (2 * sizeof(std::int32_t) + sizeof(float));  // disabled, order, all_scores
}

float code_score(const PreparedGroup& group, const float* x_hat, std::int32_t code) noexcept {
  const simd::CodebookView& book = group.book;
  const auto c = static_cast<std::size_t>(code);
  simd::CodebookView one = book;
  one.codes = static_cast<const unsigned char*>(book.codes) + c * book.dim * simd::dtype_bytes(book.dtype);
  one.row_scale = book.row_scale ? book.row_scale + c : nullptr;
  one.norm_term = book.norm_term + c;
  one.n_codes = 1;
  std::int32_t id = -1;
  float score = kNaN;
  group.search(one, x_hat, 1, &id, &score);
  return score;
}

Selection select_codes(const PreparedGroup& group, const float* x_hat, const std::int32_t* top_ids, const float* top_scores,
                       std::size_t k, const GroupSteering& steer, std::size_t pos,
                       std::size_t n_prompt, bool want_scores, SelectionScratch* sc) noexcept {
  std::int32_t* ids = sc->ids.data();
  float* strength = sc->strength.data();
  float* scores = sc->scores.data();
  std::size_t n = k;

  // 1. keep-mode disables act on the search itself.
  std::size_t skip = 0;
  bool keep_active = false;
  sc->disabled.clear();
  for (const DisableCodes* d : steer.keep) {
    if (!d->positions.contains(pos, n_prompt)) continue;
    keep_active = true;
    skip = std::max<std::size_t>(skip, d->top_n);
    for (std::int32_t c : d->codes) sc->disabled.push_back(c);  // capacity reserved
  }
  if (keep_active) {
    std::sort(sc->disabled.begin(), sc->disabled.end());
    sc->disabled.erase(std::unique(sc->disabled.begin(), sc->disabled.end()), sc->disabled.end());
    search_skipping(group, x_hat, skip, k, sc, ids, scores);
  } else {
    std::copy(top_ids, top_ids + k, ids);
    std::copy(top_scores, top_scores + k, scores);
  }
  std::fill(strength, strength + k, 1.0f);
  bool rewritten = false;

  // 2. zero-mode disables block slots.
  for (const DisableCodes* d : steer.zero) {
    const bool active = d->positions.contains(pos, n_prompt);
    for (std::size_t s = 0; s < k; ++s) {
      bool blocked = false;
      for (std::int32_t b : d->slots) blocked = blocked || wrap_slot(b, k) == s;
      if (active && (contains(d->codes, ids[s]) || s < d->top_n)) blocked = true;
      if (blocked && ids[s] != -1) {
        ids[s] = -1;
        rewritten = true;
      }
    }
  }

  // 3. interchanges at this position.
  for (const Interchange* iv : steer.interchanges) {
    if (iv->position != pos) continue;
    std::copy(iv->ids.begin(), iv->ids.end(), ids);
    n = k;
    std::fill(strength, strength + k, 1.0f);
    rewritten = true;
  }

  // 4. forces in order.
  for (const ForceCode* f : steer.forces) {
    if (!f->positions.contains(pos, n_prompt)) continue;
    rewritten = true;
    switch (f->mode) {
      case ForceCode::SlotMode::all:
        std::fill(ids, ids + n, f->code);
        std::fill(strength, strength + n, f->strength);
        break;
      case ForceCode::SlotMode::append:
        ids[n] = f->code;
        strength[n] = f->strength;
        ++n;
        break;
      case ForceCode::SlotMode::index: {
        const std::size_t s = wrap_slot(f->slot, n);
        ids[s] = f->code;
        strength[s] = f->strength;
        break;
      }
    }
  }

  if (rewritten && want_scores) {
    for (std::size_t s = 0; s < n; ++s) {
      if (ids[s] < 0) {
        scores[s] = kNaN;
        continue;
      }
      const std::int32_t* hit = std::find(top_ids, top_ids + k, ids[s]);
      scores[s] = hit != top_ids + k ? top_scores[hit - top_ids]
                                     : code_score(group, x_hat, ids[s]);
    }
  }
  bool unit = true;
  for (std::size_t s = 0; s < n; ++s) unit = unit && strength[s] == 1.0f;
  Selection out;
  out.ids = ids;
  out.strength = unit ? nullptr : strength;
  out.scores = scores;
  out.slots = n;
  return out;
}

}  // namespace cbk::engine_detail
