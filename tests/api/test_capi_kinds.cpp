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

TEST_CASE("a kind this library does not run is refused at load", "[api][kind]") {
  cbk_model* model = nullptr;
  CHECK_FAILS(cbk_model_load_file(cbk_api_test::model_path("api_protonet").c_str(), nullptr, &model),
              CBK_STATUS_UNSUPPORTED_MODEL_KIND, "does not implement protonet models");
  CHECK(model == nullptr);
}
