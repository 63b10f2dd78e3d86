#include "tools/cli/steering_flags.hpp"

#include "tools/cli/api_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace cbk::cli {
namespace {

// Codes travel as int32_t: a larger number would wrap to a negative id (a fuzz finding).
constexpr long long kMaxCode = 2147483647;

bool fail(std::string* error, const std::string& flag, const std::string& text, const std::string& why) {
  *error = flag + " '" + text + "': " + why;
  return false;
}

// LAYER:SITE:GROUP
bool parse_target(const std::vector<std::string>& f, cbk_target* t, std::string* why) {
  long long layer = 0;
  if (!parse_count(f[0], 0, 1ll << 31, &layer)) return *why = "bad layer '" + f[0] + "'", false;
  t->layer = static_cast<std::uint32_t>(layer);
  if (cbk_site_from_name(f[1].c_str(), &t->site) != CBK_STATUS_OK) return *why = "unknown site '" + f[1] + "'", false;
  if (f.size() > 2) {
    long long g = 0;
    if (f[2] == "*") {
      t->group = -1;
    } else if (parse_count(f[2], 0, 1ll << 30, &g)) {
      t->group = static_cast<std::int32_t>(g);
    } else {
      return *why = "bad group '" + f[2] + "' (an index or *)", false;
    }
  }
  return true;
}

bool parse_positions(const std::string& s, std::vector<cbk_positions>* p, std::string* why) {
  if (s == "all") {
    *p = {cbk_positions{CBK_POSITIONS_ALL, 0, 0}};
    return true;
  }
  if (s == "generated" || s == "gen") {
    *p = {cbk_positions{CBK_POSITIONS_GENERATED, 0, 0}};
    return true;
  }
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;
  for (const std::string& item : split(s, ',')) {
    const std::size_t dash = item.find('-', 1);
    long long a = 0, b = 0;
    const bool ok = dash == std::string::npos
                        ? parse_count(item, 0, (1ll << 31) - 2, &a) && (b = a, true)
                        : parse_count(item.substr(0, dash), 0, (1ll << 31) - 2, &a) &&
                              parse_count(item.substr(dash + 1), 0, (1ll << 31) - 2, &b) && a <= b;
    if (!ok) return *why = "bad position item '" + item + "' (P or A-B)", false;
    ranges.emplace_back(static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(b + 1));
  }
  // Overlapping or touching ranges are merged so no position gets an intervention twice.
  std::sort(ranges.begin(), ranges.end());
  p->clear();
  for (const auto& r : ranges) {
    if (!p->empty() && r.first <= p->back().end) p->back().end = std::max(p->back().end, r.second);
    else p->push_back(cbk_positions{CBK_POSITIONS_RANGE, r.first, r.second});
  }
  return true;
}

// Splits "HEAD@POS/MODE*STRENGTH"-style tails: returns the part after the last `sep` (and cuts it
// from *s), or "" when absent.
std::string cut_suffix(std::string* s, char sep, bool* present) {
  const std::size_t at = s->rfind(sep);
  *present = at != std::string::npos;
  if (!*present) return "";
  std::string tail = s->substr(at + 1);
  s->erase(at);
  return tail;
}

}  // namespace

