// Tokenizers: byte-level BPE (GPT-2, GPT-Neo, GPT-NeoX vocabularies) and a plain vocabulary
// tokenizer (e.g. TokFSM's digits). A Tokenizer is immutable after creation and safe to use from
// any number of threads. No function throws; failures are returned as cbk::Error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/status.hpp"

namespace cbk {

namespace tok {
class TokenizerImpl;
}

// Token ids with a special role; -1 means "none".
struct SpecialTokens {
  int32_t bos = -1;
  int32_t eos = -1;
  int32_t pad = -1;
  // Tokens whose literal text (e.g. "<|endoftext|>") encode() turns into the token itself when
  // EncodeOptions::allow_special is set; otherwise that text is tokenized like any other.
  std::vector<int32_t> in_text;
};

struct EncodeOptions {
  bool allow_special = false;
};

// A model's embedding may have more rows than its tokenizer has tokens (padded vocabularies, e.g.
// Pythia's 50,277 tokens in 50,304 rows). The ids in [tokenizer vocab_size, model_vocab) are valid
// model outputs without token text: decode() turns them into nothing (as Hugging Face tokenizers
// do), or with `strict` into out_of_range. 0 (or a value <= the tokenizer's size) = no padding.
struct DecodeOptions {
  size_t model_vocab = 0;
  bool strict = false;
};

class Tokenizer {
 public:
  enum class Kind { byte_bpe, vocab };

  // Byte-level BPE. tokens[id] is each token spelled in GPT-2's byte-to-unicode alphabet (as in
  // vocab.json / tokenizer.json); all 256 single-byte tokens must be present. A token not spelled
  // in that alphabet (an added token such as "<|padding|>" in other vocabularies) stands for its
  // own UTF-8 text and is only produced through SpecialTokens::in_text. merges[rank] is "left right"
  // (merges.txt lines; an optional leading "#version" line and empty lines are skipped); both
  // parts and their concatenation must be tokens. A pair listed twice keeps its first rank.
  // Errors: Status::bad_tokenizer naming the offending entry, invalid_argument for a null out.
  static Error create_byte_bpe(std::vector<std::string> tokens, std::vector<std::string> merges,
                               SpecialTokens special, std::unique_ptr<Tokenizer>* out);

  // Plain vocabulary: tokens[id] is the token's text; encode() takes the longest token matching
  // at each position. Errors as for create_byte_bpe.
  static Error create_vocab(std::vector<std::string> tokens, SpecialTokens special,
                            std::unique_ptr<Tokenizer>* out);

  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Replaces *ids with the tokens of text (UTF-8; for byte-level BPE, invalid UTF-8 is encoded
  // byte by byte). Errors: invalid_argument for a null ids, or (vocab tokenizers) text with no
  // matching token, naming the character and its byte offset.
  Error encode(std::string_view text, std::vector<int32_t>* ids, EncodeOptions options = {}) const;

  // Replaces *text with the bytes the ids stand for (which need not be valid UTF-8 when a
  // multi-byte character is split across ids); padding ids (see DecodeOptions) add nothing.
  // Errors: out_of_range naming the id and its index (outside the model's vocabulary, or a
  // padding id with options.strict).
  Error decode(const int32_t* ids, size_t n, std::string* text, DecodeOptions options = {}) const;

  // Replaces *text with the bytes of one token. Errors: out_of_range.
  Error token_text(int32_t id, std::string* text) const;

  // The id of a token given as spelled in the vocabulary (e.g. "<|endoftext|>", "Ġthe").
  // Errors: invalid_argument when there is no such token.
  Error find_token(std::string_view token, int32_t* id) const;

  size_t vocab_size() const noexcept;
  Kind kind() const noexcept;
  const SpecialTokens& special_tokens() const noexcept;

 private:
  explicit Tokenizer(std::unique_ptr<tok::TokenizerImpl> impl) noexcept;
  template <class Build>
  static Error create_checked(Build build, SpecialTokens special, std::unique_ptr<Tokenizer>* out);
  std::unique_ptr<tok::TokenizerImpl> impl_;
};

}  // namespace cbk
