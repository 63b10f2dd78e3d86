// The C API's behaviour on a real (tiny, random) model: introspection matches what the Python
// writer put in the file, memory loading matches file loading, tokenizer round trips, the trace
// and every steering mode are visible through cbk.h, and cbk.hpp's RAII handles work.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "tests/api/api_test_support.hpp"

using namespace cbk_api_test;

namespace {

std::vector<float> logits_after(cbk_session* s) {
  const float* logits = nullptr;
  size_t n = 0;
  REQUIRE(cbk_session_logits(s, &logits, &n) == CBK_STATUS_OK);
  return std::vector<float>(logits, logits + n);
}

std::vector<int32_t> codes_at(cbk_session* s, size_t codebook, uint32_t group, size_t position) {
  const int32_t* ids = nullptr;
  const float* scores = nullptr;
  size_t slots = 0;
  INFO(cbk_session_last_error(s));
  REQUIRE(cbk_session_codes(s, codebook, group, position, &ids, &scores, &slots) == CBK_STATUS_OK);
  return std::vector<int32_t>(ids, ids + slots);
}

const int32_t kPrompt[5] = {5, 70, 33, 120, 9};

}  // namespace

TEST_CASE("introspection reports the file's architecture, codebooks, annotations and metadata", "[api]") {
  cbk::model_ptr model = load_fixture();
  uint32_t major = 0, minor = 0, lib_major = 0;
  REQUIRE(cbk_model_schema_version(model.get(), &major, &minor) == CBK_STATUS_OK);
  cbk_supported_schema_version(&lib_major, nullptr);
  CHECK(major == lib_major);

  cbk_architecture a{};
  a.struct_size = sizeof(a);
  REQUIRE(cbk_model_architecture(model.get(), &a) == CBK_STATUS_OK);
  CHECK(std::string(a.family) == "gpt2");
  CHECK(a.vocab_size > 256 + 3);  // every byte token, merges, and 3 padding rows
  CHECK(a.d_model == 32);
  CHECK(a.n_layers == 2);
  CHECK(a.n_heads == 4);
  CHECK(a.d_mlp == 64);
  CHECK(a.max_positions == 16);
  CHECK(std::string(a.positions) == "learned");

  REQUIRE(cbk_model_codebook_count(model.get()) == 4);
  cbk_codebook_info c{};
  c.struct_size = sizeof(c);
  REQUIRE(cbk_model_codebook_info(model.get(), 1, &c) == CBK_STATUS_OK);
  CHECK(c.layer == 1);
  CHECK(c.site == CBK_SITE_MLP);
  CHECK(c.groups == 1);
  CHECK(c.codes == 24);
  CHECK(c.k == 3);
  CHECK(c.metric == CBK_METRIC_EUCLIDEAN);
  size_t index = 9;
  REQUIRE(cbk_model_find_codebook(model.get(), 1, CBK_SITE_MLP_MID, &index) == CBK_STATUS_OK);
  CHECK(index == 2);

  REQUIRE(cbk_model_annotation_count(model.get()) == 1);
  REQUIRE(cbk_model_find_annotation(model.get(), 0, 1, 3, &index) == CBK_STATUS_OK);
  cbk_code_annotation note{};
  note.struct_size = sizeof(note);
  REQUIRE(cbk_model_annotation(model.get(), index, &note) == CBK_STATUS_OK);
  CHECK(std::string(note.label) == "the");
  CHECK(note.frequency == Approx(0.25f));
  REQUIRE(note.n_contexts == 1);
  cbk_code_context ctx{};
  ctx.struct_size = sizeof(ctx);
  REQUIRE(cbk_model_annotation_context(model.get(), index, 0, &ctx) == CBK_STATUS_OK);
  CHECK(std::vector<int32_t>(ctx.tokens, ctx.tokens + ctx.n_tokens) == std::vector<int32_t>{1, 2, 3, 4});
  CHECK(ctx.highlight_start == 1);
  CHECK(ctx.highlight_end == 2);

  const char* value = nullptr;
  REQUIRE(cbk_model_metadata(model.get(), "name", &value) == CBK_STATUS_OK);
  CHECK(std::string(value) == "fixture-gpt2");
  REQUIRE(cbk_model_metadata(model.get(), "purpose", &value) == CBK_STATUS_OK);
  CHECK(std::string(value) == "test");
  CHECK(cbk_model_metadata_count(model.get()) == 6 + 2);

  cbk_tokenizer_info t{};
  t.struct_size = sizeof(t);
  REQUIRE(cbk_model_tokenizer_info(model.get(), &t) == CBK_STATUS_OK);
  CHECK(t.has_tokenizer == 1);
  CHECK(std::string(t.kind) == "byte_bpe");
}

