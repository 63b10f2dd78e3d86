// API version 3: tensor data by name (cbk_model_find_tensor, cbk_model_tensor_data) and activation
// captures (cbk_model_site_width, cbk_session_set_capture, cbk_session_clear_captures).
#include <cmath>
#include <cstring>
#include <vector>

#include "tests/api/api_test_support.hpp"

using namespace cbk_api_test;

namespace {

constexpr float kUntouched = 12345.0f;
const int32_t kPrompt[6] = {1, 5, 9, 2, 7, 3};

}  // namespace

TEST_CASE("extra tensors are found by name and their bytes read", "[api]") {
  cbk::model_ptr model = load_fixture();
  size_t index = 99;
  REQUIRE(cbk_model_find_tensor(model.get(), CBK_TENSORS_EXTRA, "table.i32", &index) == CBK_STATUS_OK);
  cbk_tensor_info t{};
  t.struct_size = sizeof(t);
  REQUIRE(cbk_model_tensor_info(model.get(), CBK_TENSORS_EXTRA, index, &t) == CBK_STATUS_OK);
  CHECK(std::strcmp(t.name, "table.i32") == 0);
  const void* data = nullptr;
  const float* scales = reinterpret_cast<const float*>(&t);  // must be overwritten with NULL
  REQUIRE(cbk_model_tensor_data(model.get(), CBK_TENSORS_EXTRA, index, &data, &scales) == CBK_STATUS_OK);
  CHECK(scales == nullptr);
  REQUIRE(t.bytes == 6 * sizeof(int32_t));
  int32_t values[6];
  std::memcpy(values, data, sizeof(values));
  for (int i = 0; i < 6; ++i) CHECK(values[i] == i);

  REQUIRE(cbk_model_find_tensor(model.get(), CBK_TENSORS_EXTRA, "notes.u8", &index) == CBK_STATUS_OK);
  REQUIRE(cbk_model_tensor_data(model.get(), CBK_TENSORS_EXTRA, index, &data, nullptr) == CBK_STATUS_OK);
  CHECK(std::memcmp(data, "hello", 5) == 0);

  REQUIRE(cbk_model_find_tensor(model.get(), CBK_TENSORS_MODEL, "tok_embed", &index) == CBK_STATUS_OK);
  REQUIRE(cbk_model_tensor_data(model.get(), CBK_TENSORS_MODEL, index, &data, nullptr) == CBK_STATUS_OK);
  CHECK(data != nullptr);

  CHECK_FAILS(cbk_model_find_tensor(model.get(), CBK_TENSORS_EXTRA, "fsm.transitions", &index),
              CBK_STATUS_OUT_OF_RANGE, "fsm.transitions");
  CHECK_FAILS(cbk_model_find_tensor(model.get(), CBK_TENSORS_EXTRA, nullptr, &index), CBK_STATUS_INVALID_ARGUMENT,
              "name");
  CHECK_FAILS(cbk_model_find_tensor(model.get(), static_cast<cbk_tensor_list>(7), "x", &index),
              CBK_STATUS_INVALID_ARGUMENT, "list");
  const size_t n_extra = cbk_model_tensor_count(model.get(), CBK_TENSORS_EXTRA);
  CHECK_FAILS(cbk_model_tensor_data(model.get(), CBK_TENSORS_EXTRA, n_extra, &data, nullptr), CBK_STATUS_OUT_OF_RANGE,
              "out of range");
  CHECK_FAILS(cbk_model_tensor_data(model.get(), CBK_TENSORS_EXTRA, 0, nullptr, nullptr),
              CBK_STATUS_INVALID_ARGUMENT, "data_out");
  CHECK_FAILS(cbk_model_tensor_data(nullptr, CBK_TENSORS_EXTRA, 0, &data, nullptr), CBK_STATUS_INVALID_ARGUMENT,
              "model");
}

TEST_CASE("site widths follow the architecture", "[api]") {
  cbk::model_ptr model = load_fixture();
  const cbk_architecture a = arch_of(model.get());
  size_t w = 0;
  REQUIRE(cbk_model_site_width(model.get(), CBK_SITE_MLP, &w) == CBK_STATUS_OK);
  CHECK(w == a.d_model);
  REQUIRE(cbk_model_site_width(model.get(), CBK_SITE_MLP_MID, &w) == CBK_STATUS_OK);
  CHECK(w == a.d_mlp);
  REQUIRE(cbk_model_site_width(model.get(), CBK_SITE_QKV, &w) == CBK_STATUS_OK);
  CHECK(w == 3u * a.d_model);
  CHECK_FAILS(cbk_model_site_width(model.get(), static_cast<cbk_site>(9), &w), CBK_STATUS_INVALID_ARGUMENT, "site");
  CHECK_FAILS(cbk_model_site_width(model.get(), CBK_SITE_MLP, nullptr), CBK_STATUS_INVALID_ARGUMENT, "width_out");
}

