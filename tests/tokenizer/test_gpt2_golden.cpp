// GPT-2 byte-level BPE against golden ids from npm gpt-tokenizer (r50k_base), written by
// gen_gpt2_golden.js (the ctest fixture). The program reports "skipped" (exit 77, through the shared
// test main's hook) when the golden files could not be made (node_modules missing).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_main.hpp"
#include "tests/tokenizer/gpt2_golden_data.hpp"

namespace {

std::string escaped(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out.size() > 300 ? out.substr(0, 300) + "..." : out;
}

std::string ids_text(const std::vector<int32_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < 60; ++i) out += std::to_string(ids[i]) + " ";
  if (ids.size() > 60) out += "... (" + std::to_string(ids.size()) + " ids)";
  return out;
}

// Encodes every case; returns the number of mismatches and reports the first few.
size_t count_mismatches(const cbk_test::Gpt2Golden& g) {
  size_t bad = 0;
  std::vector<int32_t> ids;
  for (const auto& c : g.cases) {
    cbk::EncodeOptions opt;
    opt.allow_special = c.special;
    const cbk::Error err = g.tokenizer->encode(c.text, &ids, opt);
    if (err.ok() && ids == c.ids) continue;
    if (++bad <= 10) {
      UNSCOPED_INFO("text \"" << escaped(c.text) << "\" special=" << c.special << "\n  ours:   "
                              << ids_text(ids) << " (" << err.message << ")\n  golden: " << ids_text(c.ids));
    }
  }
  return bad;
}

}  // namespace

TEST_CASE("GPT-2 BPE gives gpt-tokenizer's ids on the corpus", "[tokenizer][gpt2]") {
  const auto& g = cbk_test::gpt2_golden();
  REQUIRE(g.cases.size() >= 1000);
  REQUIRE(g.tokenizer->vocab_size() == 50257);
  CHECK(count_mismatches(g) == 0);
  // Second pass: now served from the word cache.
  CHECK(count_mismatches(g) == 0);
}

TEST_CASE("GPT-2 BPE decode(encode(x)) == x on the corpus", "[tokenizer][gpt2]") {
  const auto& g = cbk_test::gpt2_golden();
  std::vector<int32_t> ids;
  std::string text;
  size_t bad = 0;
  for (const auto& c : g.cases) {
    cbk::EncodeOptions opt;
    opt.allow_special = c.special;
    REQUIRE(g.tokenizer->encode(c.text, &ids, opt).ok());
    REQUIRE(g.tokenizer->decode(ids.data(), ids.size(), &text).ok());
    if (text != c.text && ++bad <= 10) UNSCOPED_INFO("round trip failed for \"" << escaped(c.text) << "\"");
  }
  CHECK(bad == 0);
}

// The WASM build has no pthreads (std::thread cannot start there), so this runs natively only.
#ifndef __EMSCRIPTEN__
TEST_CASE("GPT-2 BPE is consistent across threads", "[tokenizer][gpt2]") {
  const auto& g = cbk_test::gpt2_golden();
  std::vector<size_t> bad(3, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < bad.size(); ++t) {
    threads.emplace_back([&, t] {
      std::vector<int32_t> ids;
      for (size_t i = t; i < g.cases.size(); i += 1) {
        const auto& c = g.cases[(i * 7 + t * 131) % g.cases.size()];
        cbk::EncodeOptions opt;
        opt.allow_special = c.special;
        if (!g.tokenizer->encode(c.text, &ids, opt).ok() || ids != c.ids) ++bad[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t b : bad) CHECK(b == 0);
}
#endif

TEST_CASE("GPT-2 BPE word cache eviction keeps results", "[tokenizer][gpt2]") {
  // More distinct words than the cache holds: " w" + base-26 spelling of i. Each is its own piece,
  // so encoding the whole text must equal encoding the words one by one.
  const auto& g = cbk_test::gpt2_golden();
  std::string all;
  std::vector<int32_t> expected;
  std::vector<int32_t> ids;
  for (int i = 0; i < 40000; ++i) {
    std::string word = " w";
    for (int v = i; v > 0; v /= 26) word += static_cast<char>('a' + v % 26);
    REQUIRE(g.tokenizer->encode(word, &ids).ok());
    expected.insert(expected.end(), ids.begin(), ids.end());
    all += word;
  }
  REQUIRE(g.tokenizer->encode(all, &ids).ok());
  CHECK(ids == expected);
}

TEST_CASE("GPT-2 special token ids and lookups", "[tokenizer][gpt2]") {
  const auto& g = cbk_test::gpt2_golden();
  int32_t id = -1;
  REQUIRE(g.tokenizer->find_token("<|endoftext|>", &id).ok());
  CHECK(id == 50256);
  CHECK(g.tokenizer->special_tokens().eos == 50256);
  REQUIRE(g.tokenizer->find_token("\xC4\xA0the", &id).ok());  // "Ġthe"
  CHECK(id == 262);
  std::string text;
  REQUIRE(g.tokenizer->token_text(262, &text).ok());
  CHECK(text == " the");
  CHECK(g.tokenizer->token_text(50257, &text).status == cbk::Status::out_of_range);
  const int32_t ids[] = {464, -1};
  const cbk::Error err = g.tokenizer->decode(ids, 2, &text);
  CHECK(err.status == cbk::Status::out_of_range);
  CHECK(err.message.find("index 1") != std::string::npos);
}

// Throughput on long texts; hidden, run with:  test_tokenizer_gpt2 "[.bench]"
namespace {

void bench(const char* name, std::string unit) {
  const auto& g = cbk_test::gpt2_golden();
  std::string text;
  while (text.size() < (16u << 20)) text += unit;
  std::vector<int32_t> ids;
  for (int pass = 0; pass < 2; ++pass) {  // pass 0 starts with a cold word cache
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(g.tokenizer->encode(text, &ids).ok());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s pass %d: %.1f MiB, %zu tokens in %.3f s: %.1f MiB/s\n", name, pass,
                static_cast<double>(text.size()) / 1048576.0, ids.size(), s,
                static_cast<double>(text.size()) / 1048576.0 / s);
  }
}

}  // namespace

TEST_CASE("GPT-2 BPE encode throughput", "[.bench]") {
  std::string corpus;
  for (const auto& c : cbk_test::gpt2_golden().cases) {
    if (!c.special) corpus += c.text + "\n";
  }
  bench("corpus (mixed scripts, random)", corpus);
  std::ifstream in("/usr/share/common-licenses/GPL-3", std::ios::binary);
  if (in) {
    const std::string english((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bench("English (GPL-3 text)", english);
  }
}

const char* cbk_test_skip_reason() {
  static const std::string golden = cbk_test::gpt2_golden_dir() + "/golden.json";
  static const std::string reason =
      golden + " is missing (node_modules/gpt-tokenizer not installed; run npm ci)";
  return std::ifstream(golden) ? nullptr : reason.c_str();
}
