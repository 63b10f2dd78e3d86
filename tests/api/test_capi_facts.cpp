// API version 2: file facts, parameter counts, tensor tables, codebook storage, generation
// defaults, tokenizer sizes, and the all-prompt logits of cbk_session_prefill_logits.
#include <cstring>
#include <fstream>
#include <vector>

#include "tests/api/api_test_support.hpp"

using namespace cbk_api_test;

TEST_CASE("file facts and parameter counts agree with the tensor table", "[api]") {
  cbk::model_ptr model = load_fixture();
  cbk_file_info f{};
  f.struct_size = sizeof(f);
  REQUIRE(cbk_model_file_info(model.get(), &f) == CBK_STATUS_OK);
  std::ifstream in(model_path(), std::ios::binary | std::ios::ate);
  CHECK(f.file_size == static_cast<uint64_t>(in.tellg()));
  CHECK(f.data_offset + f.data_size <= f.file_size);
  CHECK(f.data_crc_verified == 1);

  cbk_parameter_counts p{};
  p.struct_size = sizeof(p);
  REQUIRE(cbk_model_parameter_counts(model.get(), &p) == CBK_STATUS_OK);
  uint64_t tensor_elements = 0;
  const size_t n = cbk_model_tensor_count(model.get(), CBK_TENSORS_MODEL);
  REQUIRE(n > 0);
  for (size_t i = 0; i < n; ++i) {
    cbk_tensor_info t{};
    t.struct_size = sizeof(t);
    REQUIRE(cbk_model_tensor_info(model.get(), CBK_TENSORS_MODEL, i, &t) == CBK_STATUS_OK);
    uint64_t prod = 1;
    for (size_t d = 0; d < t.n_dims; ++d) prod *= t.shape[d];
    CHECK(prod == t.elements);
    CHECK(t.file_offset >= f.data_offset);
    tensor_elements += t.elements;
  }
  CHECK(p.total == p.embeddings + p.attention + p.mlp + p.norms + p.lm_head + p.codebooks);
  CHECK(p.total - p.codebooks == tensor_elements);

  cbk_tensor_info t{};
  t.struct_size = sizeof(t);
  CHECK(cbk_model_tensor_info(model.get(), CBK_TENSORS_MODEL, n, &t) == CBK_STATUS_OUT_OF_RANGE);
  CHECK(cbk_model_tensor_info(model.get(), static_cast<cbk_tensor_list>(7), 0, &t) == CBK_STATUS_INVALID_ARGUMENT);
  CHECK(cbk_model_tensor_count(nullptr, CBK_TENSORS_MODEL) == 0);
  t.struct_size = 4;
  CHECK(cbk_model_tensor_info(model.get(), CBK_TENSORS_MODEL, 0, &t) == CBK_STATUS_INVALID_ARGUMENT);
  CHECK(cbk_model_file_info(nullptr, &f) == CBK_STATUS_INVALID_ARGUMENT);
  CHECK(cbk_model_parameter_counts(model.get(), nullptr) == CBK_STATUS_INVALID_ARGUMENT);
}

TEST_CASE("codebook storage, layer attention, generation defaults, tokenizer sizes", "[api]") {
  cbk::model_ptr model = load_fixture();
  const size_t n_books = cbk_model_codebook_count(model.get());
  REQUIRE(n_books > 0);
  for (size_t i = 0; i < n_books; ++i) {
    cbk_codebook_info info{};
    info.struct_size = sizeof(info);
    REQUIRE(cbk_model_codebook_info(model.get(), i, &info) == CBK_STATUS_OK);
    const char* dtype = nullptr;
    uint64_t bytes = 0;
    REQUIRE(cbk_model_codebook_storage(model.get(), i, &dtype, &bytes) == CBK_STATUS_OK);
    if (std::strcmp(dtype, "f32") == 0)  // codes plus the per-group LayerNorm weight and bias
      CHECK(bytes == 4ull * info.groups * (uint64_t{info.codes} * info.dim + 2ull * info.dim));
  }
  CHECK(cbk_model_codebook_storage(model.get(), n_books, nullptr, nullptr) == CBK_STATUS_OUT_OF_RANGE);

  cbk_architecture a{};
  a.struct_size = sizeof(a);
  REQUIRE(cbk_model_architecture(model.get(), &a) == CBK_STATUS_OK);
  int local = -1, scaled = -1;
  REQUIRE(cbk_model_layer_attention(model.get(), 0, &local, &scaled) == CBK_STATUS_OK);
  CHECK((local == 0 || local == 1));
  CHECK((scaled == 0 || scaled == 1));
  CHECK(cbk_model_layer_attention(model.get(), a.n_layers, &local, &scaled) == CBK_STATUS_OUT_OF_RANGE);

  cbk_generation_defaults g{};
  g.struct_size = sizeof(g);
  REQUIRE(cbk_model_generation_defaults(model.get(), &g) == CBK_STATUS_OK);
  CHECK(g.top_p > 0.0f);
  CHECK(g.top_p <= 1.0f);

  cbk_tokenizer_info tok{};
  tok.struct_size = sizeof(tok);
  REQUIRE(cbk_model_tokenizer_info(model.get(), &tok) == CBK_STATUS_OK);
  size_t n_tokens = 0, n_merges = 0;
  if (tok.has_tokenizer) {
    REQUIRE(cbk_model_tokenizer_sizes(model.get(), &n_tokens, &n_merges) == CBK_STATUS_OK);
    CHECK(n_tokens == tok.vocab_size);
  } else {
    CHECK(cbk_model_tokenizer_sizes(model.get(), &n_tokens, &n_merges) == CBK_STATUS_UNSUPPORTED);
  }
}

