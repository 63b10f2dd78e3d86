// Shared state and helpers behind cbk::Tokenizer. Internal to runtime/tokenizer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/status.hpp"
#include "runtime/tokenizer/tokenizer.hpp"

namespace cbk {
namespace tok {

class TokenizerImpl {
 public:
  virtual ~TokenizerImpl() = default;

  // Appends the ids of text, in which special tokens are not looked for.
  virtual Error encode_ordinary(std::string_view text, std::vector<int32_t>* ids) const = 0;

  Tokenizer::Kind kind = Tokenizer::Kind::vocab;
  std::vector<std::string> vocab;                         // tokens as spelled in the vocabulary
  std::vector<std::string> bytes;                         // what each token decodes to
  std::unordered_map<std::string, int32_t> id_of_token;  // vocab spelling -> id
  SpecialTokens special;
};

// Fills impl->vocab and impl->id_of_token, rejecting an empty vocabulary, empty tokens and
// duplicates (Status::bad_tokenizer).
Error init_vocab(std::vector<std::string> tokens, TokenizerImpl* impl);

// Checks that bos/eos/pad are -1 or token ids and that in_text lists only token ids.
Error check_special(const SpecialTokens& special, const TokenizerImpl& impl);

// text in double quotes for error messages: control bytes escaped, long text shortened.
std::string quoted(std::string_view text);

}  // namespace tok
}  // namespace cbk
