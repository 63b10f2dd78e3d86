// libFuzzer target for the CLI's steering flag parser (tools/cli/steering_flags.hpp).
//
// Input: byte 0 picks the flag (--force, --disable, --bypass), the rest is the flag's text (cut at
// the first NUL: argv strings cannot hold one). Checks:
//  - a failed parse leaves the flag list unchanged and gives a one-line message naming the flag;
//  - a successful parse appends exactly one flag whose values are in range (site and modes are
//    enum values, group >= -1, codes >= 0, strength finite, positions non-empty, ranges non-empty,
//    sorted and merged);
//  - printing the parsed flag in canonical syntax and parsing that again gives the same flag.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/cli/steering_flags.hpp"

namespace {

using cbk::cli::SteerFlag;

[[noreturn]] void fail(const char* why, const std::string& text) {
  std::fprintf(stderr, "fuzz_steering_flags: %s (input '%s')\n", why, text.c_str());
  __builtin_trap();
}

using Parser = bool (*)(const std::string&, std::vector<SteerFlag>*, std::string*);
constexpr Parser kParsers[3] = {cbk::cli::parse_force_flag, cbk::cli::parse_disable_flag, cbk::cli::parse_bypass_flag};
constexpr const char* kFlagNames[3] = {"--force '", "--disable '", "--bypass '"};

void check_positions(const std::vector<cbk_positions>& ps, const std::string& text) {
  if (ps.empty()) fail("empty position list", text);
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const cbk_positions& p = ps[i];
    if (p.kind == CBK_POSITIONS_RANGE) {
      if (p.first >= p.end) fail("empty or reversed position range", text);
      if (p.end > (1u << 31)) fail("position range ends past 2^31", text);
      if (i > 0 && (ps[i - 1].kind != CBK_POSITIONS_RANGE || ps[i - 1].end >= p.first))
        fail("position ranges not sorted, merged and disjoint", text);
    } else if (p.kind == CBK_POSITIONS_ALL || p.kind == CBK_POSITIONS_GENERATED) {
      if (ps.size() != 1) fail("all/generated mixed with other positions", text);
    } else {
      fail("unknown positions kind", text);
    }
  }
}

void check_flag(const SteerFlag& f, int which, const std::string& text) {
  if (static_cast<int>(f.kind) != which) fail("wrong flag kind", text);
  if (static_cast<int>(f.target.site) < CBK_SITE_ATTN_PREPROJ || static_cast<int>(f.target.site) > CBK_SITE_TRANSFORMER_BLOCK)
    fail("site out of range", text);
  if (f.target.group < -1) fail("group below -1", text);
  if (f.target.layer > (1u << 31)) fail("layer above 2^31", text);
  check_positions(f.positions, text);
  switch (f.kind) {
    case SteerFlag::Kind::force:
      if (f.code < 0) fail("negative force code", text);
      if (!std::isfinite(f.strength)) fail("non-finite strength", text);
      if (f.force_mode != CBK_FORCE_SLOT && f.force_mode != CBK_FORCE_ALL && f.force_mode != CBK_FORCE_APPEND)
        fail("unknown force mode", text);
      break;
    case SteerFlag::Kind::disable:
      for (std::int32_t c : f.codes)
        if (c < 0) fail("negative disabled code", text);
      if (f.codes.empty() && f.top_n == 0) fail("disable with neither codes nor topN", text);
      if (f.disable_mode != CBK_DISABLE_KEEP && f.disable_mode != CBK_DISABLE_ZERO) fail("unknown disable mode", text);
      break;
    case SteerFlag::Kind::bypass:
      if (f.positions.size() != 1 || f.positions[0].kind != CBK_POSITIONS_ALL) fail("bypass with positions", text);
      break;
  }
}

std::string positions_text(const std::vector<cbk_positions>& ps) {
  if (ps[0].kind == CBK_POSITIONS_ALL) return "all";
  if (ps[0].kind == CBK_POSITIONS_GENERATED) return "generated";
  std::string s;
  for (const cbk_positions& p : ps) {
    if (!s.empty()) s += ',';
    s += std::to_string(p.first);
    if (p.end - p.first > 1) s += '-' + std::to_string(p.end - 1);
  }
  return s;
}

// The flag in canonical syntax (every optional part spelled out).
std::string canonical(const SteerFlag& f) {
  std::string s = std::to_string(f.target.layer) + ':' + cbk_site_name(f.target.site) + ':' +
                  (f.target.group < 0 ? std::string("*") : std::to_string(f.target.group));
  if (f.kind == SteerFlag::Kind::bypass) return s;
  s += ':';
  if (f.kind == SteerFlag::Kind::force) {
    char strength[32];
    std::snprintf(strength, sizeof strength, "%.9g", static_cast<double>(f.strength));
    const std::string slot = f.force_mode == CBK_FORCE_ALL      ? "all"
                             : f.force_mode == CBK_FORCE_APPEND ? "append"
                                                                : std::to_string(f.slot);
    return s + std::to_string(f.code) + '@' + positions_text(f.positions) + '/' + slot + '*' + strength;
  }
  std::string items;
  for (std::int32_t c : f.codes) items += (items.empty() ? "" : ",") + std::to_string(c);
  if (f.top_n > 0) items += (items.empty() ? "top" : ",top") + std::to_string(f.top_n);
  return s + items + '@' + positions_text(f.positions) + (f.disable_mode == CBK_DISABLE_ZERO ? "/zero" : "/keep");
}

bool same_positions(const std::vector<cbk_positions>& a, const std::vector<cbk_positions>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].kind != b[i].kind || (a[i].kind == CBK_POSITIONS_RANGE && (a[i].first != b[i].first || a[i].end != b[i].end)))
      return false;
  return true;
}

bool same(const SteerFlag& a, const SteerFlag& b) {
  if (a.kind != b.kind || a.target.layer != b.target.layer || a.target.site != b.target.site ||
      a.target.group != b.target.group)
    return false;
  if (a.kind == SteerFlag::Kind::bypass) return true;
  if (!same_positions(a.positions, b.positions)) return false;
  if (a.kind == SteerFlag::Kind::force)
    return a.code == b.code && a.force_mode == b.force_mode && a.strength == b.strength &&
           (a.force_mode != CBK_FORCE_SLOT || a.slot == b.slot);
  // A repeated topN keeps the last one, so only the codes and the final top_n matter.
  return a.codes == b.codes && a.top_n == b.top_n && a.disable_mode == b.disable_mode;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int which = data[0] % 3;
  const char* begin = reinterpret_cast<const char*>(data + 1);
  const std::string text(begin, strnlen(begin, size - 1));

  std::vector<SteerFlag> flags(1);  // one earlier flag, which a parse must not disturb
  std::string error;
  if (!kParsers[which](text, &flags, &error)) {
    if (flags.size() != 1) fail("a failed parse changed the flag list", text);
    if (error.rfind(kFlagNames[which], 0) != 0) fail("error message does not name the flag", text);
    return 0;
  }
  if (flags.size() != 2) fail("a successful parse did not append exactly one flag", text);
  if (!error.empty()) fail("a successful parse set an error", text);
  const SteerFlag& parsed = flags[1];
  check_flag(parsed, which, text);

  const std::string again = canonical(parsed);
  std::vector<SteerFlag> reparsed;
  if (!kParsers[which](again, &reparsed, &error)) fail(("canonical form refused: " + again + ": " + error).c_str(), text);
  if (reparsed.size() != 1 || !same(parsed, reparsed[0])) fail(("canonical form parses differently: " + again).c_str(), text);
  return 0;
}
