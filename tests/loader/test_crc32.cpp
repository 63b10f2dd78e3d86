#include <catch2/catch.hpp>

#include <string>

#include "runtime/loader/crc32.hpp"

TEST_CASE("CRC-32 matches the published check values", "[crc32]") {
  // The standard check value of CRC-32/ISO-HDLC (zlib's crc32) for "123456789".
  const std::string check = "123456789";
  CHECK(cbk::crc32_update(0, check.data(), check.size()) == 0xCBF43926u);
  CHECK(cbk::crc32_update(0, "", 0) == 0u);
  // "The quick brown fox jumps over the lazy dog" = 0x414FA339 (widely published).
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  CHECK(cbk::crc32_update(0, fox.data(), fox.size()) == 0x414FA339u);
}

TEST_CASE("CRC-32 can be computed in pieces of any size", "[crc32]") {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += static_cast<char>(i * 37 + 11);
  const std::uint32_t whole = cbk::crc32_update(0, data.data(), data.size());
  for (std::size_t split : {0u, 1u, 7u, 8u, 9u, 500u, 999u, 1000u}) {
    std::uint32_t c = cbk::crc32_update(0, data.data(), split);
    c = cbk::crc32_update(c, data.data() + split, data.size() - split);
    CHECK(c == whole);
  }
}
