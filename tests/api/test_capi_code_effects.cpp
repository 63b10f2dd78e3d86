// API version 4: cbk_model_code_vector and cbk_model_code_logits against numpy goldens computed from
// the stored bytes by tests/api/make_code_effects.py (fixture models of all three families: f32,
// f16 and int8 weights and codebooks, grouped attn_preproj / mlp_mid / attn, mlp, transformer_block,
// qkv), plus the two-call pattern and misuse.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/api/api_test_support.hpp"

using namespace cbk_api_test;

namespace {

struct Case {
  std::string kind, model;
  size_t codebook = 0;
  uint32_t group = 0, code = 0;
  std::vector<double> values;
};

std::vector<Case> read_cases() {
  const char* dir = std::getenv("CBK_API_MODELS");
  std::ifstream in(std::string(dir ? dir : "models") + "/code_effects.txt");
  REQUIRE(in.good());
  std::vector<Case> cases;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::istringstream s(line);
    Case c;
    s >> c.kind >> c.model >> c.codebook >> c.group >> c.code;
    size_t n = 0;
    if (c.kind != "unsupported") {
      s >> n;
      c.values.resize(n);
      for (double& v : c.values) s >> v;
    }
    REQUIRE(!s.fail());
    cases.push_back(std::move(c));
  }
  REQUIRE(cases.size() > 100);
  return cases;
}

// Two-call read of either function.
template <typename Fn>
std::vector<float> two_call(Fn fn, const cbk_model* model, const Case& c) {
  size_t n = 0;
  REQUIRE(fn(model, c.codebook, c.group, c.code, nullptr, 0, &n) == CBK_STATUS_BUFFER_TOO_SMALL);
  REQUIRE(n == c.values.size());
  std::vector<float> out(n + 1, 7.0f);
  INFO(cbk_last_error_message());
  REQUIRE(fn(model, c.codebook, c.group, c.code, out.data(), out.size(), &n) == CBK_STATUS_OK);
  CHECK(out[n] == 7.0f);  // nothing written past the result
  out.resize(n);
  return out;
}

}  // namespace

TEST_CASE("code vectors and logits equal the numpy goldens on all three families", "[code_effects]") {
  std::map<std::string, cbk::model_ptr> models;
  size_t vectors = 0, logits = 0, unsupported = 0;
  for (const Case& c : read_cases()) {
    auto& m = models[c.model];
    if (!m) m = load_fixture(c.model.c_str());
    INFO(c.kind << " " << c.model << " codebook " << c.codebook << " group " << c.group << " code " << c.code);
    if (c.kind == "vector") {
      // Exactly the stored (dequantized) values.
      const std::vector<float> v = two_call(cbk_model_code_vector, m.get(), c);
      for (size_t i = 0; i < v.size(); ++i) CHECK(v[i] == static_cast<float>(c.values[i]));
      ++vectors;
    } else if (c.kind == "logits") {
      const std::vector<float> z = two_call(cbk_model_code_logits, m.get(), c);
      double scale = 0;
      for (double g : c.values) scale = std::max(scale, std::fabs(g));
      for (size_t i = 0; i < z.size(); ++i) CHECK(std::fabs(z[i] - c.values[i]) <= 2e-5 * (1 + scale));
      ++logits;
    } else {
      REQUIRE(c.kind == "unsupported");
      size_t n = 0;
      std::vector<float> z(4096);
      CHECK_FAILS(cbk_model_code_logits(m.get(), c.codebook, c.group, c.code, z.data(), z.size(), &n),
                  CBK_STATUS_UNSUPPORTED, "qkv");
      ++unsupported;
    }
  }
  CHECK(models.size() == 3);
  CHECK(vectors > 50);
  CHECK(logits > 40);
  CHECK(unsupported > 0);
}

TEST_CASE("code vector and logits misuse gets a status and a message", "[code_effects]") {
  cbk::model_ptr m = load_fixture("effects_gpt2");
  cbk_codebook_info info{};
  info.struct_size = sizeof(info);
  REQUIRE(cbk_model_codebook_info(m.get(), 0, &info) == CBK_STATUS_OK);
  const size_t books = cbk_model_codebook_count(m.get());
  std::vector<float> buf(4096, 0.0f);
  size_t n = 0;

  for (auto fn : {cbk_model_code_vector, cbk_model_code_logits}) {
    CHECK_FAILS(fn(nullptr, 0, 0, 0, buf.data(), buf.size(), &n), CBK_STATUS_INVALID_ARGUMENT, "model");
    CHECK_FAILS(fn(m.get(), 0, 0, 0, buf.data(), buf.size(), nullptr), CBK_STATUS_INVALID_ARGUMENT, "NULL");
    CHECK_FAILS(fn(m.get(), 0, 0, 0, nullptr, buf.size(), &n), CBK_STATUS_INVALID_ARGUMENT, "out");
    CHECK_FAILS(fn(m.get(), books, 0, 0, buf.data(), buf.size(), &n), CBK_STATUS_OUT_OF_RANGE, "codebook");
    CHECK_FAILS(fn(m.get(), 0, info.groups, 0, buf.data(), buf.size(), &n), CBK_STATUS_OUT_OF_RANGE, "group");
    CHECK_FAILS(fn(m.get(), 0, 0, info.codes, buf.data(), buf.size(), &n), CBK_STATUS_OUT_OF_RANGE, "code");
  }

  // A buffer one short: the size is reported and nothing is written.
  REQUIRE(cbk_model_code_vector(m.get(), 0, 0, 0, nullptr, 0, &n) == CBK_STATUS_BUFFER_TOO_SMALL);
  CHECK(n == info.dim);
  std::fill(buf.begin(), buf.end(), 3.0f);
  CHECK_FAILS(cbk_model_code_vector(m.get(), 0, 0, 0, buf.data(), info.dim - 1, &n), CBK_STATUS_BUFFER_TOO_SMALL,
              "needed");
  CHECK(std::all_of(buf.begin(), buf.end(), [](float x) { return x == 3.0f; }));
  const cbk_architecture a = arch_of(m.get());
  CHECK_FAILS(cbk_model_code_logits(m.get(), 0, 0, 0, buf.data(), a.vocab_size - 1, &n), CBK_STATUS_BUFFER_TOO_SMALL,
              "needed");
  CHECK(n == a.vocab_size);
  CHECK(std::all_of(buf.begin(), buf.end(), [](float x) { return x == 3.0f; }));
}
