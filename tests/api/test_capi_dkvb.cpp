// DKVB classifiers through cbk.h: picked keys and logits against the numpy reference
// (tools/python/dkvb/reference.py, written by make_models.py), steering, and every misuse status.
#include "tests/api/api_test_support.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tests/common/json_reader.hpp"

namespace {

using cbk_test::Json;

using cbk::dkvb_ptr;

dkvb_ptr make_classifier(const cbk_model* model) {
  cbk_status st = CBK_STATUS_INTERNAL;
  dkvb_ptr d = cbk::create_dkvb(model, &st);
  INFO(cbk_last_error_message());
  REQUIRE(st == CBK_STATUS_OK);
  return d;
}

cbk_dkvb_info info_of(const cbk_model* model) {
  cbk_dkvb_info info{};
  info.struct_size = sizeof(info);
  REQUIRE(cbk_model_dkvb_info(model, &info) == CBK_STATUS_OK);
  return info;
}

Json golden(const char* name) {
  return cbk_test::parse_json(cbk_test::read_file(cbk_api_test::model_path(name).replace(
      cbk_api_test::model_path(name).size() - 4, 4, ".golden.json")));
}

std::vector<float> inputs_of(const Json& g, std::size_t* rows) {
  std::vector<float> x;
  for (const Json& row : g["inputs"].array)
    for (const Json& v : row.array) x.push_back(static_cast<float>(v.number));
  *rows = g["inputs"].array.size();
  return x;
}

// Classifies the golden inputs with `d` and compares with case `name`.
void check_case(cbk_dkvb* d, const cbk_dkvb_info& info, const Json& g, const char* name) {
  INFO("case " << name);
  std::size_t rows = 0;
  const std::vector<float> x = inputs_of(g, &rows);
  std::vector<int32_t> keys(rows * info.heads, -7);
  std::vector<float> logits(rows * info.classes, NAN);
  REQUIRE(cbk_dkvb_classify(d, x.data(), rows, info.input_dim, keys.data(), keys.size(), logits.data(),
                            logits.size()) == CBK_STATUS_OK);
  const Json& c = g["cases"][name];
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t h = 0; h < info.heads; ++h) CHECK(keys[r * info.heads + h] == c["keys"].array[r].array[h].as_int());
    for (std::size_t k = 0; k < info.classes; ++k) {
      const double want = c["logits"].array[r].array[k].number;
      CHECK(std::fabs(logits[r * info.classes + k] - want) <= 1e-5 * (1.0 + std::fabs(want)));
    }
  }
}

}  // namespace

TEST_CASE("DKVB facts", "[api][dkvb]") {
  cbk::model_ptr model = cbk_api_test::load_fixture("api_dkvb");
  const cbk_dkvb_info info = info_of(model.get());
  CHECK(info.input_dim == 6);
  CHECK(info.embed_dim == 8);
  CHECK(info.encoder_layers == 1);
  CHECK(info.heads == 3);
  CHECK(info.pairs == 17);
  CHECK(info.key_dim == 4);
  CHECK(info.value_dim == 5);
  CHECK(info.classes == 5);
  CHECK(info.decoder == CBK_DKVB_VOTING);
  CHECK(info.has_projection == 1);
  CHECK(info.has_used_pairs == 1);
  CHECK(info.used_pairs < 3u * 17u);
  CHECK(info_of(cbk_api_test::load_fixture("api_dkvb_linear").get()).decoder == CBK_DKVB_LINEAR);
  float key[4] = {0, 0, 0, 0};
  REQUIRE(cbk_model_dkvb_key(model.get(), 2, 16, key, 4) == CBK_STATUS_OK);
  size_t index = 0;
  REQUIRE(cbk_model_find_tensor(model.get(), CBK_TENSORS_MODEL, "dkvb.keys", &index) == CBK_STATUS_OK);
  const void* data = nullptr;
  REQUIRE(cbk_model_tensor_data(model.get(), CBK_TENSORS_MODEL, index, &data, nullptr) == CBK_STATUS_OK);
  const float* keys = static_cast<const float*>(data);
  for (int i = 0; i < 4; ++i) CHECK(key[i] == keys[(2 * 17 + 16) * 4 + i]);
  CHECK_FAILS(cbk_model_dkvb_key(model.get(), 3, 0, key, 4), CBK_STATUS_OUT_OF_RANGE, "head 3");
  CHECK_FAILS(cbk_model_dkvb_key(model.get(), 0, 17, key, 4), CBK_STATUS_OUT_OF_RANGE, "key 17");
  CHECK_FAILS(cbk_model_dkvb_key(model.get(), 0, -1, key, 4), CBK_STATUS_OUT_OF_RANGE, "key -1");
  CHECK_FAILS(cbk_model_dkvb_key(model.get(), 0, 0, key, 3), CBK_STATUS_BUFFER_TOO_SMALL, "4 floats");
}

