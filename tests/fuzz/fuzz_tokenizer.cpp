// libFuzzer target for the tokenizers (runtime/tokenizer): byte-level BPE and plain vocabulary.
//
// Byte 0 picks the check, the rest is its input:
//  0 BPE encode: any bytes encode; ids are in the vocabulary; decode(encode(x)) == x (with and
//    without special-token matching); encoding twice gives the same ids (the piece cache).
//  1 vocabulary encode: either ids whose decode is the text, or invalid_argument with a message.
//  2, 3 decode an arbitrary id list (BPE, vocabulary): ids in the vocabulary decode to the
//    concatenation of their token texts; any other id is refused with out_of_range or, when
//    accepted, contributes nothing.
//  4, 5 build a tokenizer from hostile tables (lines of the input: tokens, then "--", then
//    merges): created or refused with bad_tokenizer, never a crash; a created one round-trips.
// The fixed tokenizers are small hand-made tables (fixtures), so every merge is reachable.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "runtime/tokenizer/byte_unicode.hpp"
#include "runtime/tokenizer/tokenizer.hpp"

namespace {

using cbk::Status;
using cbk::Tokenizer;

[[noreturn]] void fail(const char* why, const std::string& detail = "") {
  std::fprintf(stderr, "fuzz_tokenizer: %s %s\n", why, detail.c_str());
  __builtin_trap();
}

std::string spelled(std::string_view bytes) {
  std::string s;
  cbk::tok::bytes_to_unicode(bytes, &s);
  return s;
}

// 256 byte tokens, merges of common pairs (ASCII words, spaces, newlines, digits and split UTF-8
// characters), and two special tokens.
std::unique_ptr<Tokenizer> make_bpe() {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(cbk::tok::byte_to_unicode(static_cast<std::uint8_t>(b)));
  const std::pair<const char*, const char*> pairs[] = {
      {" ", "t"}, {"h", "e"}, {" t", "he"}, {"i", "n"}, {"e", "r"}, {"o", "n"}, {" ", "a"}, {" ", "s"},
      {"a", "n"}, {"r", "e"}, {"in", "g"}, {" ", " "}, {"  ", "  "}, {"\n", "\n"}, {"'", "s"}, {"1", "2"},
      {"12", "3"}, {"\xC3", "\xA9"}, {"\xE4", "\xB8"}, {"\xE4\xB8", "\xAD"}, {" ", "\xE4\xB8\xAD"}, {"e", "n"}};
  std::vector<std::string> merges = {"#version: 0.2"};
  for (const auto& [l, r] : pairs) {
    merges.push_back(spelled(l) + " " + spelled(r));
    tokens.push_back(spelled(std::string(l) + r));
  }
  merges.push_back(spelled("h") + " " + spelled("e"));  // a repeated pair keeps its first rank
  merges.push_back("");
  tokens.push_back("<|endoftext|>");
  tokens.push_back("<|padding|>");
  cbk::SpecialTokens special;
  special.eos = static_cast<std::int32_t>(tokens.size() - 2);
  special.pad = static_cast<std::int32_t>(tokens.size() - 1);
  special.in_text = {special.eos, special.pad};
  std::unique_ptr<Tokenizer> tk;
  const cbk::Error e = Tokenizer::create_byte_bpe(tokens, merges, special, &tk);
  if (!e.ok()) fail("fixture BPE refused:", e.message);
  return tk;
}

std::unique_ptr<Tokenizer> make_vocab() {
  std::vector<std::string> tokens;
  for (char d = '0'; d <= '9'; ++d) tokens.emplace_back(1, d);
  for (const char* t : {"<|endoftext|>", "a", "ab", "abc", "b", " ", "\xC3\xA9", "\xE4\xB8\xAD", "\n"}) tokens.emplace_back(t);
  cbk::SpecialTokens special;
  special.bos = special.eos = 10;
  special.in_text = {10};
  std::unique_ptr<Tokenizer> tk;
  const cbk::Error e = Tokenizer::create_vocab(tokens, special, &tk);
  if (!e.ok()) fail("fixture vocabulary refused:", e.message);
  return tk;
}

const Tokenizer& bpe() {
  static const std::unique_ptr<Tokenizer> tk = make_bpe();
  return *tk;
}

const Tokenizer& vocab() {
  static const std::unique_ptr<Tokenizer> tk = make_vocab();
  return *tk;
}

std::string decode_or_fail(const Tokenizer& tk, const std::vector<std::int32_t>& ids) {
  std::string text;
  const cbk::Error e = tk.decode(ids.data(), ids.size(), &text);
  if (!e.ok()) fail("decode of encoded ids failed:", e.message);
  return text;
}

void check_ids_in_vocab(const Tokenizer& tk, const std::vector<std::int32_t>& ids) {
  for (std::int32_t id : ids)
    if (id < 0 || static_cast<std::size_t>(id) >= tk.vocab_size()) fail("encode produced an id outside the vocabulary");
}

void bpe_encode(std::string_view text, bool special) {
  cbk::EncodeOptions opt;
  opt.allow_special = special;
  std::vector<std::int32_t> ids, again;
  cbk::Error e = bpe().encode(text, &ids, opt);
  if (!e.ok()) fail("BPE refused a text:", e.message);
  if (text.empty() != ids.empty()) fail("BPE: empty text <-> no ids broken");
  check_ids_in_vocab(bpe(), ids);
  if (decode_or_fail(bpe(), ids) != text) fail("BPE round trip changed the text");
  e = bpe().encode(text, &again, opt);
  if (!e.ok() || again != ids) fail("BPE encoding is not deterministic");
}

void vocab_encode(std::string_view text, bool special) {
  cbk::EncodeOptions opt;
  opt.allow_special = special;
  std::vector<std::int32_t> ids;
  const cbk::Error e = vocab().encode(text, &ids, opt);
  if (!e.ok()) {
    if (e.status != Status::invalid_argument || e.message.empty()) fail("vocabulary encode: wrong error:", e.message);
    return;
  }
  check_ids_in_vocab(vocab(), ids);
  if (decode_or_fail(vocab(), ids) != text) fail("vocabulary round trip changed the text");
}

void decode_ids(const Tokenizer& tk, FuzzedDataProvider& in) {
  const auto n = static_cast<std::int32_t>(tk.vocab_size());
  std::vector<std::int32_t> ids;
  while (in.remaining_bytes() > 0 && ids.size() < 4096)
    ids.push_back(in.ConsumeBool() ? in.ConsumeIntegralInRange<std::int32_t>(-3, n + 3) : in.ConsumeIntegral<std::int32_t>());
  std::string expected;
  bool all_known = true;
  for (std::int32_t id : ids) {
    if (id < 0 || id >= n) {
      all_known = false;
      continue;
    }
    std::string piece;
    const cbk::Error e = tk.token_text(id, &piece);
    if (!e.ok()) fail("token_text of an id in the vocabulary failed:", e.message);
    expected += piece;
  }
  std::string text = "unchanged";
  const cbk::Error e = tk.decode(ids.data(), ids.size(), &text);
  if (e.ok()) {
    if (text != expected) fail("decode differs from the concatenated token texts");
  } else if (all_known || e.status != Status::out_of_range || e.message.empty()) {
    fail("decode: wrong error:", e.message);
  }
}

std::vector<std::string> lines(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == '\n') {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

void hostile_tables(std::string_view input, bool byte_level) {
  std::vector<std::string> tokens, merges;
  bool in_merges = false;
  for (std::string& line : lines(input)) {
    if (line == "--") in_merges = true;
    else (in_merges ? merges : tokens).push_back(std::move(line));
  }
  cbk::SpecialTokens special;
  if (!tokens.empty()) special.in_text = {static_cast<std::int32_t>(tokens.size() - 1)};
  std::unique_ptr<Tokenizer> tk;
  if (byte_level) {
    // Most inputs would lack the 256 byte tokens; give them, so the merges are what gets fuzzed.
    std::vector<std::string> all;
    for (int b = 0; b < 256; ++b) all.push_back(cbk::tok::byte_to_unicode(static_cast<std::uint8_t>(b)));
    all.insert(all.end(), tokens.begin(), tokens.end());
    if (!special.in_text.empty()) special.in_text[0] += 256;
    const cbk::Error e = Tokenizer::create_byte_bpe(all, merges, special, &tk);
    if (!e.ok()) {
      if (e.status != Status::bad_tokenizer || e.message.empty()) fail("BPE tables: wrong error:", e.message);
      return;
    }
  } else {
    const cbk::Error e = Tokenizer::create_vocab(tokens, special, &tk);
    if (!e.ok()) {
      if (e.status != Status::bad_tokenizer || e.message.empty()) fail("vocabulary tables: wrong error:", e.message);
      return;
    }
  }
  cbk::EncodeOptions opt;
  opt.allow_special = true;
  for (const std::string_view text : {std::string_view(input), std::string_view("the 123 \xC3\xA9\xE4\xB8\xAD\n")}) {
    std::vector<std::int32_t> ids;
    const cbk::Error e = tk->encode(text, &ids, opt);
    if (!e.ok()) {
      if (byte_level || e.status != Status::invalid_argument) fail("created tokenizer: encode failed:", e.message);
      continue;
    }
    check_ids_in_vocab(*tk, ids);
    if (decode_or_fail(*tk, ids) != text) fail("created tokenizer: round trip changed the text");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  FuzzedDataProvider in(data + 1, size - 1);
  switch (mode % 6) {
    case 0: bpe_encode(rest, mode & 0x80); break;
    case 1: vocab_encode(rest, mode & 0x80); break;
    case 2: decode_ids(bpe(), in); break;
    case 3: decode_ids(vocab(), in); break;
    case 4: hostile_tables(rest, true); break;
    case 5: hostile_tables(rest, false); break;
  }
  return 0;
}
