// cbk::Tokenizer on small hand-made vocabularies: creation checks, errors, special tokens and the
// plain vocabulary (TokFSM) tokenizer.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "runtime/tokenizer/byte_unicode.hpp"
#include "runtime/tokenizer/tokenizer.hpp"

using cbk::Status;

namespace {

// The 256 byte tokens (id = byte value) followed by extra tokens.
std::vector<std::string> byte_vocab(std::vector<std::string> extra = {}) {
  std::vector<std::string> t;
  for (int b = 0; b < 256; ++b) t.push_back(cbk::tok::byte_to_unicode(static_cast<uint8_t>(b)));
  t.insert(t.end(), extra.begin(), extra.end());
  return t;
}

const std::string kG = "\xC4\xA0";  // Ġ, the alphabet's space

std::unique_ptr<cbk::Tokenizer> small_bpe() {
  // ids 256.. : "Ġt" "he" "Ġthe" "<|endoftext|>"
  auto tokens = byte_vocab({kG + "t", "he", kG + "the", "<|endoftext|>"});
  std::vector<std::string> merges = {"#version: 0.2", kG + " t", "h e", kG + "t he", ""};
  cbk::SpecialTokens sp;
  sp.eos = 259;
  sp.in_text = {259};
  std::unique_ptr<cbk::Tokenizer> tk;
  const cbk::Error err = cbk::Tokenizer::create_byte_bpe(tokens, merges, sp, &tk);
  INFO(err.message);
  REQUIRE(err.ok());
  return tk;
}

std::vector<int32_t> enc(const cbk::Tokenizer& tk, const std::string& text, bool special = false) {
  std::vector<int32_t> ids;
  cbk::EncodeOptions opt;
  opt.allow_special = special;
  const cbk::Error err = tk.encode(text, &ids, opt);
  INFO(err.message);
  REQUIRE(err.ok());
  return ids;
}

cbk::Error make_bpe(std::vector<std::string> tokens, std::vector<std::string> merges,
                    cbk::SpecialTokens sp = {}) {
  std::unique_ptr<cbk::Tokenizer> tk;
  return cbk::Tokenizer::create_byte_bpe(std::move(tokens), std::move(merges), sp, &tk);
}

using Ids = std::vector<int32_t>;

}  // namespace

TEST_CASE("byte BPE merges and decodes", "[tokenizer][bpe]") {
  const auto tk = small_bpe();
  CHECK(tk->kind() == cbk::Tokenizer::Kind::byte_bpe);
  CHECK(tk->vocab_size() == 260);
  CHECK(enc(*tk, " the") == Ids{258});
  CHECK(enc(*tk, "the the") == Ids{'t', 257, 258});
  std::string text;
  const Ids ids = {'t', 257, 258};
  REQUIRE(tk->decode(ids.data(), ids.size(), &text).ok());
  CHECK(text == "the the");
}

TEST_CASE("byte BPE encodes invalid UTF-8 byte by byte and round-trips it", "[tokenizer][bpe]") {
  const auto tk = small_bpe();
  const std::string bad = "\xFF\xFE the \xE4\xB8 \xC0\xAF";
  const Ids ids = enc(*tk, bad);
  CHECK(ids.front() == 0xFF);
  std::string text;
  REQUIRE(tk->decode(ids.data(), ids.size(), &text).ok());
  CHECK(text == bad);
}

TEST_CASE("special token text is the special token only when asked", "[tokenizer][special]") {
  const auto tk = small_bpe();
  CHECK(enc(*tk, "a<|endoftext|>b", true) == Ids{'a', 259, 'b'});
  const Ids plain = enc(*tk, "a<|endoftext|>b", false);
  CHECK(plain.size() > 3);
  std::string text;
  REQUIRE(tk->decode(plain.data(), plain.size(), &text).ok());
  CHECK(text == "a<|endoftext|>b");
  const Ids eot = {259};
  REQUIRE(tk->decode(eot.data(), 1, &text).ok());
  CHECK(text == "<|endoftext|>");
}

