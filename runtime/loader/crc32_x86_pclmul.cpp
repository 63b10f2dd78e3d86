// CRC-32 by folding with PCLMULQDQ (compiled with -mpclmul): four 128-bit accumulators, 64 bytes
// per step, then one register, then a Barrett reduction (crc32_x86_fold.hpp). Inputs shorter than
// 64 bytes and the final < 16 bytes go through the portable tables.
#include "runtime/loader/crc32_impl.hpp"
#include "runtime/loader/crc32_x86_fold.hpp"

namespace cbk::crc32_detail {

std::uint32_t pclmul(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  if (size < 64) return portable(crc, p, size);
  auto load = [](const unsigned char* at) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at)); };
  // The running CRC enters as the first 32 bits of the data (XOR), as the register would.
  __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(~crc)));
  __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
  p += 64;
  size -= 64;
  const __m128i k512 = fold_pair(kFold512Lo, kFold512Hi);
  for (; size >= 64; p += 64, size -= 64) {
    x0 = fold_xmm(x0, k512, load(p));
    x1 = fold_xmm(x1, k512, load(p + 16));
    x2 = fold_xmm(x2, k512, load(p + 32));
    x3 = fold_xmm(x3, k512, load(p + 48));
  }
  const __m128i k128 = fold_pair(kFold128Lo, kFold128Hi);
  __m128i x = fold_xmm(fold_xmm(fold_xmm(x0, k128, x1), k128, x2), k128, x3);
  for (; size >= 16; p += 16, size -= 16) x = fold_xmm(x, k128, load(p));
  return portable(~reduce_xmm(x), p, size);
}

}  // namespace cbk::crc32_detail
