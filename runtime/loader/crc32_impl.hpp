// The CRC-32 implementations behind crc32_update(), one translation unit each (each carries only
// its own ISA flags). Same contract as crc32_update().
#pragma once

#include <cstddef>
#include <cstdint>

namespace cbk::crc32_detail {

std::uint32_t portable(std::uint32_t crc, const void* data, std::size_t size) noexcept;
#if defined(CBK_CRC32_X86)
std::uint32_t pclmul(std::uint32_t crc, const void* data, std::size_t size) noexcept;
std::uint32_t vpclmul(std::uint32_t crc, const void* data, std::size_t size) noexcept;
#endif
#if defined(CBK_CRC32_ARMV8)
std::uint32_t armv8(std::uint32_t crc, const void* data, std::size_t size) noexcept;
#endif

}  // namespace cbk::crc32_detail
