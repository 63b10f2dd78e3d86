// The steering flags of `cbk generate`, parsed into cbk::Steering (syntax only; the engine checks
// the values against the model when the steering is installed).
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

#include <string>

#include "runtime/engine/steering.hpp"

namespace cbk::cli {

// Each returns false and sets *error (one line naming the problem) on a syntax error.
bool parse_force_flag(const std::string& text, Steering* steering, std::string* error);
bool parse_disable_flag(const std::string& text, Steering* steering, std::string* error);
bool parse_bypass_flag(const std::string& text, Steering* steering, std::string* error);

}  // namespace cbk::cli