TEST_CASE("captures copy the codebook's input per position, unchanged by steering", "[api]") {
  cbk::model_ptr model = load_fixture();
  const size_t d = arch_of(model.get()).d_model, n = 6;
  cbk::session_ptr s = open_session(model.get(), false);
  std::vector<float> full(8 * d, kUntouched), head(2 * d, kUntouched);
  REQUIRE(cbk_session_set_capture(s.get(), 1, CBK_SITE_MLP, full.data(), 8) == CBK_STATUS_OK);
  REQUIRE(cbk_session_set_capture(s.get(), 0, CBK_SITE_MLP, head.data(), 2) == CBK_STATUS_OK);
  REQUIRE(cbk_session_prefill(s.get(), kPrompt, n) == CBK_STATUS_OK);
  for (size_t i = 0; i < n * d; ++i) REQUIRE(std::isfinite(full[i]));
  for (size_t i = n * d; i < full.size(); ++i) REQUIRE(full[i] == kUntouched);  // rows not reached
  CHECK(std::memcmp(full.data(), head.data(), 2 * d * sizeof(float)) != 0);     // layer 0 differs from 1
  const std::vector<float> plain(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n * d));

  // Capturing changes no output: the same logits as a session without captures.
  const float* logits = nullptr;
  size_t vocab = 0;
  REQUIRE(cbk_session_logits(s.get(), &logits, &vocab) == CBK_STATUS_OK);
  const std::vector<float> captured_logits(logits, logits + vocab);
  cbk::session_ptr bare = open_session(model.get(), false);
  REQUIRE(cbk_session_prefill(bare.get(), kPrompt, n) == CBK_STATUS_OK);
  REQUIRE(cbk_session_logits(bare.get(), &logits, &vocab) == CBK_STATUS_OK);
  CHECK(std::memcmp(captured_logits.data(), logits, vocab * sizeof(float)) == 0);

  // Forcing a code at (1, mlp) changes what follows the codebook, not its input.
  const cbk_target target{1, CBK_SITE_MLP, -1};
  REQUIRE(cbk_steer_force(s.get(), &target, 0, nullptr, CBK_FORCE_ALL, -1, 1.0f) == CBK_STATUS_OK);
  std::fill(full.begin(), full.end(), kUntouched);
  REQUIRE(cbk_session_reset(s.get()) == CBK_STATUS_OK);  // captures survive a reset
  REQUIRE(cbk_session_prefill(s.get(), kPrompt, n) == CBK_STATUS_OK);
  CHECK(std::memcmp(full.data(), plain.data(), n * d * sizeof(float)) == 0);
}

TEST_CASE("captures are replaced per (layer, site), cleared, and validated", "[api]") {
  cbk::model_ptr model = load_fixture();
  const size_t d = arch_of(model.get()).d_model;
  cbk::session_ptr s = open_session(model.get(), false);
  std::vector<float> first(4 * d, kUntouched), second(4 * d, kUntouched);
  REQUIRE(cbk_session_set_capture(s.get(), 1, CBK_SITE_MLP, first.data(), 4) == CBK_STATUS_OK);
  REQUIRE(cbk_session_set_capture(s.get(), 1, CBK_SITE_MLP, second.data(), 4) == CBK_STATUS_OK);

  // Failed calls leave the installed capture as it was.
  CHECK_FAILS(cbk_session_set_capture(s.get(), 2, CBK_SITE_MLP, first.data(), 4), CBK_STATUS_OUT_OF_RANGE, "layer 2");
  CHECK_FAILS(cbk_session_set_capture(s.get(), 0, CBK_SITE_ATTN_PLUS_MLP, first.data(), 4), CBK_STATUS_OUT_OF_RANGE,
              "attn_plus_mlp");
  CHECK_FAILS(cbk_session_set_capture(s.get(), 0, static_cast<cbk_site>(9), first.data(), 4),
              CBK_STATUS_OUT_OF_RANGE, "site");
  CHECK_FAILS(cbk_session_set_capture(s.get(), 0, CBK_SITE_MLP, nullptr, 4), CBK_STATUS_INVALID_ARGUMENT, "buffer");
  CHECK_FAILS(cbk_session_set_capture(s.get(), 0, CBK_SITE_MLP, first.data(), 0), CBK_STATUS_INVALID_ARGUMENT, "rows");
  CHECK_FAILS(cbk_session_set_capture(nullptr, 0, CBK_SITE_MLP, first.data(), 4), CBK_STATUS_INVALID_ARGUMENT,
              "session");
  CHECK(std::string(cbk_session_last_error(s.get())).find("rows") != std::string::npos);

  REQUIRE(cbk_session_prefill(s.get(), kPrompt, 3) == CBK_STATUS_OK);
  CHECK(first[0] == kUntouched);  // replaced: only the second buffer is written
  CHECK(second[0] != kUntouched);
  CHECK(second[3 * d] == kUntouched);

  REQUIRE(cbk_session_clear_captures(s.get()) == CBK_STATUS_OK);
  std::fill(second.begin(), second.end(), kUntouched);
  REQUIRE(cbk_session_reset(s.get()) == CBK_STATUS_OK);
  REQUIRE(cbk_session_prefill(s.get(), kPrompt, 3) == CBK_STATUS_OK);
  CHECK(second[0] == kUntouched);
  CHECK(cbk_session_clear_captures(nullptr) == CBK_STATUS_INVALID_ARGUMENT);
}
