// CRC-32 (IEEE 802.3 polynomial, reflected; identical to zlib.crc32) used for .cbk integrity.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cbk {

// Continues a running CRC: crc32_update(crc32_update(0, a), b) == crc32 of a followed by b.
std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::size_t size) noexcept;

}  // namespace cbk
