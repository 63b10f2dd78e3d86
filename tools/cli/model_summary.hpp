// Number formatting for `cbk info`.
#pragma once

#include <cstdint>
#include <string>

namespace cbk::cli {

std::string human_bytes(std::uint64_t bytes);      // "7.2 MiB"
std::string with_commas(std::uint64_t value);      // "1,234,567"

}  // namespace cbk::cli
