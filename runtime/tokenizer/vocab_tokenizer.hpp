// Plain vocabulary tokenizer (e.g. TokFSM: "0".."9", "<|endoftext|>"): each token is its own text
// and encode() takes the longest token that matches at each position. Internal to
// runtime/tokenizer; use cbk::Tokenizer::create_vocab.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/tokenizer/tokenizer_impl.hpp"

namespace cbk {
namespace tok {

class VocabTokenizer final : public TokenizerImpl {
 public:
  static Error create(std::vector<std::string> tokens, std::unique_ptr<TokenizerImpl>* out);

  Error encode_ordinary(std::string_view text, std::vector<int32_t>* ids) const override;

 private:
  // Candidate ids by first byte, longest token first.
  std::vector<int32_t> by_first_byte_[256];
};

}  // namespace tok
}  // namespace cbk
