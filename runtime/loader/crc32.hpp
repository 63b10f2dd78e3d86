// CRC-32 (IEEE 802.3 polynomial, reflected; identical to zlib.crc32) used for .cbk integrity.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cbk {

// Continues a running CRC: crc32_update(crc32_update(0, a), b) == crc32 of a followed by b.
// Uses the fastest implementation this CPU has (crc32_active_impl()).
std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::size_t size) noexcept;

// The implementations. Every one gives the same values; they differ only in speed.
enum class Crc32Impl : std::uint8_t {
  portable,  // slicing-by-16 tables: any CPU, WebAssembly (~3 GB/s natively)
  pclmul,    // x86-64 PCLMULQDQ folding, 4 x 128-bit lanes
  vpclmul,   // x86-64 VPCLMULQDQ + AVX-512 folding, 4 x 512-bit lanes
  armv8,     // AArch64 CRC32 instructions (CRC32X)
};

const char* crc32_impl_name(Crc32Impl impl) noexcept;
// True when `impl` is compiled in and this CPU (and OS, for AVX-512 state) supports it.
bool crc32_impl_available(Crc32Impl impl) noexcept;
// The implementation crc32_update() uses: the environment variable CBK_CRC32=<name>, if it names
// an available one, otherwise the fastest available. Chosen once, on first use.
Crc32Impl crc32_active_impl() noexcept;
// crc32_update() with a given implementation (tests, benchmarks). An unavailable one falls back
// to portable.
std::uint32_t crc32_update_with(Crc32Impl impl, std::uint32_t crc, const void* data, std::size_t size) noexcept;

}  // namespace cbk
