// The steering flags of `cbk generate`, parsed into C API interventions (syntax only; the library
// checks the values against the model when they are installed).
//
//   --force   LAYER:SITE:GROUP:CODE[@POSITIONS][/SLOT|/all|/append][*STRENGTH]
//   --disable LAYER:SITE:GROUP:CODE[,CODE...][@POSITIONS][/keep|/zero]
//   --bypass  LAYER:SITE[:GROUP]
//
// GROUP is a group index or `*` (every group). SLOT is a Python-style slot index (-1 = the last,
// least similar slot, the default). In --disable a CODE item `topN` disables the N most similar
// codes. POSITIONS (absolute, 0 = first prompt token): `all` (default), `generated`, or a
// comma-separated list of `P` and inclusive ranges `A-B`. Mode defaults to keep.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bindings/c/include/cbk.h"

namespace cbk::cli {

struct SteerFlag {
  enum class Kind { force, disable, bypass } kind = Kind::force;
  cbk_target target{0, CBK_SITE_MLP, -1};
  // cbk_positions holds one range: a list of ranges becomes one intervention per (merged) range.
  std::vector<cbk_positions> positions{cbk_positions{CBK_POSITIONS_ALL, 0, 0}};
  std::int32_t code = 0;                      // force
  cbk_force_mode force_mode = CBK_FORCE_SLOT;
  std::int32_t slot = -1;
  float strength = 1.0f;
  std::vector<std::int32_t> codes;            // disable
  std::uint32_t top_n = 0;
  cbk_disable_mode disable_mode = CBK_DISABLE_KEEP;
};

// Each returns false and sets *error (one line naming the problem) on a syntax error.
bool parse_force_flag(const std::string& text, std::vector<SteerFlag>* flags, std::string* error);
bool parse_disable_flag(const std::string& text, std::vector<SteerFlag>* flags, std::string* error);
bool parse_bypass_flag(const std::string& text, std::vector<SteerFlag>* flags, std::string* error);

// Installs the interventions on a session, in flag order.
cbk_status apply_steering(cbk_session* session, const std::vector<SteerFlag>& flags);

}  // namespace cbk::cli