TEST_CASE("tokenize and detokenize round-trip text", "[api]") {
  cbk::model_ptr model = load_fixture();
  const std::string text = "the quick brown fox";
  size_t n = 0;
  REQUIRE(cbk_tokenize(model.get(), text.data(), text.size(), 0, nullptr, 0, &n) == CBK_STATUS_BUFFER_TOO_SMALL);
  std::vector<int32_t> ids(n);
  REQUIRE(cbk_tokenize(model.get(), text.data(), text.size(), 0, ids.data(), ids.size(), &n) == CBK_STATUS_OK);
  size_t length = 0;
  REQUIRE(cbk_detokenize(model.get(), ids.data(), n, nullptr, 0, &length) == CBK_STATUS_BUFFER_TOO_SMALL);
  std::vector<char> out(length + 1, 'x');
  REQUIRE(cbk_detokenize(model.get(), ids.data(), n, out.data(), out.size(), &length) == CBK_STATUS_OK);
  CHECK(std::string(out.data()) == text);
}

TEST_CASE("borrowed and copied memory loads behave like the file load", "[api]") {
  std::ifstream in(model_path(), std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(!bytes.empty());
  // A 64-byte aligned copy for the zero-copy borrow, and one deliberately misaligned by 8 bytes.
  std::vector<unsigned char> storage(bytes.size() + 128);
  auto base = reinterpret_cast<std::uintptr_t>(storage.data());
  unsigned char* aligned = storage.data() + ((64 - base % 64) % 64);
  std::memcpy(aligned, bytes.data(), bytes.size());

  cbk::model_ptr from_file = load_fixture();
  cbk::model_ptr borrowed = cbk::load_model(aligned, bytes.size(), CBK_MEMORY_BORROW);
  cbk::model_ptr copied = cbk::load_model(bytes.data(), bytes.size(), CBK_MEMORY_COPY);
  INFO(cbk_last_error_message());
  REQUIRE(borrowed != nullptr);
  REQUIRE(copied != nullptr);
  std::memmove(aligned + 8, aligned, bytes.size());
  cbk_status st = CBK_STATUS_OK;
  cbk::model_ptr misaligned = cbk::load_model(aligned + 8, bytes.size(), CBK_MEMORY_BORROW, nullptr, &st);
  CHECK(misaligned == nullptr);
  CHECK(st == CBK_STATUS_INVALID_ARGUMENT);
  CHECK(std::string(cbk_last_error_message()).find("64-byte aligned") != std::string::npos);
  std::memmove(aligned, aligned + 8, bytes.size());  // restore the bytes `borrowed` reads

  std::vector<std::vector<float>> logits;
  for (const cbk_model* m : {from_file.get(), borrowed.get(), copied.get()}) {
    cbk::session_ptr s = open_session(m);
    REQUIRE(cbk_session_prefill(s.get(), kPrompt, 5) == CBK_STATUS_OK);
    logits.push_back(logits_after(s.get()));
  }
  CHECK(logits[0] == logits[1]);
  CHECK(logits[0] == logits[2]);
}

TEST_CASE("prefill, decode, sampling and the trace", "[api]") {
  cbk::model_ptr model = load_fixture();
  cbk::session_ptr s = open_session(model.get());
  REQUIRE(cbk_session_prefill(s.get(), kPrompt, 5) == CBK_STATUS_OK);
  CHECK(cbk_session_prompt_length(s.get()) == 5);
  std::vector<float> logits = logits_after(s.get());
  cbk_architecture a{};
  a.struct_size = sizeof(a);
  REQUIRE(cbk_model_architecture(model.get(), &a) == CBK_STATUS_OK);
  REQUIRE(logits.size() == a.vocab_size);
  cbk_sampling_params greedy = cbk_sampling_default_params();
  greedy.temperature = 0.0f;
  int32_t next = -1;
  REQUIRE(cbk_session_sample(s.get(), &greedy, &next) == CBK_STATUS_OK);
  size_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[best]) best = i;
  CHECK(next == static_cast<int32_t>(best));
  REQUIRE(cbk_session_decode(s.get(), next) == CBK_STATUS_OK);
  CHECK(cbk_session_position(s.get()) == 6);

  const int32_t* ids = nullptr;
  const float* scores = nullptr;
  size_t rows = 0, slots = 0;
  REQUIRE(cbk_session_trace(s.get(), 1, 0, &ids, &scores, &rows, &slots) == CBK_STATUS_OK);
  CHECK(rows == 6);
  CHECK(slots == 3);
  for (size_t r = 0; r < rows; ++r) {
    CHECK(codes_at(s.get(), 1, 0, r) == std::vector<int32_t>(ids + r * slots, ids + (r + 1) * slots));
    for (size_t k = 0; k < slots; ++k) CHECK((ids[r * slots + k] >= 0 && ids[r * slots + k] < 24));
  }

  // The same seed gives the same samples.
  std::vector<int32_t> draws[2];
  for (auto& d : draws) {
    REQUIRE(cbk_session_set_seed(s.get(), 1234) == CBK_STATUS_OK);
    for (int i = 0; i < 5; ++i) {
      int32_t t = 0;
      REQUIRE(cbk_session_sample(s.get(), nullptr, &t) == CBK_STATUS_OK);
      d.push_back(t);
    }
  }
  CHECK(draws[0] == draws[1]);
}

