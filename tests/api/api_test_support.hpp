// Shared helpers for the C API tests: the fixture model's path and a status+message matcher.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "bindings/c/include/cbk.hpp"

namespace cbk_api_test {

inline std::string model_path(const char* name = "api") {
  const char* dir = std::getenv("CBK_API_MODELS");
  return std::string(dir ? dir : "models") + "/" + name + ".cbk";
}

inline cbk::model_ptr load_fixture(const char* name = "api") {
  cbk_status st = CBK_STATUS_INTERNAL;
  cbk::model_ptr model = cbk::load_model(model_path(name).c_str(), nullptr, &st);
  INFO(cbk_last_error_message());
  REQUIRE(st == CBK_STATUS_OK);
  REQUIRE(model != nullptr);
  return model;
}

inline cbk_architecture arch_of(const cbk_model* model) {
  cbk_architecture a{};
  a.struct_size = sizeof(a);
  REQUIRE(cbk_model_architecture(model, &a) == CBK_STATUS_OK);
  return a;
}

inline cbk::session_ptr open_session(const cbk_model* model, bool trace = true, uint32_t max_context = 0) {
  cbk_session_params p = cbk_session_default_params();
  p.trace = trace ? 1 : 0;
  p.max_context = max_context;
  cbk_status st = CBK_STATUS_INTERNAL;
  cbk::session_ptr s = cbk::create_session(model, &p, &st);
  INFO(cbk_last_error_message());
  REQUIRE(st == CBK_STATUS_OK);
  return s;
}

}  // namespace cbk_api_test

// The call returns `expected` and the thread's last-error message contains `why`.
#define CHECK_FAILS(call, expected, why)                                  \
  do {                                                                    \
    const cbk_status st_ = (call);                                        \
    INFO(#call << " -> " << cbk_status_string(st_) << ": " << cbk_last_error_message()); \
    CHECK(st_ == (expected));                                             \
    CHECK(std::string(cbk_last_error_message()).find(why) != std::string::npos); \
  } while (0)
