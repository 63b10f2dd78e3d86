// The portable CRC-32: slicing-by-16 tables. Used on CPUs without the carry-less multiply or CRC
// instructions, in WebAssembly, and for the short tails of the folded implementations.
#include "runtime/loader/crc32_impl.hpp"

#include <array>

namespace cbk::crc32_detail {
namespace {

constexpr int kSlices = 16;

// Slicing-by-16 tables (16 KiB): table[k][b] is the CRC of byte b followed by k zero bytes. Sixteen
// bytes per step, sixteen independent lookups.
struct Crc32Tables {
  std::array<std::array<std::uint32_t, 256>, kSlices> t{};
  Crc32Tables() {
    for (std::uint32_t b = 0; b < 256; ++b) {
      std::uint32_t c = b;
      for (int i = 0; i < 8; ++i) c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
      t[0][b] = c;
    }
    for (std::uint32_t b = 0; b < 256; ++b)
      for (int k = 1; k < kSlices; ++k) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFFu];
  }
};

const Crc32Tables& tables() {
  static const Crc32Tables instance;
  return instance;
}

}  // namespace

std::uint32_t portable(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  const auto& t = tables().t;
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t c = ~crc;
  // Words are composed byte by byte so the result is independent of host endianness.
  auto word = [](const unsigned char* q) {
    return static_cast<std::uint32_t>(q[0]) | static_cast<std::uint32_t>(q[1]) << 8 |
           static_cast<std::uint32_t>(q[2]) << 16 | static_cast<std::uint32_t>(q[3]) << 24;
  };
  for (; size >= 16; p += 16, size -= 16) {
    const std::uint32_t w0 = word(p) ^ c, w1 = word(p + 4), w2 = word(p + 8), w3 = word(p + 12);
    c = t[15][w0 & 0xFF] ^ t[14][(w0 >> 8) & 0xFF] ^ t[13][(w0 >> 16) & 0xFF] ^ t[12][w0 >> 24] ^
        t[11][w1 & 0xFF] ^ t[10][(w1 >> 8) & 0xFF] ^ t[9][(w1 >> 16) & 0xFF] ^ t[8][w1 >> 24] ^
        t[7][w2 & 0xFF] ^ t[6][(w2 >> 8) & 0xFF] ^ t[5][(w2 >> 16) & 0xFF] ^ t[4][w2 >> 24] ^
        t[3][w3 & 0xFF] ^ t[2][(w3 >> 8) & 0xFF] ^ t[1][(w3 >> 16) & 0xFF] ^ t[0][w3 >> 24];
  }
  while (size--) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xFFu];
  return ~c;
}

}  // namespace cbk::crc32_detail
