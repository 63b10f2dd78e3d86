#include "runtime/tokenizer/tokenizer.hpp"

#include <cstdio>
#include <limits>
#include <new>
#include <stdexcept>
#include <utility>

#include "runtime/tokenizer/byte_bpe.hpp"
#include "runtime/tokenizer/tokenizer_impl.hpp"
#include "runtime/tokenizer/vocab_tokenizer.hpp"

namespace cbk {
namespace tok {

std::string quoted(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMax) out += "...";
  out += '"';
  return out;
}

Error init_vocab(std::vector<std::string> tokens, TokenizerImpl* impl) {
  if (tokens.empty()) return Error(Status::bad_tokenizer, "the vocabulary is empty");
  if (tokens.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Error(Status::bad_tokenizer,
                 "the vocabulary has " + std::to_string(tokens.size()) + " tokens, more than int32 ids allow");
  }
  impl->id_of_token.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].empty()) {
      return Error(Status::bad_tokenizer, "token id " + std::to_string(i) + " is empty");
    }
    const auto ins = impl->id_of_token.emplace(tokens[i], static_cast<int32_t>(i));
    if (!ins.second) {
      return Error(Status::bad_tokenizer, "duplicate token " + quoted(tokens[i]) + " at ids " +
                                              std::to_string(ins.first->second) + " and " + std::to_string(i));
    }
  }
  impl->vocab = std::move(tokens);
  return Error();
}

Error check_special(const SpecialTokens& special, const TokenizerImpl& impl) {
  const int64_t n = static_cast<int64_t>(impl.vocab.size());
  const auto bad = [&](const char* what, int32_t id) {
    return Error(Status::bad_tokenizer, std::string("special token ") + what + " id " + std::to_string(id) +
                                            " is outside the vocabulary (size " + std::to_string(n) + ")");
  };
  if (special.bos < -1 || special.bos >= n) return bad("bos", special.bos);
  if (special.eos < -1 || special.eos >= n) return bad("eos", special.eos);
  if (special.pad < -1 || special.pad >= n) return bad("pad", special.pad);
  for (int32_t id : special.in_text) {
    if (id < 0 || id >= n) return bad("in_text", id);
  }
  return Error();
}

}  // namespace tok

namespace {

Error out_of_memory() { return Error(Status::out_of_memory, "tokenizer: out of memory"); }

// Position and id of the earliest special token text in text[from..]; the longest wins a tie.
// Returns false when there is none.
bool next_special(const tok::TokenizerImpl& impl, std::string_view text, size_t from, size_t* at,
                  int32_t* id) {
  bool found = false;
  for (int32_t sid : impl.special.in_text) {
    const std::string& s = impl.bytes[static_cast<size_t>(sid)];
    const size_t p = text.find(s, from);
    if (p == std::string_view::npos) continue;
    if (!found || p < *at || (p == *at && s.size() > impl.bytes[static_cast<size_t>(*id)].size())) {
      *at = p;
      *id = sid;
      found = true;
    }
  }
  return found;
}

}  // namespace

// Shared tail of the factories: build the implementation, check the special tokens against it,
// and turn allocation failures into out_of_memory.
template <class Build>
Error Tokenizer::create_checked(Build build, SpecialTokens special, std::unique_ptr<Tokenizer>* out) {
  try {
    std::unique_ptr<tok::TokenizerImpl> impl;
    Error err = build(&impl);
    if (!err.ok()) return err;
    err = tok::check_special(special, *impl);
    if (!err.ok()) return err;
    impl->special = std::move(special);
    out->reset(new Tokenizer(std::move(impl)));
    return Error();
  } catch (const std::bad_alloc&) {
    return out_of_memory();
  } catch (const std::length_error&) {
    return out_of_memory();
  }
}

Tokenizer::Tokenizer(std::unique_ptr<tok::TokenizerImpl> impl) noexcept : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

