// Shared helpers for the engine tests: load a fixture model, open sessions, run prompts.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "runtime/engine/prepared_model.hpp"
#include "runtime/engine/session.hpp"
#include "runtime/loader/load_model.hpp"

namespace cbk::test {

inline std::string engine_model_path(const std::string& name) {
  const char* dir = std::getenv("CBK_ENGINE_MODELS");
  return std::string(dir ? dir : "models") + "/" + name + ".cbk";
}

inline std::shared_ptr<const PreparedModel> prepared(const std::string& name) {
  std::shared_ptr<const Model> model;
  Error e = load_model_file(engine_model_path(name), LoadOptions{}, &model);
  INFO(e.message);
  REQUIRE(e.ok());
  std::shared_ptr<const PreparedModel> pm;
  e = PreparedModel::prepare(model, &pm);
  INFO(e.message);
  REQUIRE(e.ok());
  return pm;
}

inline std::unique_ptr<Session> open_session(std::shared_ptr<const PreparedModel> pm, bool trace = true,
                                             std::uint32_t chunk = 64, std::uint32_t max_context = 0) {
  SessionOptions opt;
  opt.trace = trace;
  opt.prefill_chunk = chunk;
  opt.max_context = max_context;
  std::unique_ptr<Session> s;
  Error e = Session::create(std::move(pm), opt, &s);
  INFO(e.message);
  REQUIRE(e.ok());
  return s;
}

// Token ids 0..n-1 scrambled so that neighbours differ.
inline std::vector<std::int32_t> test_prompt(std::size_t n, std::size_t vocab) {
  std::vector<std::int32_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<std::int32_t>((i * 37 + 11) % vocab);
  return ids;
}

}  // namespace cbk::test
