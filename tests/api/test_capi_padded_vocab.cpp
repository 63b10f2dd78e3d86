// API version 4: a padded vocabulary (more embedding rows than tokenizer tokens; the fixture has 3
// padding rows) detokenizes padding ids to nothing by default, and to OUT_OF_RANGE with
// CBK_DETOKENIZE_STRICT; ids outside the model's vocabulary are OUT_OF_RANGE either way.
#include <cstring>
#include <string>
#include <vector>

#include "tests/api/api_test_support.hpp"

using namespace cbk_api_test;

namespace {

struct Vocab {
  int32_t model = 0;      // embedding rows
  int32_t tokenizer = 0;  // tokens with text
};

Vocab vocab_of(const cbk_model* model) {
  const cbk_architecture a = arch_of(model);
  cbk_tokenizer_info t{};
  t.struct_size = sizeof(t);
  REQUIRE(cbk_model_tokenizer_info(model, &t) == CBK_STATUS_OK);
  return {static_cast<int32_t>(a.vocab_size), static_cast<int32_t>(t.vocab_size)};
}

std::vector<int32_t> tokens_of(const cbk_model* model, const std::string& text) {
  size_t n = 0;
  REQUIRE(cbk_tokenize(model, text.data(), text.size(), 0, nullptr, 0, &n) == CBK_STATUS_BUFFER_TOO_SMALL);
  std::vector<int32_t> ids(n);
  REQUIRE(cbk_tokenize(model, text.data(), text.size(), 0, ids.data(), ids.size(), &n) == CBK_STATUS_OK);
  return ids;
}

// Two-call detokenize_ex; the status of the first failing call.
cbk_status text_of(const cbk_model* model, const std::vector<int32_t>& ids, uint32_t flags, std::string* out) {
  size_t length = 0;
  cbk_status st = cbk_detokenize_ex(model, ids.data(), ids.size(), flags, nullptr, 0, &length);
  if (st != CBK_STATUS_BUFFER_TOO_SMALL) return st;
  std::vector<char> buf(length + 1, 'x');
  st = cbk_detokenize_ex(model, ids.data(), ids.size(), flags, buf.data(), buf.size(), &length);
  if (st == CBK_STATUS_OK) *out = std::string(buf.data(), length);
  return st;
}

}  // namespace

TEST_CASE("padding ids decode to nothing and every other token is kept", "[api][v4]") {
  cbk::model_ptr model = load_fixture();
  const Vocab v = vocab_of(model.get());
  REQUIRE(v.model == v.tokenizer + 3);
  const std::string text = "the quick brown fox";
  std::vector<int32_t> ids = tokens_of(model.get(), text);
  REQUIRE(ids.size() >= 3);
  // Padding ids at the start, in the middle and at the end (the first and the last padding row).
  ids.insert(ids.begin() + 2, v.tokenizer);
  ids.insert(ids.begin(), v.model - 1);
  ids.push_back(v.tokenizer + 1);

  std::string got;
  REQUIRE(text_of(model.get(), ids, 0, &got) == CBK_STATUS_OK);
  CHECK(got == text);

  // cbk_detokenize is the flags-0 call.
  size_t length = 0;
  std::vector<char> buf(text.size() + 1, 'x');
  REQUIRE(cbk_detokenize(model.get(), ids.data(), ids.size(), buf.data(), buf.size(), &length) == CBK_STATUS_OK);
  CHECK(std::string(buf.data()) == text);
  CHECK(length == text.size());

  // Nothing but padding: an empty text, not an error.
  const std::vector<int32_t> only_padding = {v.tokenizer, v.tokenizer + 2};
  got = "unchanged";
  CHECK(cbk_detokenize_ex(model.get(), only_padding.data(), only_padding.size(), 0, nullptr, 0, &length) ==
        CBK_STATUS_BUFFER_TOO_SMALL);
  CHECK(length == 0);
  char one = 'x';
  REQUIRE(cbk_detokenize_ex(model.get(), only_padding.data(), only_padding.size(), 0, &one, 1, &length) ==
          CBK_STATUS_OK);
  CHECK(one == '\0');
}

TEST_CASE("CBK_DETOKENIZE_STRICT refuses a padding id, naming it and its index", "[api][v4]") {
  cbk::model_ptr model = load_fixture();
  const Vocab v = vocab_of(model.get());
  std::vector<int32_t> ids = tokens_of(model.get(), "hello world");
  std::string got;
  REQUIRE(text_of(model.get(), ids, CBK_DETOKENIZE_STRICT, &got) == CBK_STATUS_OK);  // no padding: fine
  CHECK(got == "hello world");
  ids.insert(ids.begin() + 1, v.tokenizer + 1);
  size_t length = 7;
  CHECK_FAILS(cbk_detokenize_ex(model.get(), ids.data(), ids.size(), CBK_DETOKENIZE_STRICT, nullptr, 0, &length),
              CBK_STATUS_OUT_OF_RANGE, "token id " + std::to_string(v.tokenizer + 1) + " at index 1 has no token text");
  CHECK(length == 7);  // nothing written on failure
}

TEST_CASE("ids outside the model's vocabulary stay OUT_OF_RANGE; unknown flags are refused", "[api][v4]") {
  cbk::model_ptr model = load_fixture();
  const Vocab v = vocab_of(model.get());
  size_t length = 0;
  for (uint32_t flags : {0u, CBK_DETOKENIZE_STRICT}) {
    const int32_t past_end[] = {1, v.model};
    CHECK_FAILS(cbk_detokenize_ex(model.get(), past_end, 2, flags, nullptr, 0, &length), CBK_STATUS_OUT_OF_RANGE,
                "token id " + std::to_string(v.model) + " at index 1 is outside the vocabulary (size " +
                    std::to_string(v.model) + ")");
    const int32_t negative = -1;
    CHECK_FAILS(cbk_detokenize_ex(model.get(), &negative, 1, flags, nullptr, 0, &length), CBK_STATUS_OUT_OF_RANGE,
                "token id -1");
  }
  const int32_t past_end = v.model;
  CHECK_FAILS(cbk_detokenize(model.get(), &past_end, 1, nullptr, 0, &length), CBK_STATUS_OUT_OF_RANGE,
              "outside the vocabulary");
  const int32_t ok = 1;
  CHECK_FAILS(cbk_detokenize_ex(model.get(), &ok, 1, 0x80u, nullptr, 0, &length), CBK_STATUS_INVALID_ARGUMENT,
              "unknown flag bits 128");
  CHECK_FAILS(cbk_detokenize_ex(nullptr, &ok, 1, 0, nullptr, 0, &length), CBK_STATUS_INVALID_ARGUMENT,
              "model is NULL");
  CHECK_FAILS(cbk_detokenize_ex(model.get(), &ok, 1, 0, nullptr, 0, nullptr), CBK_STATUS_INVALID_ARGUMENT,
              "length_out");
  CHECK_FAILS(cbk_detokenize_ex(model.get(), &ok, 1, 0, nullptr, 4, &length), CBK_STATUS_INVALID_ARGUMENT,
              "text is NULL");
}