TEST_CASE("a token spelled outside the byte alphabet stands for its own text", "[tokenizer][special]") {
  // Like an added token of another vocabulary; "\xE2\x96\x81" (U+2581) is not in the alphabet.
  const std::string added = "<\xE2\x96\x81pad>";
  cbk::SpecialTokens sp;
  sp.pad = 256;
  sp.in_text = {256};
  std::unique_ptr<cbk::Tokenizer> tk;
  REQUIRE(cbk::Tokenizer::create_byte_bpe(byte_vocab({added}), {}, sp, &tk).ok());
  std::string text;
  REQUIRE(tk->token_text(256, &text).ok());
  CHECK(text == added);
  CHECK(enc(*tk, "x" + added, true) == Ids{'x', 256});
  CHECK(enc(*tk, added).size() == added.size());  // not asked: plain bytes
}

TEST_CASE("decode and token_text reject ids outside the vocabulary", "[tokenizer][errors]") {
  const auto tk = small_bpe();
  std::string text;
  const Ids ids = {1, 260};
  const cbk::Error err = tk->decode(ids.data(), ids.size(), &text);
  CHECK(err.status == Status::out_of_range);
  CHECK(err.message.find("260") != std::string::npos);
  CHECK(tk->token_text(-1, &text).status == Status::out_of_range);
  CHECK(tk->encode("x", nullptr).status == Status::invalid_argument);
  int32_t id = 0;
  CHECK(tk->find_token("nope", &id).status == Status::invalid_argument);
}

TEST_CASE("padding ids of a larger model vocabulary decode to nothing unless strict", "[tokenizer]") {
  const auto tk = small_bpe();  // 260 tokens; say the model's embedding has 264 rows
  cbk::DecodeOptions options;
  options.model_vocab = 264;
  std::string text = "old";
  const Ids ids = {263, 'a', 258, 260, 259};  // padding, "a", "Ġthe", padding, "<|endoftext|>"
  REQUIRE(tk->decode(ids.data(), ids.size(), &text, options).ok());
  CHECK(text == "a the<|endoftext|>");
  options.strict = true;
  cbk::Error err = tk->decode(ids.data(), ids.size(), &text, options);
  CHECK(err.status == Status::out_of_range);
  CHECK(err.message.find("token id 263 at index 0 has no token text") != std::string::npos);
  options.strict = false;
  const Ids past = {1, 264};
  err = tk->decode(past.data(), past.size(), &text, options);
  CHECK(err.status == Status::out_of_range);
  CHECK(err.message.find("token id 264 at index 1 is outside the vocabulary (size 264)") != std::string::npos);
  options.model_vocab = 100;  // below the tokenizer's own size: no padding
  CHECK(tk->decode(ids.data() + 1, 1, &text, options).ok());
  CHECK(tk->decode(ids.data(), 1, &text, options).status == Status::out_of_range);
}

TEST_CASE("byte BPE creation rejects bad tables", "[tokenizer][errors]") {
  cbk::Error err;
  SECTION("missing byte token") {
    auto tokens = byte_vocab();
    tokens[10] = "x10";  // byte 0x0A's token ("Ċ") is gone
    err = make_bpe(tokens, {});
    CHECK(err.message.find("0x0A") != std::string::npos);
  }
  SECTION("duplicate token") {
    err = make_bpe(byte_vocab({"ab", "ab"}), {});
    CHECK(err.message.find("\"ab\"") != std::string::npos);
    CHECK(err.message.find("256 and 257") != std::string::npos);
  }
  SECTION("empty token") { err = make_bpe(byte_vocab({""}), {}); }
  SECTION("empty vocabulary") { err = make_bpe({}, {}); }
  SECTION("merge part not in vocabulary") {
    err = make_bpe(byte_vocab({"ab"}), {"a b", "zz b"});
    CHECK(err.message.find("merge 1") != std::string::npos);
    CHECK(err.message.find("\"zz\"") != std::string::npos);
  }
  SECTION("merge result not in vocabulary") {
    err = make_bpe(byte_vocab(), {"a b"});
    CHECK(err.message.find("\"ab\"") != std::string::npos);
  }
  SECTION("malformed merge") {
    err = make_bpe(byte_vocab({"ab"}), {"a  b"});
    CHECK(err.message.find("one space") != std::string::npos);
  }
  SECTION("special id out of range") {
    cbk::SpecialTokens sp;
    sp.eos = 256;
    err = make_bpe(byte_vocab(), {}, sp);
    CHECK(err.message.find("eos") != std::string::npos);
  }
  CHECK(err.status == Status::bad_tokenizer);
  CHECK_FALSE(err.message.empty());
}