TEST_CASE("DKVB classification equals the numpy reference, plain and steered", "[api][dkvb]") {
  for (const char* name : {"api_dkvb", "api_dkvb_linear"}) {
    DYNAMIC_SECTION(name) {
      cbk::model_ptr model = cbk_api_test::load_fixture(name);
      const cbk_dkvb_info info = info_of(model.get());
      const Json g = golden(name);
      dkvb_ptr d = make_classifier(model.get());
      check_case(d.get(), info, g, "plain");

      REQUIRE(cbk_dkvb_force_key(d.get(), 1, 3) == CBK_STATUS_OK);
      check_case(d.get(), info, g, "force_h1_k3");
      REQUIRE(cbk_dkvb_force_key(d.get(), 1, -1) == CBK_STATUS_OK);
      check_case(d.get(), info, g, "plain");

      const int32_t first[6] = {0, 1, 2, 3, 4, 5};
      REQUIRE(cbk_dkvb_mask_pairs(d.get(), -1, first, 6, 1) == CBK_STATUS_OK);
      int searchable = 1;
      REQUIRE(cbk_dkvb_pair_searchable(d.get(), 2, 4, &searchable) == CBK_STATUS_OK);
      CHECK(searchable == 0);
      check_case(d.get(), info, g, "mask_0_5");
      REQUIRE(cbk_dkvb_mask_pairs(d.get(), -1, first, 6, 0) == CBK_STATUS_OK);
      check_case(d.get(), info, g, "plain");

      REQUIRE(cbk_dkvb_use_file_mask(d.get(), 0) == CBK_STATUS_OK);
      check_case(d.get(), info, g, "no_file_mask");
      REQUIRE(cbk_dkvb_use_file_mask(d.get(), 1) == CBK_STATUS_OK);

      std::vector<float> value;
      for (const Json& v : g["value_h0_k2"].array) value.push_back(static_cast<float>(v.number));
      REQUIRE(cbk_dkvb_set_value(d.get(), 0, 2, value.data(), value.size()) == CBK_STATUS_OK);
      std::vector<float> back(info.value_dim);
      REQUIRE(cbk_dkvb_value(d.get(), 0, 2, back.data(), back.size()) == CBK_STATUS_OK);
      CHECK(back == value);
      check_case(d.get(), info, g, "value_h0_k2");
      // Another classifier on the same model is not steered.
      dkvb_ptr other = make_classifier(model.get());
      check_case(other.get(), info, g, "plain");

      REQUIRE(cbk_dkvb_force_key(d.get(), 0, 1) == CBK_STATUS_OK);
      REQUIRE(cbk_dkvb_clear_steering(d.get()) == CBK_STATUS_OK);
      check_case(d.get(), info, g, "plain");
    }
  }
}

TEST_CASE("one row at a time equals the batch", "[api][dkvb]") {
  cbk::model_ptr model = cbk_api_test::load_fixture("api_dkvb_linear");
  const cbk_dkvb_info info = info_of(model.get());
  const Json g = golden("api_dkvb_linear");
  std::size_t rows = 0;
  const std::vector<float> x = inputs_of(g, &rows);
  dkvb_ptr d = make_classifier(model.get());
  std::vector<int32_t> keys(info.heads);
  std::vector<float> logits(info.classes);
  for (std::size_t r = 0; r < rows; ++r) {
    REQUIRE(cbk_dkvb_classify(d.get(), x.data() + r * info.input_dim, 1, info.input_dim, keys.data(), keys.size(),
                              nullptr, 0) == CBK_STATUS_OK);
    REQUIRE(cbk_dkvb_classify(d.get(), x.data() + r * info.input_dim, 1, info.input_dim, nullptr, 0, logits.data(),
                              logits.size()) == CBK_STATUS_OK);
    for (std::size_t h = 0; h < info.heads; ++h) CHECK(keys[h] == g["cases"]["plain"]["keys"].array[r].array[h].as_int());
    CHECK(std::fabs(logits[0] - g["cases"]["plain"]["logits"].array[r].array[0].number) < 1e-4);
  }
}

