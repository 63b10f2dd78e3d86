// The DKVB engine (runtime/dkvb) on every ISA this host runs:
//  - at the search and gather kernels' tile boundaries (pairs, key_dim, value_dim around the tiles),
//    against the numpy reference's goldens (tests/dkvb/make_models.py);
//  - the shipped toy model (models/dkvb-toy.cbk) against the trainer's own key ids and logits
//    (tests/dkvb/dkvb-toy.golden.json, written by tools/python/dkvb/train_toy.py): ids exactly,
//    logits within 1e-5.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/dkvb/classifier.hpp"
#include "runtime/loader/load_model.hpp"
#include "tests/common/json_reader.hpp"

namespace {

using cbk_test::Json;

std::vector<cbk::simd::Isa> supported_isas() {
  std::vector<cbk::simd::Isa> out;
  for (int i = 0; i < cbk::simd::kIsaCount; ++i) {
    const auto isa = static_cast<cbk::simd::Isa>(i);
    if (cbk::simd::isa_supported(isa)) out.push_back(isa);
  }
  return out;
}

std::shared_ptr<const cbk::Model> load(const std::string& path) {
  std::shared_ptr<const cbk::Model> model;
  cbk::Error e = cbk::load_model_file(path, {}, &model);
  INFO(path << ": " << e.message);
  REQUIRE(e.ok());
  return model;
}

// Classifies the golden's inputs on `isa` and checks ids exactly and logits within `tolerance`
// (absolute, scaled by 1 + |logit| when `relative`).
void check_golden(const std::shared_ptr<const cbk::Model>& model, const Json& g, cbk::simd::Isa isa, double tolerance,
                  bool relative) {
  INFO("isa " << cbk::simd::isa_name(isa));
  std::shared_ptr<const cbk::dkvb::PreparedDkvb> prepared;
  REQUIRE(cbk::dkvb::PreparedDkvb::prepare(model, &prepared, &cbk::simd::kernels_for(isa)).ok());
  std::unique_ptr<cbk::dkvb::Classifier> classifier;
  REQUIRE(cbk::dkvb::Classifier::create(prepared, &classifier).ok());
  const std::size_t rows = g["inputs"].array.size(), heads = prepared->heads(), classes = prepared->classes();
  REQUIRE(rows > 0);
  std::vector<float> x;
  for (const Json& row : g["inputs"].array)
    for (const Json& v : row.array) x.push_back(static_cast<float>(v.number));
  REQUIRE(x.size() == rows * prepared->input_dim());
  std::vector<std::int32_t> ids(rows * heads);
  std::vector<float> logits(rows * classes);
  REQUIRE(classifier->classify(x.data(), rows, ids.data(), logits.data()).ok());
  std::size_t id_mismatches = 0, logit_mismatches = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t h = 0; h < heads; ++h)
      id_mismatches += ids[r * heads + h] != g["keys"].array[r].array[h].as_int();
    for (std::size_t k = 0; k < classes; ++k) {
      const double want = g["logits"].array[r].array[k].number;
      const double bound = relative ? tolerance * (1.0 + std::fabs(want)) : tolerance;
      logit_mismatches += std::fabs(logits[r * classes + k] - want) > bound;
    }
  }
  CHECK(id_mismatches == 0);
  CHECK(logit_mismatches == 0);
}

}  // namespace

TEST_CASE("the engine equals the numpy reference at tile boundaries on every ISA", "[dkvb][kernels]") {
  const char* env = std::getenv("CBK_DKVB_MODELS");
  const char* dir = env ? env : CBK_DKVB_MODELS_DIR;
  std::ifstream manifest(std::string(dir) + "/manifest.txt");
  std::string name;
  std::size_t models = 0;
  while (manifest >> name) {
    ++models;
    DYNAMIC_SECTION(name) {
      const auto model = load(std::string(dir) + "/" + name + ".cbk");
      const Json g = cbk_test::parse_json(cbk_test::read_file(std::string(dir) + "/" + name + ".golden.json"));
      for (cbk::simd::Isa isa : supported_isas()) check_golden(model, g, isa, 1e-5, true);
    }
  }
  CHECK(models >= 10);
}

TEST_CASE("parity: the shipped toy model reproduces the trainer's key ids and logits", "[dkvb][parity]") {
  const auto model = load(CBK_DKVB_TOY_MODEL);
  const Json g = cbk_test::parse_json(cbk_test::read_file(CBK_DKVB_TOY_GOLDEN));
  CHECK(g["near_ties_skipped"].as_int() < 10);  // of 800 test inputs
  for (cbk::simd::Isa isa : supported_isas()) check_golden(model, g, isa, 1e-5, false);
}
