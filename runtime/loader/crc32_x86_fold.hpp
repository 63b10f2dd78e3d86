// Shared pieces of the x86 carry-less-multiply CRC-32 (crc32_x86_pclmul.cpp, crc32_x86_vpclmul.cpp).
// The constants and the algorithm are derived, and checked against zlib, in crc32_constants.py:
// a 128-bit register R (little-endian, bit j = coefficient of x^(127-j)) is folded forward by D
// bits as lo64(R) * rev33(x^(D+32) mod P) ^ hi64(R) * rev33(x^(D-32) mod P).
// Everything here has internal linkage: each including file compiles it with its own ISA flags,
// and the linker must not pick the AVX-512 copy for the PCLMUL-only path.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace cbk::crc32_detail {
namespace {

// (low-lane, high-lane) multipliers for a fold distance of D bits.
constexpr std::uint64_t kFold128Lo = 0x1751997D0, kFold128Hi = 0x0CCAA009E;
constexpr std::uint64_t kFold256Lo = 0x0F1DA05AA, kFold256Hi = 0x15A546366;
constexpr std::uint64_t kFold384Lo = 0x03DB1ECDC, kFold384Hi = 0x174359406;
constexpr std::uint64_t kFold512Lo = 0x154442BD4, kFold512Hi = 0x1C6E41596;
constexpr std::uint64_t kFold2048Lo = 0x11542778A, kFold2048Hi = 0x1322D1430;
// Final reduction: rev33(x^96 mod P), rev33(x^64 mod P); Barrett: rev33(floor(x^64 / P)), rev33(P).
constexpr std::uint64_t kX96 = 0x0CCAA009E, kX64 = 0x163CD6124;
constexpr std::uint64_t kMu = 0x1F7011641, kPoly = 0x1DB710641;

inline __m128i fold_pair(std::uint64_t lo, std::uint64_t hi) {
  return _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo));
}

// R folded forward by the distance `k` was built for, plus the block found there.
inline __m128i fold_xmm(__m128i r, __m128i k, __m128i next) {
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(r, k, 0x00), _mm_clmulepi64_si128(r, k, 0x11)), next);
}

// R * x^32 mod P: the CRC register (before the final inversion) after the data folded into R.
inline std::uint32_t reduce_xmm(__m128i r) {
  const __m128i k = fold_pair(kX96, kX64);
  const __m128i barrett = fold_pair(kMu, kPoly);
  const __m128i low32 = _mm_set_epi32(0, 0, 0, -1);
  // 128 -> 96 bits: lo64 * (x^96 mod P) + hi64 * x^32.
  const __m128i w = _mm_xor_si128(_mm_clmulepi64_si128(r, k, 0x00), _mm_srli_si128(r, 8));
  // 96 -> 64 bits: the top 32 coefficients (low 32 bits here) times x^64 mod P, plus the rest.
  const __m128i u = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(w, low32), k, 0x10), _mm_srli_si128(w, 4));
  // Barrett: q = floor(u / x^32) * mu / x^32; the remainder u + q * P sits in bits 32..63.
  const __m128i q = _mm_and_si128(_mm_clmulepi64_si128(_mm_and_si128(u, low32), barrett, 0x00), low32);
  const __m128i rem = _mm_xor_si128(u, _mm_clmulepi64_si128(q, barrett, 0x10));
  return static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(rem, 4)));
}

}  // namespace
}  // namespace cbk::crc32_detail
