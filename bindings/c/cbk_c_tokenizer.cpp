// C API: tokenizer facts, tokenize and detokenize (two-call buffer pattern).
#include <cstdint>

#include "bindings/c/cbk_c_internal.hpp"

using cbk::Status;
using cbk::capi::fail;
using cbk::capi::guarded;
using cbk::capi::null_argument;

namespace {

constexpr uint32_t kKnownTokenizeFlags = CBK_TOKENIZE_ADD_BOS | CBK_TOKENIZE_ALLOW_SPECIAL;
constexpr uint32_t kKnownDetokenizeFlags = CBK_DETOKENIZE_STRICT;

cbk_status get_tokenizer(const cbk_model* model, const char* fn, const cbk::Tokenizer** out) {
  if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
  *out = model->prepared->tokenizer();
  if (*out == nullptr) return fail(Status::unsupported, fn, "the model file has no tokenizer");
  return CBK_STATUS_OK;
}

// cbk_detokenize(_ex): `fn` names the entry point in error messages.
cbk_status detokenize(const cbk_model* model, const int32_t* tokens, size_t n_tokens, uint32_t flags, char* text,
                      size_t capacity, size_t* length_out, const char* fn) {
  return guarded(fn, [&] {
    const cbk::Tokenizer* tok = nullptr;
    if (cbk_status st = get_tokenizer(model, fn, &tok)) return st;
    if (length_out == nullptr) return null_argument(fn, "length_out");
    if (tokens == nullptr && n_tokens != 0) return fail(Status::invalid_argument, fn, "tokens is NULL but n_tokens > 0");
    if (text == nullptr && capacity != 0) return fail(Status::invalid_argument, fn, "text is NULL but capacity > 0");
    if ((flags & ~kKnownDetokenizeFlags) != 0)
      return fail(Status::invalid_argument, fn, "unknown flag bits " + std::to_string(flags & ~kKnownDetokenizeFlags));
    cbk::DecodeOptions options;
    options.model_vocab = model->prepared->arch().vocab_size;
    options.strict = (flags & CBK_DETOKENIZE_STRICT) != 0;
    std::string bytes;
    if (n_tokens != 0) {
      if (cbk::Error e = tok->decode(tokens, n_tokens, &bytes, options); !e.ok()) return fail(e.status, fn, e.message);
    }
    *length_out = bytes.size();
    if (capacity < bytes.size() + 1)
      return fail(Status::buffer_too_small, fn, "the text needs " + std::to_string(bytes.size() + 1) +
                                                    " bytes with its terminator but the buffer holds " +
                                                    std::to_string(capacity));
    std::memcpy(text, bytes.data(), bytes.size());
    text[bytes.size()] = '\0';
    return CBK_STATUS_OK;
  });
}

}  // namespace

extern "C" {

cbk_status cbk_model_tokenizer_info(const cbk_model* model, cbk_tokenizer_info* out) {
  static const char* fn = "cbk_model_tokenizer_info";
  return guarded(fn, [&] {
    if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
    cbk_tokenizer_info v{};
    v.struct_size = sizeof(v);
    v.kind = "";
    v.bos = v.eos = v.pad = -1;
    if (const cbk::Tokenizer* t = model->prepared->tokenizer()) {
      const cbk::TokenizerData& data = model->model().tokenizer();
      v.has_tokenizer = 1;
      v.kind = t->kind() == cbk::Tokenizer::Kind::byte_bpe ? "byte_bpe" : "vocab";
      v.vocab_size = static_cast<uint32_t>(t->vocab_size());
      v.bos = t->special_tokens().bos;
      v.eos = t->special_tokens().eos;
      v.pad = t->special_tokens().pad;
      v.add_bos = data.add_bos ? 1 : 0;
    }
    return cbk::capi::write_out(out, v, fn);
  });
}

cbk_status cbk_tokenize(const cbk_model* model, const char* text, size_t text_len, uint32_t flags, int32_t* tokens,
                        size_t capacity, size_t* n_tokens_out) {
  static const char* fn = "cbk_tokenize";
  return guarded(fn, [&] {
    const cbk::Tokenizer* tok = nullptr;
    if (cbk_status st = get_tokenizer(model, fn, &tok)) return st;
    if (n_tokens_out == nullptr) return null_argument(fn, "n_tokens_out");
    if (text == nullptr && text_len != 0) return fail(Status::invalid_argument, fn, "text is NULL but text_len > 0");
    if (tokens == nullptr && capacity != 0) return fail(Status::invalid_argument, fn, "tokens is NULL but capacity > 0");
    if ((flags & ~kKnownTokenizeFlags) != 0)
      return fail(Status::invalid_argument, fn, "unknown flag bits " + std::to_string(flags & ~kKnownTokenizeFlags));
    std::vector<int32_t> ids;
    cbk::EncodeOptions options;
    options.allow_special = (flags & CBK_TOKENIZE_ALLOW_SPECIAL) != 0;
    if (cbk::Error e = tok->encode(std::string_view(text == nullptr ? "" : text, text_len), &ids, options); !e.ok())
      return fail(e.status, fn, e.message);
    const int32_t bos = tok->special_tokens().bos;
    if ((flags & CBK_TOKENIZE_ADD_BOS) != 0 && bos >= 0) ids.insert(ids.begin(), bos);
    *n_tokens_out = ids.size();
    if (capacity < ids.size())
      return fail(Status::buffer_too_small, fn, "the text has " + std::to_string(ids.size()) +
                                                    " tokens but the buffer holds " + std::to_string(capacity));
    std::copy(ids.begin(), ids.end(), tokens);
    return CBK_STATUS_OK;
  });
}

cbk_status cbk_detokenize(const cbk_model* model, const int32_t* tokens, size_t n_tokens, char* text, size_t capacity,
                          size_t* length_out) {
  return detokenize(model, tokens, n_tokens, 0, text, capacity, length_out, "cbk_detokenize");
}

cbk_status cbk_detokenize_ex(const cbk_model* model, const int32_t* tokens, size_t n_tokens, uint32_t flags,
                             char* text, size_t capacity, size_t* length_out) {
  return detokenize(model, tokens, n_tokens, flags, text, capacity, length_out, "cbk_detokenize_ex");
}

}  // extern "C"