TEST_CASE("every steering mode is visible in the trace", "[api]") {
  cbk::model_ptr model = load_fixture();
  const cbk_target preproj{0, CBK_SITE_ATTN_PREPROJ, 1};  // codebook 0: 4 groups, 16 codes, k = 2
  cbk::session_ptr plain = open_session(model.get());
  REQUIRE(cbk_session_prefill(plain.get(), kPrompt, 5) == CBK_STATUS_OK);
  const std::vector<int32_t> before = codes_at(plain.get(), 0, 1, 2);
  const std::vector<float> plain_logits = logits_after(plain.get());

  SECTION("force into every slot at a range of positions") {
    cbk::session_ptr s = open_session(model.get());
    const cbk_positions at2{CBK_POSITIONS_RANGE, 2, 3};
    REQUIRE(cbk_steer_force(s.get(), &preproj, 7, &at2, CBK_FORCE_ALL, 0, 1.0f) == CBK_STATUS_OK);
    REQUIRE(cbk_session_prefill(s.get(), kPrompt, 5) == CBK_STATUS_OK);
    CHECK(codes_at(s.get(), 0, 1, 2) == std::vector<int32_t>{7, 7});
    CHECK(codes_at(s.get(), 0, 1, 1) == codes_at(plain.get(), 0, 1, 1));
    CHECK(logits_after(s.get()) != plain_logits);
  }
  SECTION("append a slot") {
    cbk::session_ptr s = open_session(model.get());
    REQUIRE(cbk_steer_force(s.get(), &preproj, 7, nullptr, CBK_FORCE_APPEND, 0, 0.5f) == CBK_STATUS_OK);
    REQUIRE(cbk_session_prefill(s.get(), kPrompt, 5) == CBK_STATUS_OK);
    const std::vector<int32_t> ids = codes_at(s.get(), 0, 1, 2);
    REQUIRE(ids.size() == 3);
    CHECK(ids[2] == 7);
  }
  SECTION("disable (keep mode) removes a code from the search") {
    cbk::session_ptr s = open_session(model.get());
    REQUIRE(cbk_steer_disable(s.get(), &preproj, &before[0], 1, 0, nullptr, CBK_DISABLE_KEEP, nullptr, 0) ==
            CBK_STATUS_OK);
    REQUIRE(cbk_session_prefill(s.get(), kPrompt, 5) == CBK_STATUS_OK);
    for (size_t p = 0; p < 5; ++p)
      for (int32_t id : codes_at(s.get(), 0, 1, p)) CHECK(id != before[0]);
  }
  SECTION("disable (zero mode) blocks a slot") {
    cbk::session_ptr s = open_session(model.get());
    const int32_t slot = 1;
    REQUIRE(cbk_steer_disable(s.get(), &preproj, nullptr, 0, 0, nullptr, CBK_DISABLE_ZERO, &slot, 1) ==
            CBK_STATUS_OK);
    REQUIRE(cbk_session_prefill(s.get(), kPrompt, 5) == CBK_STATUS_OK);
    CHECK(codes_at(s.get(), 0, 1, 2)[1] == -1);
  }
  SECTION("interchange sets every slot at one position") {
    cbk::session_ptr s = open_session(model.get());
    const int32_t ids[2] = {4, 9};
    REQUIRE(cbk_steer_interchange(s.get(), &preproj, 3, ids, 2) == CBK_STATUS_OK);
    REQUIRE(cbk_session_prefill(s.get(), kPrompt, 5) == CBK_STATUS_OK);
    CHECK(codes_at(s.get(), 0, 1, 3) == std::vector<int32_t>{4, 9});
  }
  SECTION("bypass records no codes; clear restores the plain run") {
    cbk::session_ptr s = open_session(model.get());
    REQUIRE(cbk_steer_bypass(s.get(), &preproj) == CBK_STATUS_OK);
    REQUIRE(cbk_session_prefill(s.get(), kPrompt, 5) == CBK_STATUS_OK);
    CHECK(codes_at(s.get(), 0, 1, 2) == std::vector<int32_t>{CBK_NO_SLOT, CBK_NO_SLOT});
    REQUIRE(cbk_steer_clear(s.get()) == CBK_STATUS_OK);
    REQUIRE(cbk_session_reset(s.get()) == CBK_STATUS_OK);
    REQUIRE(cbk_session_prefill(s.get(), kPrompt, 5) == CBK_STATUS_OK);
    CHECK(logits_after(s.get()) == plain_logits);
  }
}

TEST_CASE("the log callback receives load summaries and errors", "[api]") {
  struct Seen {
    int info = 0;
    int error = 0;
  } seen;
  cbk_set_log_callback(
      [](cbk_log_level level, const char* message, void* user) {
        auto* s = static_cast<Seen*>(user);
        if (level == CBK_LOG_INFO && std::strstr(message, "loaded") != nullptr) ++s->info;
        if (level == CBK_LOG_ERROR && std::strstr(message, "no-such-key") != nullptr) ++s->error;
      },
      &seen);
  cbk::model_ptr model = load_fixture();
  const char* value = nullptr;
  CHECK(cbk_model_metadata(model.get(), "no-such-key", &value) == CBK_STATUS_INVALID_ARGUMENT);
  cbk_set_log_callback(nullptr, nullptr);
  CHECK(seen.info == 1);
  CHECK(seen.error == 1);
}

TEST_CASE("a session outlives the model handle it was created from", "[api]") {
  cbk::model_ptr model = load_fixture();
  cbk::session_ptr s = open_session(model.get());
  model.reset();
  REQUIRE(cbk_session_prefill(s.get(), kPrompt, 5) == CBK_STATUS_OK);
  CHECK(cbk_session_position(s.get()) == 5);
}
