// CRC-32 by folding with VPCLMULQDQ on 512-bit registers (compiled with AVX-512 + VPCLMULQDQ
// flags): four ZMM accumulators, 256 bytes per step, folded into one ZMM, then into one XMM, then
// the shared Barrett reduction (crc32_x86_fold.hpp). Inputs below 256 bytes take the PCLMUL path.
#include "runtime/loader/crc32_impl.hpp"
#include "runtime/loader/crc32_x86_fold.hpp"

namespace cbk::crc32_detail {
namespace {

__m512i fold_zmm(__m512i r, __m512i k, __m512i next) {
  // 0x96: three-way XOR.
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(r, k, 0x00), _mm512_clmulepi64_epi128(r, k, 0x11), next, 0x96);
}

}  // namespace

std::uint32_t vpclmul(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  if (size < 256) return pclmul(crc, p, size);
  auto load = [](const unsigned char* at) { return _mm512_loadu_si512(at); };
  __m512i z0 = _mm512_xor_si512(load(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(~crc))));
  __m512i z1 = load(p + 64), z2 = load(p + 128), z3 = load(p + 192);
  p += 256;
  size -= 256;
  // Each 128-bit lane is folded onto the lane 2048 bits later.
  const __m512i k2048 = _mm512_broadcast_i32x4(fold_pair(kFold2048Lo, kFold2048Hi));
  for (; size >= 256; p += 256, size -= 256) {
    z0 = fold_zmm(z0, k2048, load(p));
    z1 = fold_zmm(z1, k2048, load(p + 64));
    z2 = fold_zmm(z2, k2048, load(p + 128));
    z3 = fold_zmm(z3, k2048, load(p + 192));
  }
  const __m512i k512 = _mm512_broadcast_i32x4(fold_pair(kFold512Lo, kFold512Hi));
  const __m512i z = fold_zmm(fold_zmm(fold_zmm(z0, k512, z1), k512, z2), k512, z3);
  // The four lanes of z onto its last: lanes 0, 1, 2 move 384, 256, 128 bits; lane 3 stays.
  const __m512i k_lanes = _mm512_inserti32x4(
      _mm512_inserti32x4(_mm512_zextsi128_si512(fold_pair(kFold384Lo, kFold384Hi)), fold_pair(kFold256Lo, kFold256Hi), 1),
      fold_pair(kFold128Lo, kFold128Hi), 2);  // lane 3 of the constant is zero
  const __m512i moved = _mm512_xor_si512(_mm512_clmulepi64_epi128(z, k_lanes, 0x00), _mm512_clmulepi64_epi128(z, k_lanes, 0x11));
  __m128i x = _mm_xor_si128(_mm_xor_si128(_mm512_castsi512_si128(moved), _mm512_extracti32x4_epi32(moved, 1)),
                            _mm_xor_si128(_mm512_extracti32x4_epi32(moved, 2), _mm512_extracti32x4_epi32(z, 3)));
  const __m128i k128 = fold_pair(kFold128Lo, kFold128Hi);
  for (; size >= 16; p += 16, size -= 16) x = fold_xmm(x, k128, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return portable(~reduce_xmm(x), p, size);
}

}  // namespace cbk::crc32_detail
