#include "runtime/tokenizer/byte_unicode.hpp"

#include <array>

#include "runtime/tokenizer/unicode_class.hpp"

namespace cbk {
namespace tok {
namespace {

// Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves; the other 68 bytes
// take code points 256, 257, ... in byte order. Every mapped code point is below kAlphabetEnd.
constexpr uint32_t kAlphabetEnd = 256 + 68;

struct Tables {
  std::array<uint32_t, 256> to_cp{};
  std::array<int16_t, kAlphabetEnd> to_byte{};
};

constexpr bool stands_for_itself(unsigned b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t i = 0; i < kAlphabetEnd; ++i) t.to_byte[i] = -1;
  uint32_t next = 256;
  for (unsigned b = 0; b < 256; ++b) {
    const uint32_t cp = stands_for_itself(b) ? b : next++;
    t.to_cp[b] = cp;
    t.to_byte[cp] = static_cast<int16_t>(b);
  }
  return t;
}

constexpr Tables kTables = make_tables();
static_assert(kTables.to_cp[0x20] == 0x120, "space must map to U+0120 (Ġ)");
static_assert(kTables.to_cp[0xFF] == 0xFF, "0xFF stands for itself");

void append_utf8(uint32_t cp, std::string* out) {
  // Alphabet code points are below U+0800: one or two bytes.
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

uint32_t byte_to_codepoint(uint8_t b) noexcept { return kTables.to_cp[b]; }

std::string byte_to_unicode(uint8_t b) {
  std::string s;
  append_utf8(kTables.to_cp[b], &s);
  return s;
}

bool unicode_to_bytes(std::string_view text, std::string* out) {
  out->clear();
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    uint32_t cp = 0;
    const uint32_t len = decode_utf8(s + i, text.size() - i, &cp);
    if (len == 0 || cp >= kAlphabetEnd || kTables.to_byte[cp] < 0) return false;
    out->push_back(static_cast<char>(kTables.to_byte[cp]));
    i += len;
  }
  return true;
}

void bytes_to_unicode(std::string_view bytes, std::string* out) {
  for (char c : bytes) append_utf8(kTables.to_cp[static_cast<uint8_t>(c)], out);
}

}  // namespace tok
}  // namespace cbk
