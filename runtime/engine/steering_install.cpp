// Validating a Steering against the model and resolving it per codebook group.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "runtime/engine/session_state.hpp"

namespace cbk {

bool site_from_name(const char* name, CodebookSite* out) noexcept {
  if (name == nullptr) return false;
  for (std::size_t i = 0; i < kSiteCount; ++i) {
    const auto site = static_cast<CodebookSite>(i);
    if (std::strcmp(to_string(site), name) == 0) {
      *out = site;
      return true;
    }
  }
  return false;
}

}  // namespace cbk

namespace cbk::engine_detail {
namespace {

std::string where(const CodebookTarget& t) {
  std::string s = "layer " + std::to_string(t.layer) + " site ";
  s += static_cast<std::size_t>(t.site) < kSiteCount ? to_string(t.site) : "?";
  if (t.group >= 0) s += " group " + std::to_string(t.group);
  return s;
}

Error out_of_range(const std::string& what) { return Error(Status::out_of_range, what); }

// Resolves a target to its codebook index.
Error resolve(const PreparedModel& pm, const CodebookTarget& t, int* cb) {
  if (t.layer >= pm.arch().n_layers)
    return out_of_range("steering layer " + std::to_string(t.layer) + " is out of range (the model has " +
                        std::to_string(pm.arch().n_layers) + " layers)");
  if (static_cast<std::size_t>(t.site) >= kSiteCount)
    return out_of_range("steering site value " + std::to_string(static_cast<int>(t.site)) + " is unknown");
  *cb = pm.find_codebook(t.layer, t.site);
  if (*cb < 0) return out_of_range("the model has no codebook at " + where(t));
  const PreparedCodebook& c = pm.codebooks()[static_cast<std::size_t>(*cb)];
  if (t.group >= 0 && static_cast<std::uint32_t>(t.group) >= c.groups)
    return out_of_range("steering group " + std::to_string(t.group) + " is out of range (" + where(t) +
                        " has " + std::to_string(c.groups) + " groups)");
  return Error();
}

Error check_code(const PreparedCodebook& c, const CodebookTarget& t, std::int32_t code, bool allow_blocked) {
  const std::int32_t low = allow_blocked ? -1 : 0;
  if (code < low || static_cast<std::int64_t>(code) >= c.codes)
    return out_of_range("code " + std::to_string(code) + " is out of range [" + std::to_string(low) + ", " +
                        std::to_string(c.codes) + ") at " + where(t));
  return Error();
}

Error check_slot(const PreparedCodebook& c, const CodebookTarget& t, std::int32_t slot) {
  const auto k = static_cast<std::int64_t>(c.k);
  if (slot < -k || slot >= k)
    return out_of_range("slot " + std::to_string(slot) + " is out of range [-" + std::to_string(k) + ", " +
                        std::to_string(k) + ") at " + where(t));
  return Error();
}

Error validate(const SessionState& st, const Steering& s) {
  const PreparedModel& pm = *st.pm;
  int cb = -1;
  for (const ForceCode& f : s.forces) {
    if (Error e = resolve(pm, f.target, &cb); !e.ok()) return e;
    const PreparedCodebook& c = pm.codebooks()[static_cast<std::size_t>(cb)];
    if (Error e = check_code(c, f.target, f.code, false); !e.ok()) return e;
    if (f.mode == ForceCode::SlotMode::index) {
      if (Error e = check_slot(c, f.target, f.slot); !e.ok()) return e;
    }
    if (!std::isfinite(f.strength))
      return Error(Status::invalid_argument, "force strength at " + where(f.target) + " is not finite");
  }
  for (const DisableCodes& d : s.disables) {
    if (Error e = resolve(pm, d.target, &cb); !e.ok()) return e;
    const PreparedCodebook& c = pm.codebooks()[static_cast<std::size_t>(cb)];
    for (std::int32_t code : d.codes)
      if (Error e = check_code(c, d.target, code, false); !e.ok()) return e;
    if (d.mode == DisableCodes::Mode::keep && std::uint64_t{d.top_n} + c.k > c.codes)
      return out_of_range("disable top_n " + std::to_string(d.top_n) + " leaves fewer than k = " +
                          std::to_string(c.k) + " of the " + std::to_string(c.codes) + " codes at " +
                          where(d.target));
    for (std::int32_t slot : d.slots)
      if (Error e = check_slot(c, d.target, slot); !e.ok()) return e;
  }
  for (const Interchange& iv : s.interchanges) {
    if (Error e = resolve(pm, iv.target, &cb); !e.ok()) return e;
    const PreparedCodebook& c = pm.codebooks()[static_cast<std::size_t>(cb)];
    if (iv.ids.size() != c.k)
      return Error(Status::invalid_argument, "interchange at " + where(iv.target) + " has " +
                                                 std::to_string(iv.ids.size()) + " ids, expected k = " +
                                                 std::to_string(c.k));
    for (std::int32_t code : iv.ids)
      if (Error e = check_code(c, iv.target, code, true); !e.ok()) return e;
    if (iv.position >= st.capacity)
      return out_of_range("interchange position " + std::to_string(iv.position) +
                          " is beyond the context of " + std::to_string(st.capacity));
  }
  for (const CodebookTarget& t : s.bypass)
    if (Error e = resolve(pm, t, &cb); !e.ok()) return e;
  return Error();
}

template <typename T, typename Fn>
void for_each_group(const PreparedModel& pm, std::vector<std::vector<GroupSteering>>& groups,
                    const CodebookTarget& t, Fn fn) {
  const auto cb = static_cast<std::size_t>(pm.find_codebook(t.layer, t.site));
  for (std::size_t g = 0; g < groups[cb].size(); ++g)
    if (t.group < 0 || static_cast<std::size_t>(t.group) == g) fn(groups[cb][g]);
}

// Grows a codebook's trace stride to `slots`, keeping what was recorded.
void restride(TraceBook& t, std::size_t slots, std::size_t rows) {
  if (slots <= t.slots) return;
  std::vector<std::int32_t> ids(rows * slots, kTraceNoSlot);
  std::vector<float> scores(rows * slots, std::numeric_limits<float>::quiet_NaN());
  for (std::size_t r = 0; r < rows; ++r) {
    std::copy_n(t.ids.data() + r * t.slots, t.slots, ids.data() + r * slots);
    std::copy_n(t.scores.data() + r * t.slots, t.slots, scores.data() + r * slots);
  }
  t.ids.swap(ids);
  t.scores.swap(scores);
  t.slots = slots;
}

// The session's bytes once a steering is installed: the creation plan with each codebook's trace at
// its new width (restride only widens) and the new selection scratch.
std::uint64_t memory_with(const SessionState& st, const std::vector<std::size_t>& slots_needed,
                          std::uint64_t selection_bytes) {
  const PreparedModel& pm = *st.pm;
  const std::size_t workers = st.helpers.size() + 1;  // each has its own selection scratch
  std::uint64_t total = plan_memory(pm, st.capacity, st.chunk, st.trace, workers).total() +
                        workers * (selection_bytes - SelectionScratch::bytes(std::max<std::size_t>(pm.max_k(), 1), 0));
  if (st.trace)
    for (std::size_t i = 0; i < slots_needed.size(); ++i) {
      const PreparedCodebook& cb = pm.codebooks()[i];
      const std::size_t slots = std::max(slots_needed[i], st.traces[i].slots);
      total += trace_entries(cb, st.capacity, slots - cb.k) * (sizeof(std::int32_t) + sizeof(float));
    }
  return total;
}

}  // namespace

Error install_steering(SessionState& st, const Steering& steering) {
  if (Error e = validate(st, steering); !e.ok()) return e;
  const PreparedModel& pm = *st.pm;
  Steering copy = steering;
  std::vector<std::vector<GroupSteering>> groups(pm.codebooks().size());
  for (std::size_t i = 0; i < groups.size(); ++i) groups[i].assign(pm.codebooks()[i].groups, GroupSteering{});

  for (const ForceCode& f : copy.forces)
    for_each_group<ForceCode>(pm, groups, f.target, [&](GroupSteering& g) {
      g.forces.push_back(&f);
      if (f.mode == ForceCode::SlotMode::append) ++g.appends;
    });
  std::size_t keep_codes = 0;
  for (const DisableCodes& d : copy.disables) {
    if (d.mode == DisableCodes::Mode::keep) keep_codes += d.codes.size();
    for_each_group<DisableCodes>(pm, groups, d.target, [&](GroupSteering& g) {
      (d.mode == DisableCodes::Mode::keep ? g.keep : g.zero).push_back(&d);
    });
  }
  for (const Interchange& iv : copy.interchanges)
    for_each_group<Interchange>(pm, groups, iv.target, [&](GroupSteering& g) { g.interchanges.push_back(&iv); });
  for (const CodebookTarget& t : copy.bypass)
    for_each_group<CodebookTarget>(pm, groups, t, [&](GroupSteering& g) { g.bypass = true; });

  std::vector<bool> steered(groups.size(), false);
  std::size_t max_slots = std::max<std::size_t>(pm.max_k(), 1), max_codes = 0;
  std::vector<std::size_t> slots_needed(groups.size(), 0);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const PreparedCodebook& c = pm.codebooks()[i];
    std::size_t appends = 0;
    for (const GroupSteering& g : groups[i]) {
      steered[i] = steered[i] || g.bypass || g.rewrites();
      appends = std::max(appends, g.appends);
      if (!g.keep.empty()) max_codes = std::max<std::size_t>(max_codes, c.codes);
    }
    slots_needed[i] = c.k + appends;
    max_slots = std::max(max_slots, slots_needed[i]);
  }
  const std::uint64_t selection_bytes = SelectionScratch::bytes(max_slots, std::max(max_codes, keep_codes));
  const std::uint64_t need = memory_with(st, slots_needed, selection_bytes);
  if (st.options.max_memory_bytes != 0 && need > st.options.max_memory_bytes)
    return Error(Status::out_of_memory,
                 "set_steering: with this steering the session needs " + std::to_string(need) +
                     " bytes (append forces widen the trace, keep-mode disables need per-code scratch) but "
                     "max_memory_bytes allows " + std::to_string(st.options.max_memory_bytes));
  SelectionScratch selection;
  selection.reserve(max_slots, std::max(max_codes, keep_codes));
  std::vector<SelectionScratch> helper_selection(st.helpers.size());  // reserve(): copies drop capacity
  for (SelectionScratch& h : helper_selection) h.reserve(max_slots, std::max(max_codes, keep_codes));
  if (st.trace)
    for (std::size_t i = 0; i < groups.size(); ++i)
      restride(st.traces[i], slots_needed[i], std::size_t{pm.codebooks()[i].groups} * st.capacity);

  st.steering = std::move(copy);  // vector buffers move: the pointers above stay valid
  st.group_steering = std::move(groups);
  st.codebook_steered = std::move(steered);
  st.selection = std::move(selection);
  for (std::size_t w = 0; w < st.helpers.size(); ++w) st.helpers[w].selection = std::move(helper_selection[w]);
  st.memory_bytes = need;
  return Error();
}

}  // namespace cbk::engine_detail
