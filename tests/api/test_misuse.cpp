// API misuse: NULL handles and buffers, too-small buffers, out-of-range indices, calls in the wrong
// order, over-long prompts. Every call must return its status, name the problem in the last-error
// message and leave the handles usable (the suite also runs under ASan+UBSan).
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "tests/api/api_test_support.hpp"

using namespace cbk_api_test;

TEST_CASE("every entry point refuses NULL handles without crashing", "[api][misuse]") {
  int32_t token = 0;
  size_t n = 0;
  const float* logits = nullptr;
  const int32_t* ids = nullptr;
  const char* text = nullptr;
  uint32_t major = 0, minor = 0;
  cbk_architecture arch{};
  arch.struct_size = sizeof(arch);
  cbk_codebook_info info{};
  info.struct_size = sizeof(info);
  cbk_tokenizer_info tinfo{};
  tinfo.struct_size = sizeof(tinfo);
  cbk_code_annotation note{};
  note.struct_size = sizeof(note);
  cbk_code_context ctx{};
  ctx.struct_size = sizeof(ctx);
  const cbk_target target{0, CBK_SITE_ATTN_PREPROJ, -1};
  cbk_model* model = nullptr;
  cbk_session* session = nullptr;

  CHECK_FAILS(cbk_model_load_file("x.cbk", nullptr, nullptr), CBK_STATUS_INVALID_ARGUMENT, "model_out");
  CHECK_FAILS(cbk_model_load_memory(nullptr, 10, CBK_MEMORY_COPY, nullptr, &model), CBK_STATUS_INVALID_ARGUMENT, "data");
  CHECK_FAILS(cbk_model_schema_version(nullptr, &major, &minor), CBK_STATUS_INVALID_ARGUMENT, "model is NULL");
  CHECK_FAILS(cbk_model_architecture(nullptr, &arch), CBK_STATUS_INVALID_ARGUMENT, "model is NULL");
  CHECK_FAILS(cbk_model_codebook_info(nullptr, 0, &info), CBK_STATUS_INVALID_ARGUMENT, "model is NULL");
  CHECK_FAILS(cbk_model_find_codebook(nullptr, 0, CBK_SITE_MLP, &n), CBK_STATUS_INVALID_ARGUMENT, "model is NULL");
  CHECK_FAILS(cbk_model_annotation(nullptr, 0, &note), CBK_STATUS_INVALID_ARGUMENT, "model is NULL");
  CHECK_FAILS(cbk_model_find_annotation(nullptr, 0, 0, 0, &n), CBK_STATUS_INVALID_ARGUMENT, "model is NULL");
  CHECK_FAILS(cbk_model_annotation_context(nullptr, 0, 0, &ctx), CBK_STATUS_INVALID_ARGUMENT, "model is NULL");
  CHECK_FAILS(cbk_model_tokenizer_info(nullptr, &tinfo), CBK_STATUS_INVALID_ARGUMENT, "model is NULL");
  CHECK_FAILS(cbk_model_metadata_at(nullptr, 0, &text, &text), CBK_STATUS_INVALID_ARGUMENT, "model is NULL");
  CHECK_FAILS(cbk_model_metadata(nullptr, "name", &text), CBK_STATUS_INVALID_ARGUMENT, "model is NULL");
  CHECK_FAILS(cbk_tokenize(nullptr, "a", 1, 0, &token, 1, &n), CBK_STATUS_INVALID_ARGUMENT, "model is NULL");
  CHECK_FAILS(cbk_detokenize(nullptr, &token, 1, nullptr, 0, &n), CBK_STATUS_INVALID_ARGUMENT, "model is NULL");
  CHECK_FAILS(cbk_session_create(nullptr, nullptr, &session), CBK_STATUS_INVALID_ARGUMENT, "model is NULL");
  CHECK(session == nullptr);
  CHECK_FAILS(cbk_session_prefill(nullptr, &token, 1), CBK_STATUS_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(cbk_session_decode(nullptr, 0), CBK_STATUS_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(cbk_session_logits(nullptr, &logits, &n), CBK_STATUS_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(cbk_session_sample(nullptr, nullptr, &token), CBK_STATUS_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(cbk_session_set_seed(nullptr, 1), CBK_STATUS_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(cbk_session_reset(nullptr), CBK_STATUS_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(cbk_session_codes(nullptr, 0, 0, 0, &ids, nullptr, &n), CBK_STATUS_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(cbk_session_trace(nullptr, 0, 0, &ids, nullptr, &n, &n), CBK_STATUS_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(cbk_steer_force(nullptr, &target, 0, nullptr, CBK_FORCE_ALL, 0, 1.0f), CBK_STATUS_INVALID_ARGUMENT,
              "session is NULL");
  CHECK_FAILS(cbk_steer_disable(nullptr, &target, nullptr, 0, 1, nullptr, CBK_DISABLE_KEEP, nullptr, 0),
              CBK_STATUS_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(cbk_steer_interchange(nullptr, &target, 0, &token, 1), CBK_STATUS_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(cbk_steer_bypass(nullptr, &target), CBK_STATUS_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(cbk_steer_clear(nullptr), CBK_STATUS_INVALID_ARGUMENT, "session is NULL");
  CHECK(cbk_model_codebook_count(nullptr) == 0);
  CHECK(cbk_model_annotation_count(nullptr) == 0);
  CHECK(cbk_model_metadata_count(nullptr) == 0);
  CHECK(cbk_session_position(nullptr) == 0);
  CHECK(cbk_session_prompt_length(nullptr) == 0);
  CHECK(cbk_session_context_size(nullptr) == 0);
  CHECK(cbk_steer_count(nullptr) == 0);
  CHECK(std::string(cbk_session_last_error(nullptr)).empty());
  cbk_model_free(nullptr);
  cbk_session_free(nullptr);
}

TEST_CASE("loading refuses bad paths, bytes, params and buffers", "[api][misuse]") {
  cbk_model* model = nullptr;
  CHECK_FAILS(cbk_model_load_file("/nonexistent/model.cbk", nullptr, &model), CBK_STATUS_IO_ERROR, "/nonexistent");
  CHECK(model == nullptr);
  cbk_model_params small = cbk_model_default_params();
  small.struct_size = sizeof(small) - 1;
  CHECK_FAILS(cbk_model_load_file(model_path().c_str(), &small, &model), CBK_STATUS_INVALID_ARGUMENT, "struct_size");
  const char junk[128] = "definitely not a cbk file";
  CHECK_FAILS(cbk_model_load_memory(junk, 0, CBK_MEMORY_COPY, nullptr, &model), CBK_STATUS_INVALID_ARGUMENT, "size");
  CHECK_FAILS(cbk_model_load_memory(junk, sizeof junk, static_cast<cbk_memory_mode>(7), nullptr, &model),
              CBK_STATUS_INVALID_ARGUMENT, "mode");
  const cbk_status st = cbk_model_load_memory(junk, sizeof junk, CBK_MEMORY_COPY, nullptr, &model);
  CHECK(st != CBK_STATUS_OK);
  CHECK(model == nullptr);
  CHECK(std::strlen(cbk_last_error_message()) > 0);
}

TEST_CASE("a larger params struct from a newer header is accepted", "[api][misuse]") {
  struct newer_params {
    cbk_model_params v1;
    int future_field;
  } p{cbk_model_default_params(), 42};
  p.v1.struct_size = sizeof(p);
  cbk_model* model = nullptr;
  REQUIRE(cbk_model_load_file(model_path().c_str(), &p.v1, &model) == CBK_STATUS_OK);
  cbk_model_free(model);
}

TEST_CASE("introspection reports out-of-range indices and bad output structs", "[api][misuse]") {
  cbk::model_ptr model = load_fixture();
  const size_t books = cbk_model_codebook_count(model.get());
  REQUIRE(books == 4);
  cbk_codebook_info info{};
  info.struct_size = sizeof(info);
  CHECK_FAILS(cbk_model_codebook_info(model.get(), books, &info), CBK_STATUS_OUT_OF_RANGE, "codebook 4");
  CHECK_FAILS(cbk_model_codebook_info(model.get(), 0, nullptr), CBK_STATUS_INVALID_ARGUMENT, "NULL");
  info.struct_size = 4;
  CHECK_FAILS(cbk_model_codebook_info(model.get(), 0, &info), CBK_STATUS_INVALID_ARGUMENT, "struct_size");
  size_t index = 0;
  CHECK_FAILS(cbk_model_find_codebook(model.get(), 9, CBK_SITE_MLP, &index), CBK_STATUS_OUT_OF_RANGE, "layer 9");
  CHECK_FAILS(cbk_model_find_codebook(model.get(), 0, static_cast<cbk_site>(42), &index), CBK_STATUS_INVALID_ARGUMENT,
              "site value 42");
  CHECK_FAILS(cbk_model_find_annotation(model.get(), 0, 99, 0, &index), CBK_STATUS_OUT_OF_RANGE, "group 99");
  CHECK_FAILS(cbk_model_find_annotation(model.get(), 0, 0, 999, &index), CBK_STATUS_OUT_OF_RANGE, "code 999");
  CHECK_FAILS(cbk_model_find_annotation(model.get(), 7, 0, 0, &index), CBK_STATUS_OUT_OF_RANGE, "codebook 7");
  CHECK_FAILS(cbk_model_find_annotation(model.get(), 0, 0, 0, &index), CBK_STATUS_OUT_OF_RANGE, "no annotation");
  CHECK(index == SIZE_MAX);
  cbk_code_annotation note{};
  note.struct_size = sizeof(note);
  CHECK_FAILS(cbk_model_annotation(model.get(), 5, &note), CBK_STATUS_OUT_OF_RANGE, "annotation 5");
  cbk_code_context ctx{};
  ctx.struct_size = sizeof(ctx);
  CHECK_FAILS(cbk_model_annotation_context(model.get(), 0, 3, &ctx), CBK_STATUS_OUT_OF_RANGE, "context 3");
  const char* key = nullptr;
  const char* value = nullptr;
  CHECK_FAILS(cbk_model_metadata_at(model.get(), 1000, &key, &value), CBK_STATUS_OUT_OF_RANGE, "entry 1000");
  CHECK_FAILS(cbk_model_metadata(model.get(), "no-such-key", &value), CBK_STATUS_INVALID_ARGUMENT, "no-such-key");
  CHECK_FAILS(cbk_model_metadata(model.get(), nullptr, &value), CBK_STATUS_INVALID_ARGUMENT, "NULL");
  cbk_site site;
  CHECK_FAILS(cbk_site_from_name("nowhere", &site), CBK_STATUS_INVALID_ARGUMENT, "nowhere");
  CHECK(std::string(cbk_site_name(static_cast<cbk_site>(-3))) == "unknown");
}

TEST_CASE("tokenize and detokenize follow the two-call buffer pattern", "[api][misuse]") {
  cbk::model_ptr model = load_fixture();
  const char* text = "hello world";
  size_t needed = 0;
  CHECK_FAILS(cbk_tokenize(model.get(), text, std::strlen(text), 0, nullptr, 0, &needed),
              CBK_STATUS_BUFFER_TOO_SMALL, "buffer holds 0");
  REQUIRE(needed > 1);
  std::vector<int32_t> ids(needed);
  size_t n = 0;
  CHECK_FAILS(cbk_tokenize(model.get(), text, std::strlen(text), 0, ids.data(), needed - 1, &n),
              CBK_STATUS_BUFFER_TOO_SMALL, "tokens");
  CHECK(n == needed);
  CHECK_FAILS(cbk_tokenize(model.get(), text, 3, 0, nullptr, 5, &n), CBK_STATUS_INVALID_ARGUMENT, "tokens is NULL");
  CHECK_FAILS(cbk_tokenize(model.get(), nullptr, 3, 0, ids.data(), needed, &n), CBK_STATUS_INVALID_ARGUMENT,
              "text is NULL");
  CHECK_FAILS(cbk_tokenize(model.get(), text, 3, 0x80, ids.data(), needed, &n), CBK_STATUS_INVALID_ARGUMENT, "flag");
  CHECK_FAILS(cbk_tokenize(model.get(), text, 3, 0, ids.data(), needed, nullptr), CBK_STATUS_INVALID_ARGUMENT,
              "n_tokens_out");
  REQUIRE(cbk_tokenize(model.get(), text, std::strlen(text), 0, ids.data(), ids.size(), &n) == CBK_STATUS_OK);
  CHECK(cbk_tokenize(model.get(), nullptr, 0, 0, nullptr, 0, &n) == CBK_STATUS_OK);
  CHECK(n == 0);

  size_t length = 0;
  CHECK_FAILS(cbk_detokenize(model.get(), ids.data(), ids.size(), nullptr, 0, &length), CBK_STATUS_BUFFER_TOO_SMALL,
              "terminator");
  CHECK(length == std::strlen(text));
  std::vector<char> out(length);  // one byte short: no room for the terminator
  CHECK_FAILS(cbk_detokenize(model.get(), ids.data(), ids.size(), out.data(), out.size(), &length),
              CBK_STATUS_BUFFER_TOO_SMALL, "terminator");
  const int32_t bad = 100000;
  CHECK_FAILS(cbk_detokenize(model.get(), &bad, 1, nullptr, 0, &length), CBK_STATUS_OUT_OF_RANGE, "100000");
  CHECK_FAILS(cbk_detokenize(model.get(), nullptr, 2, nullptr, 0, &length), CBK_STATUS_INVALID_ARGUMENT,
              "tokens is NULL");
}

TEST_CASE("session calls in the wrong order return wrong_state", "[api][misuse]") {
  cbk::model_ptr model = load_fixture();
  cbk::session_ptr s = open_session(model.get());
  const float* logits = nullptr;
  size_t n = 0;
  int32_t token = 0;
  CHECK_FAILS(cbk_session_decode(s.get(), 1), CBK_STATUS_WRONG_STATE, "prefill");
  CHECK_FAILS(cbk_session_logits(s.get(), &logits, &n), CBK_STATUS_WRONG_STATE, "prefill");
  CHECK_FAILS(cbk_session_sample(s.get(), nullptr, &token), CBK_STATUS_WRONG_STATE, "prefill");
  CHECK(std::string(cbk_session_last_error(s.get())).find("prefill") != std::string::npos);
  const int32_t prompt[3] = {1, 2, 3};
  REQUIRE(cbk_session_prefill(s.get(), prompt, 3) == CBK_STATUS_OK);
  CHECK_FAILS(cbk_session_prefill(s.get(), prompt, 3), CBK_STATUS_WRONG_STATE, "reset");
  REQUIRE(cbk_session_reset(s.get()) == CBK_STATUS_OK);
  CHECK(cbk_session_position(s.get()) == 0);
  CHECK(cbk_session_prefill(s.get(), prompt, 3) == CBK_STATUS_OK);

  cbk::session_ptr untraced = open_session(model.get(), false);
  REQUIRE(cbk_session_prefill(untraced.get(), prompt, 3) == CBK_STATUS_OK);
  const int32_t* ids = nullptr;
  CHECK_FAILS(cbk_session_codes(untraced.get(), 0, 0, 0, &ids, nullptr, &n), CBK_STATUS_WRONG_STATE, "trace");
}

TEST_CASE("session arguments out of range", "[api][misuse]") {
  cbk::model_ptr model = load_fixture();
  cbk_session* raw = nullptr;
  cbk_session_params p = cbk_session_default_params();
  p.max_context = 1000;
  CHECK_FAILS(cbk_session_create(model.get(), &p, &raw), CBK_STATUS_OUT_OF_RANGE, "1000");
  p = cbk_session_default_params();
  p.prefill_chunk = 0;
  CHECK_FAILS(cbk_session_create(model.get(), &p, &raw), CBK_STATUS_INVALID_ARGUMENT, "prefill_chunk");
  p = cbk_session_default_params();
  p.struct_size = 8;
  CHECK_FAILS(cbk_session_create(model.get(), &p, &raw), CBK_STATUS_INVALID_ARGUMENT, "struct_size");
  CHECK(raw == nullptr);

  cbk::session_ptr s = open_session(model.get(), true, 8);
  CHECK(cbk_session_context_size(s.get()) == 8);
  std::vector<int32_t> too_long(9, 5);
  CHECK_FAILS(cbk_session_prefill(s.get(), too_long.data(), too_long.size()), CBK_STATUS_CONTEXT_FULL, "exceed");
  CHECK_FAILS(cbk_session_prefill(s.get(), too_long.data(), 0), CBK_STATUS_INVALID_ARGUMENT, "empty");
  CHECK_FAILS(cbk_session_prefill(s.get(), nullptr, 3), CBK_STATUS_INVALID_ARGUMENT, "tokens is NULL");
  const int32_t bad_token[2] = {1, 99999};
  CHECK_FAILS(cbk_session_prefill(s.get(), bad_token, 2), CBK_STATUS_OUT_OF_RANGE, "99999");
  CHECK(cbk_session_position(s.get()) == 0);

  REQUIRE(cbk_session_prefill(s.get(), too_long.data(), 7) == CBK_STATUS_OK);
  CHECK_FAILS(cbk_session_decode(s.get(), -1), CBK_STATUS_OUT_OF_RANGE, "-1");
  REQUIRE(cbk_session_decode(s.get(), 3) == CBK_STATUS_OK);
  CHECK_FAILS(cbk_session_decode(s.get(), 3), CBK_STATUS_CONTEXT_FULL, "full");
  CHECK(cbk_session_position(s.get()) == 8);

  const int32_t* ids = nullptr;
  const float* scores = nullptr;
  size_t n = 0, rows = 0;
  CHECK_FAILS(cbk_session_codes(s.get(), 4, 0, 0, &ids, &scores, &n), CBK_STATUS_OUT_OF_RANGE, "codebook 4");
  CHECK_FAILS(cbk_session_codes(s.get(), 0, 4, 0, &ids, &scores, &n), CBK_STATUS_OUT_OF_RANGE, "group 4");
  CHECK_FAILS(cbk_session_codes(s.get(), 0, 0, 8, &ids, &scores, &n), CBK_STATUS_OUT_OF_RANGE, "position 8");
  CHECK_FAILS(cbk_session_codes(s.get(), 0, 0, 0, nullptr, &scores, &n), CBK_STATUS_INVALID_ARGUMENT, "NULL");
  CHECK_FAILS(cbk_session_trace(s.get(), 9, 0, &ids, &scores, &rows, &n), CBK_STATUS_OUT_OF_RANGE, "codebook 9");
  CHECK_FAILS(cbk_session_logits(s.get(), nullptr, &n), CBK_STATUS_INVALID_ARGUMENT, "NULL");

  int32_t token = 0;
  cbk_sampling_params sp = cbk_sampling_default_params();
  sp.top_p = 0.0f;
  CHECK_FAILS(cbk_session_sample(s.get(), &sp, &token), CBK_STATUS_INVALID_ARGUMENT, "top_p");
  sp.top_p = 1.5f;  // above 1 is outside the documented (0, 1] too (was accepted: fuzz_api finding)
  CHECK_FAILS(cbk_session_sample(s.get(), &sp, &token), CBK_STATUS_INVALID_ARGUMENT, "top_p");
  sp = cbk_sampling_default_params();
  sp.temperature = std::numeric_limits<float>::quiet_NaN();
  CHECK_FAILS(cbk_session_sample(s.get(), &sp, &token), CBK_STATUS_INVALID_ARGUMENT, "temperature");
  sp = cbk_sampling_default_params();
  sp.struct_size = 0;
  CHECK_FAILS(cbk_session_sample(s.get(), &sp, &token), CBK_STATUS_INVALID_ARGUMENT, "struct_size");
  CHECK(std::string(cbk_session_last_error(s.get())).find("struct_size") != std::string::npos);
  CHECK_FAILS(cbk_session_sample(s.get(), nullptr, nullptr), CBK_STATUS_INVALID_ARGUMENT, "token_out");
}

TEST_CASE("steering validates every intervention and keeps the old set on error", "[api][misuse]") {
  cbk::model_ptr model = load_fixture();
  cbk::session_ptr s = open_session(model.get());
  const cbk_target preproj{0, CBK_SITE_ATTN_PREPROJ, -1};  // 4 groups, 16 codes, k = 2
  REQUIRE(cbk_steer_force(s.get(), &preproj, 3, nullptr, CBK_FORCE_SLOT, 0, 1.0f) == CBK_STATUS_OK);
  REQUIRE(cbk_steer_count(s.get()) == 1);

  const cbk_target no_layer{7, CBK_SITE_MLP, -1};
  const cbk_target no_site{0, CBK_SITE_MLP, -1};
  const cbk_target bad_group{0, CBK_SITE_ATTN_PREPROJ, 4};
  const cbk_target bad_site{0, static_cast<cbk_site>(77), -1};
  CHECK_FAILS(cbk_steer_force(s.get(), nullptr, 3, nullptr, CBK_FORCE_ALL, 0, 1.0f), CBK_STATUS_INVALID_ARGUMENT,
              "target");
  CHECK_FAILS(cbk_steer_force(s.get(), &no_layer, 3, nullptr, CBK_FORCE_ALL, 0, 1.0f), CBK_STATUS_OUT_OF_RANGE,
              "layer 7");
  CHECK_FAILS(cbk_steer_force(s.get(), &no_site, 3, nullptr, CBK_FORCE_ALL, 0, 1.0f), CBK_STATUS_OUT_OF_RANGE,
              "no codebook");
  CHECK_FAILS(cbk_steer_force(s.get(), &bad_group, 3, nullptr, CBK_FORCE_ALL, 0, 1.0f), CBK_STATUS_OUT_OF_RANGE,
              "group 4");
  CHECK_FAILS(cbk_steer_force(s.get(), &bad_site, 3, nullptr, CBK_FORCE_ALL, 0, 1.0f), CBK_STATUS_OUT_OF_RANGE,
              "site value 77");
  CHECK_FAILS(cbk_steer_force(s.get(), &preproj, 16, nullptr, CBK_FORCE_ALL, 0, 1.0f), CBK_STATUS_OUT_OF_RANGE,
              "code 16");
  CHECK_FAILS(cbk_steer_force(s.get(), &preproj, 1, nullptr, CBK_FORCE_SLOT, 2, 1.0f), CBK_STATUS_OUT_OF_RANGE,
              "slot 2");
  CHECK_FAILS(cbk_steer_force(s.get(), &preproj, 1, nullptr, static_cast<cbk_force_mode>(9), 0, 1.0f),
              CBK_STATUS_INVALID_ARGUMENT, "force mode");
  CHECK_FAILS(cbk_steer_force(s.get(), &preproj, 1, nullptr, CBK_FORCE_ALL, 0, std::nanf("")),
              CBK_STATUS_INVALID_ARGUMENT, "finite");
  const cbk_positions empty_range{CBK_POSITIONS_RANGE, 5, 5};
  CHECK_FAILS(cbk_steer_force(s.get(), &preproj, 1, &empty_range, CBK_FORCE_ALL, 0, 1.0f), CBK_STATUS_INVALID_ARGUMENT,
              "empty position range");
  const cbk_positions bad_kind{static_cast<cbk_positions_kind>(5), 0, 1};
  CHECK_FAILS(cbk_steer_force(s.get(), &preproj, 1, &bad_kind, CBK_FORCE_ALL, 0, 1.0f), CBK_STATUS_INVALID_ARGUMENT,
              "positions kind");

  const int32_t codes[2] = {1, 40};
  CHECK_FAILS(cbk_steer_disable(s.get(), &preproj, codes, 2, 0, nullptr, CBK_DISABLE_KEEP, nullptr, 0),
              CBK_STATUS_OUT_OF_RANGE, "code 40");
  CHECK_FAILS(cbk_steer_disable(s.get(), &preproj, nullptr, 2, 0, nullptr, CBK_DISABLE_KEEP, nullptr, 0),
              CBK_STATUS_INVALID_ARGUMENT, "codes");
  CHECK_FAILS(cbk_steer_disable(s.get(), &preproj, codes, 1, 15, nullptr, CBK_DISABLE_KEEP, nullptr, 0),
              CBK_STATUS_OUT_OF_RANGE, "top_n 15");
  CHECK_FAILS(cbk_steer_disable(s.get(), &preproj, codes, 1, 0, nullptr, CBK_DISABLE_KEEP, codes, 1),
              CBK_STATUS_INVALID_ARGUMENT, "ZERO");
  const int32_t bad_slot = 5;
  CHECK_FAILS(cbk_steer_disable(s.get(), &preproj, nullptr, 0, 0, nullptr, CBK_DISABLE_ZERO, &bad_slot, 1),
              CBK_STATUS_OUT_OF_RANGE, "slot 5");
  CHECK_FAILS(cbk_steer_disable(s.get(), &preproj, codes, 1, 0, nullptr, static_cast<cbk_disable_mode>(3), nullptr, 0),
              CBK_STATUS_INVALID_ARGUMENT, "disable mode");

  const int32_t ids3[3] = {1, 2, 3};
  CHECK_FAILS(cbk_steer_interchange(s.get(), &preproj, 0, ids3, 3), CBK_STATUS_INVALID_ARGUMENT, "expected k = 2");
  CHECK_FAILS(cbk_steer_interchange(s.get(), &preproj, 0, nullptr, 2), CBK_STATUS_INVALID_ARGUMENT, "ids");
  const int32_t bad_ids[2] = {1, 16};
  CHECK_FAILS(cbk_steer_interchange(s.get(), &preproj, 0, bad_ids, 2), CBK_STATUS_OUT_OF_RANGE, "code 16");
  CHECK_FAILS(cbk_steer_interchange(s.get(), &preproj, 500, ids3, 2), CBK_STATUS_OUT_OF_RANGE, "position 500");
  CHECK_FAILS(cbk_steer_bypass(s.get(), &no_site), CBK_STATUS_OUT_OF_RANGE, "no codebook");

  CHECK(cbk_steer_count(s.get()) == 1);  // every refused intervention left the set unchanged
  CHECK(std::string(cbk_session_last_error(s.get())).find("no codebook") != std::string::npos);
  REQUIRE(cbk_steer_clear(s.get()) == CBK_STATUS_OK);
  CHECK(cbk_steer_count(s.get()) == 0);
}

TEST_CASE("the cancel callback stops a prefill and leaves the session empty", "[api][misuse]") {
  cbk::model_ptr model = load_fixture();
  cbk_session_params p = cbk_session_default_params();
  int calls = 0;
  p.cancel = [](void* user) {
    ++*static_cast<int*>(user);
    return 1;
  };
  p.cancel_user_data = &calls;
  cbk::session_ptr s = cbk::create_session(model.get(), &p);
  REQUIRE(s != nullptr);
  const int32_t prompt[4] = {1, 2, 3, 4};
  CHECK_FAILS(cbk_session_prefill(s.get(), prompt, 4), CBK_STATUS_CANCELLED, "cancel");
  CHECK(calls == 1);
  CHECK(cbk_session_position(s.get()) == 0);
  CHECK_FAILS(cbk_session_decode(s.get(), 1), CBK_STATUS_WRONG_STATE, "prefill");
}