bool parse_force_flag(const std::string& text, std::vector<SteerFlag>* flags, std::string* error) {
  const std::vector<std::string> f = split(text, ':');
  if (f.size() != 4) return fail(error, "--force", text, "expected LAYER:SITE:GROUP:CODE[@POSITIONS][/SLOT][*STRENGTH]");
  SteerFlag force;
  force.kind = SteerFlag::Kind::force;
  std::string why;
  if (!parse_target(f, &force.target, &why)) return fail(error, "--force", text, why);
  std::string rest = f[3];
  bool has = false;
  const std::string strength = cut_suffix(&rest, '*', &has);
  if (has) {
    char* end = nullptr;
    force.strength = std::strtof(strength.c_str(), &end);
    if (strength.empty() || end != strength.c_str() + strength.size() || !std::isfinite(force.strength))
      return fail(error, "--force", text, "bad strength '" + strength + "'");
  }
  const std::string slot = cut_suffix(&rest, '/', &has);
  if (has) {
    long long s = 0;
    if (slot == "all") force.force_mode = CBK_FORCE_ALL;
    else if (slot == "append") force.force_mode = CBK_FORCE_APPEND;
    else if (parse_count(slot, -(1ll << 30), 1ll << 30, &s)) force.slot = static_cast<std::int32_t>(s);
    else return fail(error, "--force", text, "bad slot '" + slot + "' (an index, all or append)");
  }
  const std::string positions = cut_suffix(&rest, '@', &has);
  if (has && !parse_positions(positions, &force.positions, &why)) return fail(error, "--force", text, why);
  long long code = 0;
  if (!parse_count(rest, 0, kMaxCode, &code)) return fail(error, "--force", text, "bad code '" + rest + "'");
  force.code = static_cast<std::int32_t>(code);
  flags->push_back(force);
  return true;
}

bool parse_disable_flag(const std::string& text, std::vector<SteerFlag>* flags, std::string* error) {
  const std::vector<std::string> f = split(text, ':');
  if (f.size() != 4) return fail(error, "--disable", text, "expected LAYER:SITE:GROUP:CODE[,CODE...][@POSITIONS][/keep|/zero]");
  SteerFlag d;
  d.kind = SteerFlag::Kind::disable;
  std::string why;
  if (!parse_target(f, &d.target, &why)) return fail(error, "--disable", text, why);
  std::string rest = f[3];
  bool has = false;
  const std::string mode = cut_suffix(&rest, '/', &has);
  if (has) {
    if (mode == "keep") d.disable_mode = CBK_DISABLE_KEEP;
    else if (mode == "zero") d.disable_mode = CBK_DISABLE_ZERO;
    else return fail(error, "--disable", text, "bad mode '" + mode + "' (keep or zero)");
  }
  const std::string positions = cut_suffix(&rest, '@', &has);
  if (has && !parse_positions(positions, &d.positions, &why)) return fail(error, "--disable", text, why);
  for (const std::string& item : split(rest, ',')) {
    long long v = 0;
    if (item.compare(0, 3, "top") == 0 && parse_count(item.substr(3), 1, 1ll << 30, &v)) {
      d.top_n = static_cast<std::uint32_t>(v);
    } else if (parse_count(item, 0, kMaxCode, &v)) {
      d.codes.push_back(static_cast<std::int32_t>(v));
    } else {
      return fail(error, "--disable", text, "bad code '" + item + "' (a code id or topN)");
    }
  }
  flags->push_back(d);
  return true;
}

bool parse_bypass_flag(const std::string& text, std::vector<SteerFlag>* flags, std::string* error) {
  const std::vector<std::string> f = split(text, ':');
  if (f.size() != 2 && f.size() != 3) return fail(error, "--bypass", text, "expected LAYER:SITE[:GROUP]");
  SteerFlag b;
  b.kind = SteerFlag::Kind::bypass;
  std::string why;
  if (!parse_target(f, &b.target, &why)) return fail(error, "--bypass", text, why);
  flags->push_back(b);
  return true;
}

cbk_status apply_steering(cbk_session* session, const std::vector<SteerFlag>& flags) {
  for (const SteerFlag& f : flags) {
    if (f.kind == SteerFlag::Kind::bypass) {
      if (cbk_status st = cbk_steer_bypass(session, &f.target)) return st;
      continue;
    }
    for (const cbk_positions& p : f.positions) {
      const cbk_status st =
          f.kind == SteerFlag::Kind::force
              ? cbk_steer_force(session, &f.target, f.code, &p, f.force_mode, f.slot, f.strength)
              : cbk_steer_disable(session, &f.target, f.codes.data(), f.codes.size(), f.top_n, &p, f.disable_mode,
                                  nullptr, 0);
      if (st != CBK_STATUS_OK) return st;
    }
  }
  return CBK_STATUS_OK;
}

}  // namespace cbk::cli
