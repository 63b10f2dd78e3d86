// CRC-32 with the AArch64 CRC32 instructions (compiled with -march=armv8-a+crc). CRC32X/CRC32B
// use zlib's reflected polynomial, so they continue the same register the other paths compute.
#include <arm_acle.h>

#include <cstring>

#include "runtime/loader/crc32_impl.hpp"

namespace cbk::crc32_detail {

std::uint32_t armv8(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t c = ~crc;
  for (; size && (reinterpret_cast<std::uintptr_t>(p) & 7u); --size) c = __crc32b(c, *p++);
  // Four independent loads per step keep the loop from waiting on memory; the CRC chain itself
  // is one instruction per 8 bytes. (The data is little-endian, as AArch64 Linux is.)
  for (; size >= 32; p += 32, size -= 32) {
    std::uint64_t w[4];
    std::memcpy(w, p, sizeof w);
    c = __crc32d(__crc32d(__crc32d(__crc32d(c, w[0]), w[1]), w[2]), w[3]);
  }
  for (; size >= 8; p += 8, size -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    c = __crc32d(c, w);
  }
  for (; size; --size) c = __crc32b(c, *p++);
  return ~c;
}

}  // namespace cbk::crc32_detail
