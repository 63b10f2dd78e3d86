// Code point classes used by the GPT-2 pre-tokenizer, and a UTF-8 reader that never fails.
// Internal to runtime/tokenizer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cbk {
namespace tok {

enum class CpClass : uint8_t {
  kOther = 0,   // anything else, including invalid UTF-8 bytes
  kLetter = 1,  // general category L*
  kNumber = 2,  // general category N*
  kSpace = 3,   // White_Space
};

struct CpRange {
  uint32_t lo;
  uint32_t hi;
  CpClass cls;
};

// Generated table (unicode_tables.cpp), sorted by lo.
extern const CpRange kCpRanges[];
extern const size_t kCpRangeCount;
extern const char* const kUnicodeVersion;

CpClass classify(uint32_t cp) noexcept;

// Decodes the well-formed UTF-8 sequence at s (n >= 1 bytes available): returns its length and
// sets *cp, or returns 0 when s[0] does not start one (overlong forms, surrogates and values above
// U+10FFFF are ill-formed). Callers then treat s[0] as a lone byte of class kOther.
inline uint32_t decode_utf8(const unsigned char* s, size_t n, uint32_t* cp) noexcept {
  const unsigned c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  uint32_t len;
  uint32_t v;
  uint32_t min;
  if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (uint32_t i = 1; i < len; ++i) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (s[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

}  // namespace tok
}  // namespace cbk
