// The loader's single pass over the data section (CRC + finite values, in 256 KiB chunks): values
// planted at and around chunk boundaries are found, named by the same message as the ordered
// check, and a damaged data section is reported as such ahead of anything else.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "runtime/loader/load_model.hpp"
#include "tests/loader/fixture_paths.hpp"
#include "tests/loader/reseal.hpp"

namespace {

constexpr std::uint64_t kChunk = 256 * 1024;  // the loader's chunk, relative to the data section

struct Loaded {
  cbk::Error error;
  std::shared_ptr<const cbk::Model> model;
};

Loaded load(const std::vector<std::uint8_t>& bytes, bool verify_crc = true) {
  Loaded out;
  cbk::LoadOptions options;
  options.verify_data_checksum = verify_crc;
  out.error = cbk::load_model_memory(bytes.data(), bytes.size(), cbk::BufferMode::copy, options, &out.model);
  return out;
}

std::vector<std::uint8_t> large_codes_file() {
  auto raw = cbk::test::read_file(cbk::test::fixtures_dir() + "/large_codes.cbk");
  return std::vector<std::uint8_t>(raw.begin(), raw.end());
}

struct Table {
  std::string name;
  std::uint64_t file_offset = 0;
  std::uint64_t elements = 0;
  std::uint64_t element_size = 0;
};

// The f32 (12000 x 32) and f16 (20000 x 32) code tables of the fixture, as the file places them.
std::vector<Table> code_tables(const cbk::Model& m) {
  std::vector<Table> out;
  for (const cbk::Codebook& cb : m.codebooks()) {
    const cbk::TensorView& t = cb.group_data.at(0).codes;
    out.push_back({t.name, t.file_offset, t.elements(), t.dtype == cbk::DType::f16 ? 2u : 4u});
  }
  return out;
}

void plant_non_finite(std::vector<std::uint8_t>& bytes, const Table& t, std::uint64_t element, bool nan) {
  std::uint8_t* p = bytes.data() + t.file_offset + element * t.element_size;
  if (t.element_size == 4) {
    const float v = nan ? std::numeric_limits<float>::quiet_NaN() : -std::numeric_limits<float>::infinity();
    std::memcpy(p, &v, 4);
  } else {
    const std::uint16_t h = nan ? 0x7E00u : 0x7C00u;  // f16 quiet NaN, +infinity
    std::memcpy(p, &h, 2);
  }
}

}  // namespace

TEST_CASE("the fixture's code tables span several data chunks", "[loader][verify_data]") {
  const auto bytes = large_codes_file();
  Loaded clean = load(bytes);
  REQUIRE(clean.error.ok());
  CHECK(clean.model->file().data_crc_verified);
  const auto tables = code_tables(*clean.model);
  REQUIRE(tables.size() == 2);
  for (const Table& t : tables) CHECK(t.elements * t.element_size > 4 * kChunk);
}

TEST_CASE("a non-finite code at, before and after each chunk boundary is found and named", "[loader][verify_data]") {
  const auto clean_bytes = large_codes_file();
  Loaded clean = load(clean_bytes);
  REQUIRE(clean.error.ok());
  const std::uint64_t data_offset = clean.model->file().data_offset;
  for (const Table& t : code_tables(*clean.model)) {
    // Elements whose bytes sit just before, at and just after every chunk boundary inside the
    // table, plus its first and last element.
    std::vector<std::uint64_t> elements = {0, t.elements - 1};
    const std::uint64_t begin = t.file_offset - data_offset, end = begin + t.elements * t.element_size;
    for (std::uint64_t boundary = (begin / kChunk + 1) * kChunk; boundary < end; boundary += kChunk) {
      const std::uint64_t at = (boundary - begin) / t.element_size;
      for (std::uint64_t e : {at - 1, at, at + 1}) elements.push_back(e);
    }
    REQUIRE(elements.size() >= 2 + 3 * 4);
    for (std::uint64_t element : elements) {
      for (bool nan : {true, false}) {
        auto bytes = clean_bytes;
        plant_non_finite(bytes, t, element, nan);
        const std::string expected = "tensor '" + t.name + "' element " + std::to_string(element) + " is NaN or infinite";
        INFO(t.name << " element " << element << (nan ? " NaN" : " inf"));
        // Unsealed: the data CRC no longer matches, and that is what is reported.
        Loaded damaged = load(bytes);
        CHECK(damaged.error.status == cbk::Status::checksum_mismatch);
        // Without the checksum, and resealed, the value itself is reported.
        Loaded unchecked = load(bytes, false);
        CHECK(unchecked.error.status == cbk::Status::non_finite_value);
        CHECK(unchecked.error.message == expected);
        cbk::test::reseal(bytes);
        Loaded sealed = load(bytes);
        CHECK(sealed.error.status == cbk::Status::non_finite_value);
        CHECK(sealed.error.message == expected);
      }
    }
  }
}

TEST_CASE("of two non-finite tables the one checked first in the usual order is named", "[loader][verify_data]") {
  auto bytes = large_codes_file();
  Loaded clean = load(bytes);
  REQUIRE(clean.error.ok());
  const auto tables = code_tables(*clean.model);
  // Codebook 0's table comes first in the order (tensors, then codebooks in file order), whichever
  // of the two lies first in the data section.
  plant_non_finite(bytes, tables[1], 5, true);
  plant_non_finite(bytes, tables[0], tables[0].elements - 2, true);
  cbk::test::reseal(bytes);
  Loaded sealed = load(bytes);
  CHECK(sealed.error.status == cbk::Status::non_finite_value);
  CHECK(sealed.error.message ==
        "tensor '" + tables[0].name + "' element " + std::to_string(tables[0].elements - 2) + " is NaN or infinite");
}

TEST_CASE("a damaged data section is reported ahead of the header's semantic errors", "[loader][verify_data]") {
  // A resealed file with a semantic error in the header, then one data byte flipped: the
  // checksum is reported, as it was when the data CRC ran before the semantic checks.
  for (const char* name : {"head_dim", "k_exceeds_codes", "missing_tensor", "shape_vs_architecture"}) {
    INFO(name);
    auto raw = cbk::test::read_file(cbk::test::fixtures_dir() + "/corrupt/" + name + ".cbk");
    std::vector<std::uint8_t> bytes(raw.begin(), raw.end());
    const cbk::Status semantic = load(bytes).error.status;
    REQUIRE(semantic != cbk::Status::ok);
    REQUIRE(semantic != cbk::Status::checksum_mismatch);
    bytes[bytes.size() - 3] ^= 0x10;
    CHECK(load(bytes).error.status == cbk::Status::checksum_mismatch);
    CHECK(load(bytes, false).error.status == semantic);
  }
}
