#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "runtime/loader/crc32.hpp"

namespace {

using cbk::Crc32Impl;

constexpr Crc32Impl kAllImpls[] = {Crc32Impl::portable, Crc32Impl::pclmul, Crc32Impl::vpclmul, Crc32Impl::armv8};

// Bit-at-a-time CRC-32 straight from the definition (reflected 0xEDB88320, init and final ~0):
// the oracle, independent of every implementation under test.
std::uint32_t crc32_bitwise(std::uint32_t crc, const unsigned char* p, std::size_t n) {
  std::uint32_t c = ~crc;
  while (n--) {
    c ^= *p++;
    for (int i = 0; i < 8; ++i) c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
  }
  return ~c;
}

std::vector<unsigned char> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<unsigned char> v(n);
  for (auto& b : v) b = static_cast<unsigned char>(rng());
  return v;
}

std::vector<Crc32Impl> available_impls() {
  std::vector<Crc32Impl> out;
  for (Crc32Impl impl : kAllImpls)
    if (cbk::crc32_impl_available(impl)) out.push_back(impl);
  return out;
}

}  // namespace

TEST_CASE("CRC-32 matches the published check values", "[crc32]") {
  // The standard check value of CRC-32/ISO-HDLC (zlib's crc32) for "123456789".
  const std::string check = "123456789";
  CHECK(cbk::crc32_update(0, check.data(), check.size()) == 0xCBF43926u);
  CHECK(cbk::crc32_update(0, "", 0) == 0u);
  // "The quick brown fox jumps over the lazy dog" = 0x414FA339 (widely published).
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  CHECK(cbk::crc32_update(0, fox.data(), fox.size()) == 0x414FA339u);
  for (Crc32Impl impl : available_impls()) {
    INFO(cbk::crc32_impl_name(impl));
    CHECK(cbk::crc32_update_with(impl, 0, check.data(), check.size()) == 0xCBF43926u);
    // 64 copies of the check string reach every folding path (576 bytes).
    std::string many;
    for (int i = 0; i < 64; ++i) many += check;
    CHECK(cbk::crc32_update_with(impl, 0, many.data(), many.size()) ==
          crc32_bitwise(0, reinterpret_cast<const unsigned char*>(many.data()), many.size()));
  }
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

TEST_CASE("the host has the CRC-32 implementations its CPU allows", "[crc32]") {
  const auto impls = available_impls();
  CHECK(impls.front() == Crc32Impl::portable);
  // crc32_update uses one of them (CBK_CRC32 may force any available one).
  CHECK(cbk::crc32_impl_available(cbk::crc32_active_impl()));
  std::string names;
  for (Crc32Impl impl : impls) names += std::string(cbk::crc32_impl_name(impl)) + " ";
  WARN("CRC-32 implementations on this host: " << names << "(active: " << cbk::crc32_impl_name(cbk::crc32_active_impl()) << ")");
#if defined(__x86_64__) && defined(__PCLMUL__)
  CHECK(cbk::crc32_impl_available(Crc32Impl::pclmul));  // a build for PCLMUL CPUs runs on one
#endif
#if defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
  CHECK(cbk::crc32_impl_available(Crc32Impl::armv8));
#endif
}

TEST_CASE("every CRC-32 implementation equals the bitwise definition at every length and alignment", "[crc32]") {
  const std::size_t kLengths[] = {0,   1,   2,   3,   4,   7,   8,   15,  16,   17,   31,   32,   33,   63,
                                  64,  65,  127, 128, 129, 191, 192, 193, 255,  256,  257,  319,  320,  511,
                                  512, 513, 1023, 1024, 1025, 4095, 4096, 4097, 65536 + 77};
  const auto buffer = random_bytes(70000 + 64, 12345);
  std::mt19937 rng(7);
  for (Crc32Impl impl : available_impls()) {
    for (std::size_t n : kLengths) {
      for (std::size_t misalign : {0u, 1u, 3u, 8u, 13u, 63u}) {
        const unsigned char* p = buffer.data() + misalign;
        const std::uint32_t init = (misalign % 2) ? static_cast<std::uint32_t>(rng()) : 0u;
        INFO(cbk::crc32_impl_name(impl) << " length " << n << " misalignment " << misalign << " init " << init);
        CHECK(cbk::crc32_update_with(impl, init, p, n) == crc32_bitwise(init, p, n));
      }
    }
  }
}

TEST_CASE("every CRC-32 implementation agrees with the portable one on megabytes, one-shot and in pieces", "[crc32]") {
  const std::size_t n = 5 * 1024 * 1024 + 333;
  const auto data = random_bytes(n + 1, 99);
  const unsigned char* p = data.data() + 1;  // misaligned on purpose
  const std::uint32_t expected = cbk::crc32_update_with(Crc32Impl::portable, 0, p, n);
  // The portable path itself against the definition, once, on the same bytes.
  REQUIRE(expected == crc32_bitwise(0, p, n));
  for (Crc32Impl impl : available_impls()) {
    INFO(cbk::crc32_impl_name(impl));
    CHECK(cbk::crc32_update_with(impl, 0, p, n) == expected);
    // Chunked as the loader does it (256 KiB), and in odd, uneven pieces.
    for (std::size_t piece : {std::size_t{256} * 1024, std::size_t{1} << 16, std::size_t{4099}, std::size_t{255}, std::size_t{17}}) {
      std::uint32_t c = 0;
      for (std::size_t at = 0; at < n; at += piece) c = cbk::crc32_update_with(impl, c, p + at, std::min(piece, n - at));
      CHECK(c == expected);
    }
    // Mixed implementations continue each other's running value.
    const std::size_t half = n / 2 + 5;
    std::uint32_t c = cbk::crc32_update_with(Crc32Impl::portable, 0, p, half);
    CHECK(cbk::crc32_update_with(impl, c, p + half, n - half) == expected);
  }
}

TEST_CASE("an unavailable CRC-32 implementation falls back to the portable one", "[crc32]") {
  const std::string check = "123456789";
  for (Crc32Impl impl : kAllImpls)
    CHECK(cbk::crc32_update_with(impl, 0, check.data(), check.size()) == 0xCBF43926u);
}
