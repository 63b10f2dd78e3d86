// Model kinds (API version 6): every model reports its kind, kinds this library does not run are
// refused at load with their own status, and transformer-only functions refuse other kinds.
#include "tests/api/api_test_support.hpp"

#include <string>

TEST_CASE("a transformer model reports its kind", "[api][kind]") {
  cbk::model_ptr model = cbk_api_test::load_fixture();
  cbk_kind kind = CBK_KIND_DKVB;
  REQUIRE(cbk_model_kind(model.get(), &kind) == CBK_STATUS_OK);
  CHECK(kind == CBK_KIND_TRANSFORMER);
  CHECK(std::string(cbk_kind_name(kind)) == "transformer");
  CHECK(std::string(cbk_kind_name(CBK_KIND_DKVB)) == "dkvb");
  CHECK(std::string(cbk_kind_name(CBK_KIND_PROTONET)) == "protonet");
  CHECK(std::string(cbk_kind_name(static_cast<cbk_kind>(7))) == "unknown");
  CHECK(std::string(cbk_kind_name(static_cast<cbk_kind>(-1))) == "unknown");
  CHECK_FAILS(cbk_model_kind(nullptr, &kind), CBK_STATUS_INVALID_ARGUMENT, "model");
  CHECK_FAILS(cbk_model_kind(model.get(), nullptr), CBK_STATUS_INVALID_ARGUMENT, "kind_out");
}

TEST_CASE("the new statuses have names", "[api][kind]") {
  CHECK(std::string(cbk_status_string(CBK_STATUS_WRONG_MODEL_KIND)) == "wrong_model_kind");
  CHECK(std::string(cbk_status_string(CBK_STATUS_UNSUPPORTED_MODEL_KIND)) == "unsupported_model_kind");
  CHECK(std::string(cbk_status_string(CBK_STATUS_UNSUPPORTED_MODEL_KIND + 1)) == "unknown");
}

TEST_CASE("a prototype network reports its kind and refuses transformer calls", "[api][kind]") {
  cbk::model_ptr model = cbk_api_test::load_fixture("api_protonet");
  cbk_kind kind = CBK_KIND_TRANSFORMER;
  REQUIRE(cbk_model_kind(model.get(), &kind) == CBK_STATUS_OK);
  CHECK(kind == CBK_KIND_PROTONET);
  cbk_architecture a{};
  a.struct_size = sizeof(a);
  CHECK_FAILS(cbk_model_architecture(model.get(), &a), CBK_STATUS_WRONG_MODEL_KIND, "protonet");
  CHECK(cbk_model_codebook_count(model.get()) == 0);
}

