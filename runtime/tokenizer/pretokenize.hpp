// GPT-2 pre-tokenizer: splits text into the pieces matched by
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// written as a hand scanner (no regex engine). \s is Unicode White_Space. Bytes that are not part
// of well-formed UTF-8 count as one code point each of the "other" class, so any input splits.
#pragma once

#include <cstddef>
#include <string_view>

namespace cbk {
namespace tok {

class Gpt2Pretokenizer {
 public:
  explicit Gpt2Pretokenizer(std::string_view text) noexcept : text_(text) {}

  // Sets *piece to the next piece (never empty) and returns true; false once the text is used up.
  bool next(std::string_view* piece) noexcept;

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace tok
}  // namespace cbk
