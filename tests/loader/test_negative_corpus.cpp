// The negative corpus: every hostile file built by make_fixtures.py is rejected with the status
// its manifest names, from a path and from memory, with a message; and random damage to a valid
// file is always detected.
#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <set>

#include "runtime/loader/load_model.hpp"
#include "tests/loader/fixture_paths.hpp"

namespace {

struct Case {
  std::string name;
  std::string expected;
};

std::vector<Case> manifest() {
  std::vector<Case> cases;
  std::ifstream in(cbk::test::fixtures_dir() + "/corrupt/manifest.txt");
  Case c;
  while (in >> c.name >> c.expected) cases.push_back(c);
  return cases;
}

}  // namespace

TEST_CASE("every corrupt file gets its specific status and a message", "[loader][negative]") {
  const std::vector<Case> cases = manifest();
  REQUIRE(cases.size() >= 20);
  std::set<std::string> statuses;
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const std::string path = cbk::test::fixtures_dir() + "/corrupt/" + c.name + ".cbk";
      std::shared_ptr<const cbk::Model> model;
      cbk::Error e = cbk::load_model_file(path, {}, &model);
      INFO("message: " << e.message);
      CHECK(std::string(cbk::status_name(e.status)) == c.expected);
      CHECK_FALSE(model);
      CHECK(e.message.size() > 10);

      const std::vector<unsigned char> bytes = cbk::test::read_file(path);
      cbk::Error from_memory = cbk::load_model_memory(bytes.data(), bytes.size(), cbk::BufferMode::copy, {}, &model);
      CHECK(from_memory.status == e.status);
      CHECK_FALSE(model);
    }
    statuses.insert(c.expected);
  }
  CHECK(statuses.size() >= 15);  // the corpus exercises many distinct rules, not one rule many times
}

TEST_CASE("a newer major schema version names both versions", "[loader][negative]") {
  std::shared_ptr<const cbk::Model> model;
  cbk::Error e = cbk::load_model_file(cbk::test::fixtures_dir() + "/corrupt/future_version.cbk", {}, &model);
  CHECK(e.status == cbk::Status::unsupported_version);
  CHECK(e.message.find("2.0") != std::string::npos);
  // ... the file's (2.0) and the newest this library reads.
  const std::string supported = std::to_string(cbk::kSchemaMajor) + "." + std::to_string(cbk::kSchemaMinor);
  CHECK(e.message.find(supported) != std::string::npos);
}

TEST_CASE("random damage to a valid file is always detected and never crashes", "[loader][fuzz]") {
  const std::vector<unsigned char> good = cbk::test::read_file(cbk::test::fixtures_dir() + "/gpt_neox.cbk");
  REQUIRE(good.size() > 1000);
  std::mt19937_64 rng(20261122);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::size_t detected = 0;
  const int iterations = 1500;
  for (int i = 0; i < iterations; ++i) {
    std::vector<unsigned char> bad = good;
    const int mode = i % 3;
    if (mode == 0) {
      bad.resize(pick(good.size()));  // truncation anywhere
    } else {
      // Up to 4 contiguous damaged bytes: a burst CRC-32 always detects. Mode 2 aims at the header,
      // where the structural checks must hold even before the checksum is consulted.
      const std::size_t span = mode == 2 ? std::min<std::size_t>(good.size(), 4096) : good.size();
      const std::size_t at = pick(span - 4);
      const std::size_t len = 1 + pick(4);
      for (std::size_t j = 0; j < len; ++j) bad[at + j] ^= static_cast<unsigned char>(1 + pick(255));
    }
    std::shared_ptr<const cbk::Model> model;
    cbk::Error e = cbk::load_model_memory(bad.data(), bad.size(), cbk::BufferMode::copy, {}, &model);
    if (!e.ok()) {
      ++detected;
      CHECK_FALSE(model);
      CHECK_FALSE(e.message.empty());
    }
    // Without the data checksum, damage to tensor values may load; it must still never crash.
    cbk::LoadOptions fast;
    fast.verify_data_checksum = false;
    (void)cbk::load_model_memory(bad.data(), bad.size(), cbk::BufferMode::copy, fast, &model);
  }
  CHECK(detected == static_cast<std::size_t>(iterations));
}