TEST_CASE("DKVB misuse gets a specific status and changes nothing", "[api][dkvb][misuse]") {
  cbk::model_ptr model = cbk_api_test::load_fixture("api_dkvb");
  const cbk_dkvb_info info = info_of(model.get());
  dkvb_ptr d = make_classifier(model.get());
  std::vector<float> x(2 * info.input_dim, 0.5f);
  std::vector<int32_t> keys(2 * info.heads);
  std::vector<float> logits(2 * info.classes);

  cbk::model_ptr transformer = cbk_api_test::load_fixture();
  cbk_dkvb* none = nullptr;
  CHECK_FAILS(cbk_dkvb_create(transformer.get(), &none), CBK_STATUS_WRONG_MODEL_KIND, "the model is a transformer model");
  CHECK(none == nullptr);
  cbk_dkvb_info info2{};
  info2.struct_size = sizeof(info2);
  CHECK_FAILS(cbk_model_dkvb_info(transformer.get(), &info2), CBK_STATUS_WRONG_MODEL_KIND, "needs a dkvb model");
  CHECK_FAILS(cbk_dkvb_create(nullptr, &none), CBK_STATUS_INVALID_ARGUMENT, "model");
  CHECK_FAILS(cbk_dkvb_create(model.get(), nullptr), CBK_STATUS_INVALID_ARGUMENT, "dkvb_out");

  CHECK_FAILS(cbk_dkvb_classify(nullptr, x.data(), 1, info.input_dim, nullptr, 0, nullptr, 0), CBK_STATUS_INVALID_ARGUMENT,
              "dkvb");
  CHECK_FAILS(cbk_dkvb_classify(d.get(), x.data(), 1, info.input_dim + 1, keys.data(), keys.size(), nullptr, 0),
              CBK_STATUS_INVALID_ARGUMENT, "input_dim is 6");
  CHECK(std::string(cbk_dkvb_last_error(d.get())).find("row_width is 7") != std::string::npos);
  CHECK_FAILS(cbk_dkvb_classify(d.get(), nullptr, 1, info.input_dim, keys.data(), keys.size(), nullptr, 0),
              CBK_STATUS_INVALID_ARGUMENT, "inputs is NULL");
  CHECK_FAILS(cbk_dkvb_classify(d.get(), x.data(), 2, info.input_dim, keys.data(), info.heads, nullptr, 0),
              CBK_STATUS_BUFFER_TOO_SMALL, "rows x heads");
  CHECK_FAILS(cbk_dkvb_classify(d.get(), x.data(), 2, info.input_dim, nullptr, 0, logits.data(), info.classes + 1),
              CBK_STATUS_BUFFER_TOO_SMALL, "rows x classes");
  CHECK_FAILS(cbk_dkvb_classify(d.get(), x.data(), 2, info.input_dim, nullptr, 5, nullptr, 0),
              CBK_STATUS_INVALID_ARGUMENT, "capacity");
  keys.assign(keys.size(), -9);
  x[info.input_dim + 3] = std::numeric_limits<float>::quiet_NaN();
  CHECK_FAILS(cbk_dkvb_classify(d.get(), x.data(), 2, info.input_dim, keys.data(), keys.size(), nullptr, 0),
              CBK_STATUS_NON_FINITE_VALUE, "input row 1 entry 3");
  CHECK(keys[0] == -9);  // nothing written
  x[info.input_dim + 3] = std::numeric_limits<float>::infinity();
  CHECK_FAILS(cbk_dkvb_classify(d.get(), x.data(), 2, info.input_dim, keys.data(), keys.size(), nullptr, 0),
              CBK_STATUS_NON_FINITE_VALUE, "NaN or infinite");
  CHECK(cbk_dkvb_classify(d.get(), x.data(), 0, info.input_dim, nullptr, 0, nullptr, 0) == CBK_STATUS_OK);

  CHECK_FAILS(cbk_dkvb_force_key(d.get(), 3, 0), CBK_STATUS_OUT_OF_RANGE, "head 3");
  CHECK_FAILS(cbk_dkvb_force_key(d.get(), 0, 17), CBK_STATUS_OUT_OF_RANGE, "key 17");
  CHECK_FAILS(cbk_dkvb_force_key(d.get(), 0, -2), CBK_STATUS_OUT_OF_RANGE, "key -2");
  CHECK_FAILS(cbk_dkvb_force_key(nullptr, 0, 0), CBK_STATUS_INVALID_ARGUMENT, "dkvb");

  const int32_t bad[2] = {1, 17};
  CHECK_FAILS(cbk_dkvb_mask_pairs(d.get(), 0, bad, 2, 1), CBK_STATUS_OUT_OF_RANGE, "key 17");
  int searchable = 0;
  REQUIRE(cbk_dkvb_pair_searchable(d.get(), 0, 0, &searchable) == CBK_STATUS_OK);
  CHECK(searchable == 1);  // the refused call masked nothing (pair 0 is always used in the fixture)
  CHECK_FAILS(cbk_dkvb_mask_pairs(d.get(), 3, bad, 1, 1), CBK_STATUS_OUT_OF_RANGE, "head 3");
  CHECK_FAILS(cbk_dkvb_mask_pairs(d.get(), -2, bad, 1, 1), CBK_STATUS_OUT_OF_RANGE, "head -2");
  CHECK_FAILS(cbk_dkvb_mask_pairs(d.get(), 0, nullptr, 1, 1), CBK_STATUS_INVALID_ARGUMENT, "keys is NULL");
  std::vector<int32_t> all(info.pairs);
  for (uint32_t i = 0; i < info.pairs; ++i) all[i] = static_cast<int32_t>(i);
  CHECK_FAILS(cbk_dkvb_mask_pairs(d.get(), 1, all.data(), all.size(), 1), CBK_STATUS_INVALID_ARGUMENT,
              "head 1 would have no searchable pair");
  REQUIRE(cbk_dkvb_pair_searchable(d.get(), 1, 0, &searchable) == CBK_STATUS_OK);
  CHECK(searchable == 1);
  CHECK_FAILS(cbk_dkvb_pair_searchable(d.get(), 0, 99, &searchable), CBK_STATUS_OUT_OF_RANGE, "key 99");

  std::vector<float> value(info.value_dim, 1.0f);
  CHECK_FAILS(cbk_dkvb_set_value(d.get(), 0, 0, value.data(), value.size() - 1), CBK_STATUS_INVALID_ARGUMENT,
              "value_dim = 5");
  CHECK_FAILS(cbk_dkvb_set_value(d.get(), 5, 0, value.data(), value.size()), CBK_STATUS_OUT_OF_RANGE, "head 5");
  CHECK_FAILS(cbk_dkvb_set_value(d.get(), 0, 0, nullptr, value.size()), CBK_STATUS_INVALID_ARGUMENT, "value is NULL");
  value[2] = std::numeric_limits<float>::quiet_NaN();
  CHECK_FAILS(cbk_dkvb_set_value(d.get(), 0, 0, value.data(), value.size()), CBK_STATUS_NON_FINITE_VALUE, "entry 2");
  std::vector<float> out(info.value_dim);
  CHECK_FAILS(cbk_dkvb_value(d.get(), 0, 0, out.data(), out.size() - 1), CBK_STATUS_BUFFER_TOO_SMALL, "5 floats");
  REQUIRE(cbk_dkvb_value(d.get(), 0, 0, out.data(), out.size()) == CBK_STATUS_OK);
  CHECK(std::isfinite(out[2]));  // the refused override left the value alone
  CHECK_FAILS(cbk_dkvb_clear_steering(nullptr), CBK_STATUS_INVALID_ARGUMENT, "dkvb");
  cbk_dkvb_free(nullptr);
  CHECK(std::string(cbk_dkvb_last_error(nullptr)).empty());
}

TEST_CASE("a classifier keeps its model alive", "[api][dkvb]") {
  cbk::model_ptr model = cbk_api_test::load_fixture("api_dkvb");
  const cbk_dkvb_info info = info_of(model.get());
  dkvb_ptr d = make_classifier(model.get());
  model.reset();
  std::vector<float> x(info.input_dim, 0.25f);
  std::vector<int32_t> keys(info.heads);
  CHECK(cbk_dkvb_classify(d.get(), x.data(), 1, info.input_dim, keys.data(), keys.size(), nullptr, 0) == CBK_STATUS_OK);
}