TEST_CASE("prefill_logits gives every prompt token's logits, equal to step-by-step decoding", "[api]") {
  cbk::model_ptr model = load_fixture();
  cbk_architecture a{};
  a.struct_size = sizeof(a);
  REQUIRE(cbk_model_architecture(model.get(), &a) == CBK_STATUS_OK);
  const int32_t prompt[5] = {5, 70, 33, 120, 9};
  const size_t n = 5, v = a.vocab_size;
  std::vector<float> all(n * v);
  cbk::session_ptr s = open_session(model.get());
  CHECK(cbk_session_prefill_logits(s.get(), prompt, n, all.data(), n * v - 1) == CBK_STATUS_BUFFER_TOO_SMALL);
  CHECK(cbk_session_position(s.get()) == 0);
  CHECK(cbk_session_prefill_logits(s.get(), prompt, n, nullptr, n * v) == CBK_STATUS_INVALID_ARGUMENT);
  REQUIRE(cbk_session_prefill_logits(s.get(), prompt, n, all.data(), all.size()) == CBK_STATUS_OK);
  CHECK(cbk_session_position(s.get()) == n);

  // Row i equals the logits after running tokens 0..i one at a time.
  cbk::session_ptr step = open_session(model.get());
  REQUIRE(cbk_session_prefill(step.get(), prompt, 1) == CBK_STATUS_OK);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) REQUIRE(cbk_session_decode(step.get(), prompt[i]) == CBK_STATUS_OK);
    const float* logits = nullptr;
    size_t nv = 0;
    REQUIRE(cbk_session_logits(step.get(), &logits, &nv) == CBK_STATUS_OK);
    for (size_t j = 0; j < v; ++j) CHECK(all[i * v + j] == Approx(logits[j]).margin(1e-4));
  }
  CHECK(cbk_session_prefill_logits(s.get(), prompt, n, all.data(), all.size()) == CBK_STATUS_WRONG_STATE);
}

TEST_CASE("exact quantized codebooks: reported, counted in the file bytes, gathered from the f32 codes", "[api]") {
  // api_exact.cbk = api.cbk whose f16/int8 groups also store f32 originals = dequantized + 0.25
  // (tests/api/make_models.py), so its code vectors are the lossy file's plus 0.25.
  cbk::model_ptr lossy = load_fixture();
  cbk::model_ptr exact = load_fixture("api_exact");
  const size_t n_books = cbk_model_codebook_count(exact.get());
  REQUIRE(n_books == cbk_model_codebook_count(lossy.get()));
  size_t n_exact = 0;
  for (size_t i = 0; i < n_books; ++i) {
    const char *dtype = nullptr, *lossy_dtype = nullptr;
    uint64_t bytes = 0, lossy_bytes = 0;
    int is_exact = -1, lossy_exact = -1;
    REQUIRE(cbk_model_codebook_storage(exact.get(), i, &dtype, &bytes) == CBK_STATUS_OK);
    REQUIRE(cbk_model_codebook_storage(lossy.get(), i, &lossy_dtype, &lossy_bytes) == CBK_STATUS_OK);
    REQUIRE(cbk_model_codebook_exact(exact.get(), i, &is_exact) == CBK_STATUS_OK);
    REQUIRE(cbk_model_codebook_exact(lossy.get(), i, &lossy_exact) == CBK_STATUS_OK);
    CHECK(std::strcmp(dtype, lossy_dtype) == 0);  // the scanned table's dtype
    CHECK(lossy_exact == 0);
    CHECK(is_exact == (std::strcmp(dtype, "f32") != 0 ? 1 : 0));
    cbk_codebook_info info{};
    info.struct_size = sizeof(info);
    REQUIRE(cbk_model_codebook_info(exact.get(), i, &info) == CBK_STATUS_OK);
    const uint64_t originals = 4ull * info.groups * info.codes * info.dim;
    CHECK(bytes == lossy_bytes + (is_exact ? originals : 0));
    if (!is_exact) continue;
    ++n_exact;
    std::vector<float> a(info.dim), b(info.dim);
    size_t dim = 0;
    for (uint32_t g = 0; g < info.groups; ++g)
      for (uint32_t code : {0u, info.codes - 1}) {
        REQUIRE(cbk_model_code_vector(lossy.get(), i, g, code, a.data(), a.size(), &dim) == CBK_STATUS_OK);
        REQUIRE(cbk_model_code_vector(exact.get(), i, g, code, b.data(), b.size(), &dim) == CBK_STATUS_OK);
        for (size_t d = 0; d < dim; ++d) CHECK(b[d] == Approx(a[d] + 0.25f).margin(1e-6));
      }
  }
  CHECK(n_exact == 2);  // the fixture's f16 mlp and int8 mlp_mid codebooks
  int out = 0;
  CHECK(cbk_model_codebook_exact(exact.get(), n_books, &out) == CBK_STATUS_OUT_OF_RANGE);
  CHECK(cbk_model_codebook_exact(exact.get(), 0, nullptr) == CBK_STATUS_INVALID_ARGUMENT);
  CHECK(cbk_model_codebook_exact(nullptr, 0, &out) == CBK_STATUS_INVALID_ARGUMENT);
}