TEST_CASE("transformer functions refuse a DKVB model with WRONG_MODEL_KIND", "[api][kind]") {
  cbk::model_ptr holder = cbk_api_test::load_fixture("api_dkvb");
  const cbk_model* m = holder.get();
  cbk_kind kind = CBK_KIND_TRANSFORMER;
  REQUIRE(cbk_model_kind(m, &kind) == CBK_STATUS_OK);
  CHECK(kind == CBK_KIND_DKVB);
  const cbk_status wrong = CBK_STATUS_WRONG_MODEL_KIND;
  cbk_architecture arch{};
  arch.struct_size = sizeof(arch);
  CHECK_FAILS(cbk_model_architecture(m, &arch), wrong, "the model is a dkvb model");
  cbk_codebook_info info{};
  info.struct_size = sizeof(info);
  CHECK_FAILS(cbk_model_codebook_info(m, 0, &info), wrong, "needs a transformer model");
  size_t index = 0;
  CHECK_FAILS(cbk_model_find_codebook(m, 0, CBK_SITE_MLP, &index), wrong, "dkvb");
  cbk_code_annotation note{};
  note.struct_size = sizeof(note);
  CHECK_FAILS(cbk_model_annotation(m, 0, &note), wrong, "dkvb");
  CHECK_FAILS(cbk_model_find_annotation(m, 0, 0, 0, &index), wrong, "dkvb");
  cbk_code_context ctx{};
  ctx.struct_size = sizeof(ctx);
  CHECK_FAILS(cbk_model_annotation_context(m, 0, 0, &ctx), wrong, "dkvb");
  cbk_tokenizer_info tok{};
  tok.struct_size = sizeof(tok);
  CHECK_FAILS(cbk_model_tokenizer_info(m, &tok), wrong, "dkvb");
  size_t n = 0, n2 = 0;
  CHECK_FAILS(cbk_model_tokenizer_sizes(m, &n, &n2), wrong, "dkvb");
  int32_t ids[4];
  CHECK_FAILS(cbk_tokenize(m, "ab", 2, 0, ids, 4, &n), wrong, "dkvb");
  char text[8];
  CHECK_FAILS(cbk_detokenize(m, ids, 0, text, sizeof text, &n), wrong, "dkvb");
  CHECK_FAILS(cbk_detokenize_ex(m, ids, 0, 0, text, sizeof text, &n), wrong, "dkvb");
  cbk_parameter_counts counts{};
  counts.struct_size = sizeof(counts);
  CHECK_FAILS(cbk_model_parameter_counts(m, &counts), wrong, "dkvb");
  int a = 0, b = 0;
  float scale = 0;
  CHECK_FAILS(cbk_model_layer_attention(m, 0, &a, &b), wrong, "dkvb");
  CHECK_FAILS(cbk_model_layer_attention_scale(m, 0, &scale, &a), wrong, "dkvb");
  const char* dtype = nullptr;
  uint64_t bytes = 0;
  CHECK_FAILS(cbk_model_codebook_storage(m, 0, &dtype, &bytes), wrong, "dkvb");
  CHECK_FAILS(cbk_model_codebook_exact(m, 0, &a), wrong, "dkvb");
  float out[8];
  CHECK_FAILS(cbk_model_code_vector(m, 0, 0, 0, out, 8, &n), wrong, "dkvb");
  CHECK_FAILS(cbk_model_code_logits(m, 0, 0, 0, out, 8, &n), wrong, "dkvb");
  cbk_generation_defaults gen{};
  gen.struct_size = sizeof(gen);
  CHECK_FAILS(cbk_model_generation_defaults(m, &gen), wrong, "dkvb");
  CHECK_FAILS(cbk_model_site_width(m, CBK_SITE_MLP, &n), wrong, "dkvb");
  cbk_session* session = nullptr;
  CHECK_FAILS(cbk_session_create(m, nullptr, &session), wrong, "dkvb");
  CHECK(session == nullptr);
  uint64_t estimate = 0;
  CHECK_FAILS(cbk_session_memory_estimate(m, nullptr, &estimate), wrong, "dkvb");
  // Counting functions report nothing; the kind-independent facts work.
  CHECK(cbk_model_codebook_count(m) == 0);
  CHECK(cbk_model_annotation_count(m) == 0);
  uint32_t major = 0, minor = 0;
  CHECK(cbk_model_schema_version(m, &major, &minor) == CBK_STATUS_OK);
  CHECK((major == 1 && minor == 3));
  cbk_file_info file{};
  file.struct_size = sizeof(file);
  CHECK(cbk_model_file_info(m, &file) == CBK_STATUS_OK);
  const char* name = nullptr;
  CHECK(cbk_model_metadata(m, "name", &name) == CBK_STATUS_OK);
  CHECK(std::string(name) == "dkvb fixture 11");
  // The tensor table lists the DKVB tensors.
  REQUIRE(cbk_model_find_tensor(m, CBK_TENSORS_MODEL, "dkvb.keys", &index) == CBK_STATUS_OK);
  cbk_tensor_info t{};
  t.struct_size = sizeof(t);
  REQUIRE(cbk_model_tensor_info(m, CBK_TENSORS_MODEL, index, &t) == CBK_STATUS_OK);
  REQUIRE(t.n_dims == 3);
  CHECK(t.shape[0] == 3);
  CHECK(t.shape[1] == 17);
}