TEST_CASE("null out pointer is an invalid argument", "[tokenizer][errors]") {
  CHECK(cbk::Tokenizer::create_byte_bpe(byte_vocab(), {}, {}, nullptr).status == Status::invalid_argument);
  CHECK(cbk::Tokenizer::create_vocab({"a"}, {}, nullptr).status == Status::invalid_argument);
}

namespace {

std::unique_ptr<cbk::Tokenizer> tokfsm() {
  std::vector<std::string> tokens;
  for (char d = '0'; d <= '9'; ++d) tokens.emplace_back(1, d);
  tokens.emplace_back("<|endoftext|>");
  cbk::SpecialTokens sp;
  sp.eos = 10;
  sp.bos = 10;
  std::unique_ptr<cbk::Tokenizer> tk;
  REQUIRE(cbk::Tokenizer::create_vocab(tokens, sp, &tk).ok());
  return tk;
}

}  // namespace

TEST_CASE("TokFSM vocabulary tokenizer", "[tokenizer][vocab]") {
  const auto tk = tokfsm();
  CHECK(tk->kind() == cbk::Tokenizer::Kind::vocab);
  CHECK(tk->vocab_size() == 11);
  CHECK(enc(*tk, "0123<|endoftext|>9") == Ids{0, 1, 2, 3, 10, 9});
  CHECK(enc(*tk, "").empty());
  std::string text;
  const Ids ids = {10, 4, 2};
  REQUIRE(tk->decode(ids.data(), ids.size(), &text).ok());
  CHECK(text == "<|endoftext|>42");
  const Ids bad = {11};
  CHECK(tk->decode(bad.data(), 1, &text).status == Status::out_of_range);
}

TEST_CASE("TokFSM names an unknown character and its offset", "[tokenizer][vocab][errors]") {
  const auto tk = tokfsm();
  std::vector<int32_t> ids;
  cbk::Error err = tk->encode("123x5", &ids);
  CHECK(err.status == Status::invalid_argument);
  CHECK(err.message.find("\"x\"") != std::string::npos);
  CHECK(err.message.find("offset 3") != std::string::npos);
  err = tk->encode("1\xC3\xA9", &ids);  // é
  CHECK(err.message.find("U+00E9") != std::string::npos);
  CHECK(err.message.find("offset 1") != std::string::npos);
  err = tk->encode("<|endoftext|", &ids);  // prefix of a token only
  CHECK(err.message.find("offset 0") != std::string::npos);
  err = tk->encode("7\xFF", &ids);
  CHECK(err.message.find("0xFF") != std::string::npos);
}

TEST_CASE("vocabulary tokenizer takes the longest match", "[tokenizer][vocab]") {
  std::unique_ptr<cbk::Tokenizer> tk;
  REQUIRE(cbk::Tokenizer::create_vocab({"a", "ab", "abc", "b", "c"}, {}, &tk).ok());
  CHECK(enc(*tk, "abcab") == Ids{2, 1});
  CHECK(enc(*tk, "abba") == Ids{1, 3, 0});
  CHECK(cbk::Tokenizer::create_vocab({"a", "a"}, {}, &tk).status == Status::bad_tokenizer);
}
