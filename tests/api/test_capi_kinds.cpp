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
