// GPT-2 pre-tokenizer, code point classes and the two merge loops (internal headers).
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "runtime/tokenizer/bpe_merge.hpp"
#include "runtime/tokenizer/byte_unicode.hpp"
#include "runtime/tokenizer/pretokenize.hpp"
#include "runtime/tokenizer/unicode_class.hpp"

using cbk::tok::CpClass;

namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  cbk::tok::Gpt2Pretokenizer pre(text);
  std::string_view piece;
  while (pre.next(&piece)) out.emplace_back(piece);
  return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("pre-tokenizer follows the GPT-2 pattern", "[tokenizer][pretokenize]") {
  CHECK(split("").empty());
  CHECK(split("Hello world") == V{"Hello", " world"});
  CHECK(split("a   b") == V{"a", "  ", " b"});
  CHECK(split("a\t\tb") == V{"a", "\t", "\t", "b"});
  CHECK(split("x  ") == V{"x", "  "});
  CHECK(split(" ") == V{" "});
  CHECK(split("it's") == V{"it", "'s"});
  CHECK(split("IT'S") == V{"IT", "'", "S"});
  CHECK(split("we'll've") == V{"we", "'ll", "'ve"});
  CHECK(split("'''s") == V{"'''", "s"});
  CHECK(split(" 's") == V{" '", "s"});
  CHECK(split("12abc 3.5") == V{"12", "abc", " 3", ".", "5"});
  CHECK(split("e\xCC\x81") == V{"e", "\xCC\x81"});               // combining acute is not \p{L}
  CHECK(split("\xE4\xB8\xAD\xE6\x96\x87!") == V{"\xE4\xB8\xAD\xE6\x96\x87", "!"});  // 中文!
  CHECK(split("a \xE3\x80\x80 b") == V{"a", " \xE3\x80\x80", " b"});  // U+3000 is White_Space
}

// JavaScript's \s (and so gpt-tokenizer) differs from Unicode White_Space here; we follow
// White_Space like Hugging Face tokenizers and tiktoken.
TEST_CASE("pre-tokenizer uses Unicode White_Space for NEL and BOM", "[tokenizer][pretokenize]") {
  CHECK(split("a\xC2\x85\xC2\x85" "b") == V{"a", "\xC2\x85", "\xC2\x85", "b"});  // U+0085 is space
  CHECK(split("a\xEF\xBB\xBF" "b") == V{"a", "\xEF\xBB\xBF", "b"});              // U+FEFF is not
}

TEST_CASE("pre-tokenizer splits invalid UTF-8 byte by byte", "[tokenizer][pretokenize]") {
  CHECK(split("ab\xFF\xFE" "cd") == V{"ab", "\xFF\xFE", "cd"});
  CHECK(split("x\xE4\xB8") == V{"x", "\xE4\xB8"});           // truncated sequence at the end
  CHECK(split("\xC0\xAF" "a") == V{"\xC0\xAF", "a"});        // overlong '/'
  CHECK(split("\xED\xA0\x80") == V{"\xED\xA0\x80"});         // UTF-16 surrogate
  CHECK(split(" \x80") == V{" \x80"});
  CHECK(split(std::string("a\0b", 3)) == V{"a", std::string("\0", 1), "b"});
}

TEST_CASE("code point classes", "[tokenizer][unicode]") {
  CHECK(cbk::tok::classify('a') == CpClass::kLetter);
  CHECK(cbk::tok::classify('5') == CpClass::kNumber);
  CHECK(cbk::tok::classify(' ') == CpClass::kSpace);
  CHECK(cbk::tok::classify('\n') == CpClass::kSpace);
  CHECK(cbk::tok::classify('!') == CpClass::kOther);
  CHECK(cbk::tok::classify(0x4E2D) == CpClass::kLetter);   // 中
  CHECK(cbk::tok::classify(0x0301) == CpClass::kOther);    // combining acute (Mn)
  CHECK(cbk::tok::classify(0x00BD) == CpClass::kNumber);   // ½
  CHECK(cbk::tok::classify(0x2167) == CpClass::kNumber);   // Ⅷ (Nl)
  CHECK(cbk::tok::classify(0x3000) == CpClass::kSpace);
  CHECK(cbk::tok::classify(0x1F600) == CpClass::kOther);   // 😀
  CHECK(cbk::tok::classify(0x20000) == CpClass::kLetter);  // CJK extension B
  CHECK(cbk::tok::classify(0x10FFFF) == CpClass::kOther);
  for (size_t i = 1; i < cbk::tok::kCpRangeCount; ++i) {
    REQUIRE(cbk::tok::kCpRanges[i - 1].hi < cbk::tok::kCpRanges[i].lo);
  }
}

TEST_CASE("byte-to-unicode alphabet round-trips every byte", "[tokenizer][unicode]") {
  CHECK(cbk::tok::byte_to_unicode(' ') == "\xC4\xA0");   // Ġ
  CHECK(cbk::tok::byte_to_unicode('\n') == "\xC4\x8A");  // Ċ
  CHECK(cbk::tok::byte_to_unicode('A') == "A");
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  std::string spelled;
  cbk::tok::bytes_to_unicode(all, &spelled);
  std::string back;
  REQUIRE(cbk::tok::unicode_to_bytes(spelled, &back));
  CHECK(back == all);
  CHECK_FALSE(cbk::tok::unicode_to_bytes(" ", &back));  // U+0020 is not in the alphabet
}

TEST_CASE("heap and rescan merge loops agree", "[tokenizer][bpe]") {
  // Random merge tables over a 4-symbol alphabet, including equal-symbol pairs ("a a") whose
  // overlapping occurrences must merge leftmost first.
  std::mt19937 rng(12345);
  for (int table = 0; table < 20; ++table) {
    cbk::tok::MergeTable merges;
    merges.reserve(64);
    int32_t next_id = 4;
    std::vector<int32_t> ids = {0, 1, 2, 3};
    for (int32_t rank = 0; rank < 40; ++rank) {
      const int32_t l = ids[rng() % ids.size()];
      const int32_t r = ids[rng() % ids.size()];
      if (merges.insert(l, r, cbk::tok::Merge{rank, next_id})) ids.push_back(next_id++);
    }
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<int32_t> word(1 + rng() % 200);
      for (auto& w : word) w = static_cast<int32_t>(rng() % 4);
      std::vector<int32_t> heap = word;
      std::vector<int32_t> rescan = word;
      cbk::tok::bpe_merge(merges, &heap, 0);
      cbk::tok::bpe_merge(merges, &rescan, SIZE_MAX);
      REQUIRE(heap == rescan);
    }
  }
}

TEST_CASE("equal-rank merges go leftmost first", "[tokenizer][bpe]") {
  cbk::tok::MergeTable merges;
  merges.reserve(4);
  merges.insert(0, 0, cbk::tok::Merge{0, 1});  // "a a" -> "aa"
  for (size_t threshold : {size_t{0}, SIZE_MAX}) {
    std::vector<int32_t> w = {0, 0, 0};
    cbk::tok::bpe_merge(merges, &w, threshold);
    CHECK(w == std::vector<int32_t>{1, 0});
  }
}
