// API version 4: cbk_model_layer_attention_scale, on the fixture (GPT-2, head_dim 8) and on the same
// model written with scale_attention_by_inverse_layer (schema 1.1: layer L also divides by L + 1).
#include <cmath>
#include <string>

#include "tests/api/api_test_support.hpp"

using namespace cbk_api_test;

TEST_CASE("attention scale: 1/sqrt(head_dim) in every layer of a plain GPT-2", "[api][v4]") {
  cbk::model_ptr model = load_fixture();
  const cbk_architecture a = arch_of(model.get());
  REQUIRE(a.head_dim == 8);
  REQUIRE(a.n_layers == 2);
  for (uint32_t l = 0; l < a.n_layers; ++l) {
    float scale = 0.0f;
    int inverse = -1;
    REQUIRE(cbk_model_layer_attention_scale(model.get(), l, &scale, &inverse) == CBK_STATUS_OK);
    CHECK(scale == Approx(0.35355339059327373).epsilon(1e-7));  // 1 / sqrt(8)
    CHECK(inverse == 0);
  }
  uint32_t major = 0, minor = 9;
  REQUIRE(cbk_model_schema_version(model.get(), &major, &minor) == CBK_STATUS_OK);
  CHECK(minor == 0);  // no 1.1 field: the writer keeps the file at 1.0
}

TEST_CASE("attention scale: divided by layer + 1 with scale_attention_by_inverse_layer", "[api][v4]") {
  cbk::model_ptr model = load_fixture("api_invlayer");
  const cbk_architecture a = arch_of(model.get());
  const double expected[] = {0.35355339059327373, 0.17677669529663687};  // 1/sqrt(8), 1/(2 sqrt(8))
  for (uint32_t l = 0; l < a.n_layers; ++l) {
    float scale = 0.0f;
    int inverse = 0;
    REQUIRE(cbk_model_layer_attention_scale(model.get(), l, &scale, &inverse) == CBK_STATUS_OK);
    CHECK(scale == Approx(expected[l]).epsilon(1e-7));
    CHECK(inverse == 1);
    int local = -1, scaled = -1;
    REQUIRE(cbk_model_layer_attention(model.get(), l, &local, &scaled) == CBK_STATUS_OK);
    CHECK(scaled == 1);
  }
  uint32_t major = 0, minor = 0, lib_minor = 0;
  REQUIRE(cbk_model_schema_version(model.get(), &major, &minor) == CBK_STATUS_OK);
  cbk_supported_schema_version(nullptr, &lib_minor);
  CHECK(major == 1);
  CHECK(minor == 1);
  CHECK(lib_minor >= 1);
  CHECK(cbk_model_layer_attention_scale(model.get(), 0, nullptr, nullptr) == CBK_STATUS_OK);
}

TEST_CASE("attention scale: bad layer and NULL model", "[api][v4][misuse]") {
  cbk::model_ptr model = load_fixture();
  float scale = 7.0f;
  int inverse = 7;
  CHECK_FAILS(cbk_model_layer_attention_scale(model.get(), 2, &scale, &inverse), CBK_STATUS_OUT_OF_RANGE,
              "layer 2 is out of range (the model has 2)");
  CHECK(scale == 7.0f);
  CHECK(inverse == 7);
  CHECK_FAILS(cbk_model_layer_attention_scale(nullptr, 0, &scale, &inverse), CBK_STATUS_INVALID_ARGUMENT,
              "model is NULL");
}