Error Tokenizer::create_byte_bpe(std::vector<std::string> tokens, std::vector<std::string> merges,
                                 SpecialTokens special, std::unique_ptr<Tokenizer>* out) {
  if (out == nullptr) return Error(Status::invalid_argument, "create_byte_bpe: out is null");
  return create_checked(
      [&](std::unique_ptr<tok::TokenizerImpl>* impl) {
        return tok::ByteBpe::create(std::move(tokens), std::move(merges), impl);
      },
      std::move(special), out);
}

Error Tokenizer::create_vocab(std::vector<std::string> tokens, SpecialTokens special,
                              std::unique_ptr<Tokenizer>* out) {
  if (out == nullptr) return Error(Status::invalid_argument, "create_vocab: out is null");
  return create_checked(
      [&](std::unique_ptr<tok::TokenizerImpl>* impl) { return tok::VocabTokenizer::create(std::move(tokens), impl); },
      std::move(special), out);
}

Error Tokenizer::encode(std::string_view text, std::vector<int32_t>* ids, EncodeOptions options) const {
  if (ids == nullptr) return Error(Status::invalid_argument, "encode: ids is null");
  ids->clear();
  try {
    if (!options.allow_special || impl_->special.in_text.empty()) return impl_->encode_ordinary(text, ids);
    size_t pos = 0;
    size_t at = 0;
    int32_t id = 0;
    while (next_special(*impl_, text, pos, &at, &id)) {
      Error err = impl_->encode_ordinary(text.substr(pos, at - pos), ids);
      if (!err.ok()) return err;
      ids->push_back(id);
      pos = at + impl_->bytes[static_cast<size_t>(id)].size();
    }
    return impl_->encode_ordinary(text.substr(pos), ids);
  } catch (const std::bad_alloc&) {
    return out_of_memory();
  } catch (const std::length_error&) {
    return out_of_memory();
  }
}

Error Tokenizer::decode(const int32_t* ids, size_t n, std::string* text, DecodeOptions options) const {
  if (text == nullptr || (ids == nullptr && n > 0)) {
    return Error(Status::invalid_argument, "decode: null ids or text");
  }
  text->clear();
  try {
    const size_t size = impl_->bytes.size();
    const size_t model_vocab = options.model_vocab > size ? options.model_vocab : size;
    for (size_t i = 0; i < n; ++i) {
      const auto id = static_cast<size_t>(ids[i]);
      if (ids[i] >= 0 && id < size) {
        *text += impl_->bytes[id];
      } else if (ids[i] < 0 || id >= model_vocab) {
        return Error(Status::out_of_range, "decode: token id " + std::to_string(ids[i]) + " at index " +
                                               std::to_string(i) + " is outside the vocabulary (size " +
                                               std::to_string(model_vocab) + ")");
      } else if (options.strict) {
        return Error(Status::out_of_range,
                     "decode: token id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                         " has no token text (a padding row: the tokenizer knows " + std::to_string(size) +
                         " of the model's " + std::to_string(model_vocab) + " ids)");
      }
    }
    return Error();
  } catch (const std::bad_alloc&) {
    return out_of_memory();
  } catch (const std::length_error&) {
    return out_of_memory();
  }
}

Error Tokenizer::token_text(int32_t id, std::string* text) const {
  if (text == nullptr) return Error(Status::invalid_argument, "token_text: text is null");
  return decode(&id, 1, text);
}

Error Tokenizer::find_token(std::string_view token, int32_t* id) const {
  if (id == nullptr) return Error(Status::invalid_argument, "find_token: id is null");
  try {
    const auto it = impl_->id_of_token.find(std::string(token));
    if (it == impl_->id_of_token.end()) {
      return Error(Status::invalid_argument, "no token " + tok::quoted(token) + " in the vocabulary");
    }
    *id = it->second;
    return Error();
  } catch (const std::bad_alloc&) {
    return out_of_memory();
  }
}

size_t Tokenizer::vocab_size() const noexcept { return impl_->vocab.size(); }
Tokenizer::Kind Tokenizer::kind() const noexcept { return impl_->kind; }
const SpecialTokens& Tokenizer::special_tokens() const noexcept { return impl_->special; }

}  // namespace cbk
