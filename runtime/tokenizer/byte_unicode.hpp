// GPT-2's reversible byte <-> code point alphabet: vocab.json / merges.txt / tokenizer.json spell
// every byte-level token as a string of these code points (byte 0x20 is "Ġ", 0x0A is "Ċ", ...).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cbk {
namespace tok {

// The code point that stands for byte b.
uint32_t byte_to_codepoint(uint8_t b) noexcept;

// UTF-8 spelling of byte b in the alphabet.
std::string byte_to_unicode(uint8_t b);

// Converts a token spelled in the alphabet back to its bytes. Returns false (out unspecified) when
// the text is not valid UTF-8 or uses a code point outside the alphabet.
bool unicode_to_bytes(std::string_view text, std::string* out);

// Appends the alphabet spelling of every byte in bytes.
void bytes_to_unicode(std::string_view bytes, std::string* out);

}  // namespace tok
}  // namespace cbk
