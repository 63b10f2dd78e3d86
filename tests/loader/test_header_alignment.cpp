// A verified header never leads to a misaligned read. The FlatBuffers Verifier aligns a vector's
// 4-byte length prefix but not its elements, so a hostile file can put a [uint64] vector at 4 mod 8;
// the loader refuses that during verification (verify_failed) instead of reading it.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "runtime/loader/load_model.hpp"
#include "tests/loader/fixture_paths.hpp"
#include "tests/loader/reseal.hpp"

namespace {

// A 64-byte aligned copy of `bytes` (the borrow path needs one, and it is what the fuzzer loads).
struct AlignedCopy {
  explicit AlignedCopy(const std::vector<std::uint8_t>& bytes) : storage(bytes.size() + 64) {
    data = reinterpret_cast<std::uint8_t*>((reinterpret_cast<std::uintptr_t>(storage.data()) + 63) / 64 * 64);
    std::copy(bytes.begin(), bytes.end(), data);
  }
  std::vector<std::uint8_t> storage;
  std::uint8_t* data = nullptr;
};

}  // namespace

TEST_CASE("fuzz finding: a uint64 shape vector at 4 mod 8 is refused, not read", "[loader][regression]") {
  // tests/loader/regressions/loader-misaligned-u64.bin: found by fuzz_load (UBSan: misaligned load
  // in IndirectHelper<unsigned long>::Read from convert_header). Loaded exactly as the harness
  // does: resealed, from a 64-byte aligned buffer, borrowed and copied.
  const std::vector<unsigned char> raw = cbk::test::read_file(std::string(CBK_LOADER_REGRESSIONS) +
                                                              "/loader-misaligned-u64.bin");
  REQUIRE(raw.size() == 77056);
  std::vector<std::uint8_t> bytes(raw.begin(), raw.end());
  cbk::test::reseal(bytes);
  const AlignedCopy aligned(bytes);
  for (cbk::BufferMode mode : {cbk::BufferMode::borrow, cbk::BufferMode::copy}) {
    std::shared_ptr<const cbk::Model> model;
    const cbk::Error e = cbk::load_model_memory(aligned.data, bytes.size(), mode, {}, &model);
    INFO("message: " << e.message);
    CHECK(e.status == cbk::Status::verify_failed);
    CHECK(e.message.find(".shape: its uint64 elements start at file offset") != std::string::npos);
    CHECK(e.message.find("not a multiple of 8") != std::string::npos);
    CHECK_FALSE(model);
  }
}

TEST_CASE("Tensor.shape is the schema's only vector of 8-byte elements", "[loader][regression]") {
  // verify_structure checks the element alignment of exactly these vectors; a schema change that
  // adds another vector of 8-byte scalars must add it there too (this test then names it).
  std::ifstream in(CBK_SCHEMA_FBS);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string schema = text.str();
  const std::regex wide(R"((\w+)\s*:\s*\[\s*(uint64|int64|ulong|long|double|float64)\s*\])");
  std::vector<std::string> found;
  for (auto it = std::sregex_iterator(schema.begin(), schema.end(), wide); it != std::sregex_iterator(); ++it)
    found.push_back((*it)[1].str());
  CHECK(found == std::vector<std::string>{"shape"});
}
