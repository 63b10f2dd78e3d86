// Steering: rewriting the code ids a codebook group selects, before the gather-mean.
//
// Semantics follow the Python reference (tools/python/cbk_reference/steering.py, codebook.py,
// README "Semantics choices"), which follows codebook-features (§4 of the semantics notes):
//
//  * Positions are ABSOLUTE session positions (0 = first prompt token). The original
//    codebook-features hooks index the current forward call instead, which with a KV cache is
//    the window of new tokens; here a spec means the same for prefill+decode as for one pass.
//    "generated" = positions at or after the end of the prompt (the first prefill call).
//  * Order at one token of one group:
//      1. keep-mode disables act on the search: their codes get score -inf, and the best
//         max(top_n) codes are skipped (the reference's topk(k+n)[-k:]); several keep disables
//         active at one token: union of codes, max of top_n;
//      2. zero-mode disables block slots (id -> -1: a zero vector that still counts in the mean):
//         slots holding a disabled code or with slot index < top_n at the disable's positions,
//         and slots listed in `slots` at EVERY position;
//      3. interchanges at this position replace all k slots (the last one in order wins);
//      4. forces in order: into one slot (Python-style index, -1 = last/least similar), into all
//         slots, or appended as an extra slot (the mean then runs over k + appended slots).
//  * Output: mean over the slots of strength * code vector (strength 1.0 = the reference).
//  * Bypass: the group's input passes through unchanged (no search, no trace entry).
// A Steering value is plain data; Session::set_steering validates it against the model.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "runtime/model.hpp"

namespace cbk {

// A set of absolute positions.
struct PositionSet {
  enum class Kind : std::uint8_t { all, generated, ranges };
  Kind kind = Kind::all;
  // kind == ranges: half-open [first, second) intervals (a single position p is [p, p+1)).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;

  static PositionSet all() { return {}; }
  static PositionSet generated() { return {Kind::generated, {}}; }
  static PositionSet single(std::uint32_t p) { return {Kind::ranges, {{p, p + 1}}}; }

  bool contains(std::size_t pos, std::size_t n_prompt) const noexcept {
    if (kind == Kind::all) return true;
    if (kind == Kind::generated) return pos >= n_prompt;
    for (const auto& r : ranges)
      if (pos >= r.first && pos < r.second) return true;
    return false;
  }
};

// Which codebook group(s) an intervention acts on. group -1 = every group of the codebook.
struct CodebookTarget {
  std::uint32_t layer = 0;
  CodebookSite site = CodebookSite::attn_preproj;
  std::int32_t group = -1;

  bool matches(std::uint32_t l, CodebookSite s, std::uint32_t g) const noexcept {
    return layer == l && site == s && (group < 0 || static_cast<std::uint32_t>(group) == g);
  }
};

struct ForceCode {
  enum class SlotMode : std::uint8_t { index, all, append };
  CodebookTarget target;
  std::int32_t code = 0;
  PositionSet positions;
  SlotMode mode = SlotMode::index;
  std::int32_t slot = -1;   // mode index: -k <= slot < k, Python-style (-1 = last slot)
  float strength = 1.0f;    // our extension; 1.0 reproduces the reference
};

struct DisableCodes {
  enum class Mode : std::uint8_t { keep, zero };
  CodebookTarget target;
  std::vector<std::int32_t> codes;  // may be empty (pure top-n disable)
  std::uint32_t top_n = 0;          // disable the n most similar codes
  PositionSet positions;
  Mode mode = Mode::keep;
  std::vector<std::int32_t> slots;  // zero mode only: slot indices blocked at every position
};

// Sets every slot at one position (e.g. ids copied from another session's trace).
struct Interchange {
  CodebookTarget target;
  std::uint32_t position = 0;
  std::vector<std::int32_t> ids;    // exactly k ids, each -1 (blocked) or a valid code
};

// Parses a site name as printed by to_string(CodebookSite) ("attn_preproj", "mlp", ...).
bool site_from_name(const char* name, CodebookSite* out) noexcept;

struct Steering {
  std::vector<ForceCode> forces;          // applied in this order
  std::vector<DisableCodes> disables;
  std::vector<Interchange> interchanges;  // applied in this order
  std::vector<CodebookTarget> bypass;

  bool empty() const noexcept {
    return forces.empty() && disables.empty() && interchanges.empty() && bypass.empty();
  }
};

}  // namespace cbk
