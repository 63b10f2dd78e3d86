// Chooses the CRC-32 implementation once: CPU detection here, the bodies in crc32_*.cpp.
#include "runtime/loader/crc32.hpp"

#include <cstdlib>
#include <cstring>

#include "runtime/loader/crc32_impl.hpp"

#if defined(CBK_CRC32_X86)
#include <cpuid.h>

#include "simd/simd.hpp"
#endif
#if defined(CBK_CRC32_ARMV8) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace cbk {
namespace {

constexpr Crc32Impl kFastestFirst[] = {Crc32Impl::vpclmul, Crc32Impl::pclmul, Crc32Impl::armv8,
                                       Crc32Impl::portable};

#if defined(CBK_CRC32_X86)
bool cpu_has_pclmul() noexcept {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && ((ecx >> 1) & 1u);
}

// VPCLMULQDQ (leaf 7, ECX bit 10) on top of the AVX-512 subset the kernels use; simd's detection
// also checks that the OS saves the ZMM state.
bool cpu_has_vpclmul() noexcept {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return cpu_has_pclmul() && simd::isa_supported(simd::Isa::avx512) &&
         __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && ((ecx >> 10) & 1u);
}
#endif

#if defined(CBK_CRC32_ARMV8)
bool cpu_has_armv8_crc() noexcept {
#if defined(__ARM_FEATURE_CRC32) || defined(__APPLE__)
  return true;
#elif defined(__linux__)
  constexpr unsigned long kHwcapCrc32 = 1ul << 7;  // HWCAP_CRC32 in <asm/hwcap.h>
  return (getauxval(AT_HWCAP) & kHwcapCrc32) != 0;
#else
  return false;
#endif
}
#endif

Crc32Impl choose_impl() noexcept {
  if (const char* forced = std::getenv("CBK_CRC32")) {
    for (Crc32Impl impl : kFastestFirst)
      if (std::strcmp(forced, crc32_impl_name(impl)) == 0 && crc32_impl_available(impl)) return impl;
  }
  for (Crc32Impl impl : kFastestFirst)
    if (crc32_impl_available(impl)) return impl;
  return Crc32Impl::portable;
}

}  // namespace

const char* crc32_impl_name(Crc32Impl impl) noexcept {
  switch (impl) {
    case Crc32Impl::portable: return "portable";
    case Crc32Impl::pclmul: return "pclmul";
    case Crc32Impl::vpclmul: return "vpclmul";
    case Crc32Impl::armv8: return "armv8";
  }
  return "unknown";
}

bool crc32_impl_available(Crc32Impl impl) noexcept {
  switch (impl) {
    case Crc32Impl::portable: return true;
#if defined(CBK_CRC32_X86)
    case Crc32Impl::pclmul: {
      static const bool has = cpu_has_pclmul();
      return has;
    }
    case Crc32Impl::vpclmul: {
      static const bool has = cpu_has_vpclmul();
      return has;
    }
#endif
#if defined(CBK_CRC32_ARMV8)
    case Crc32Impl::armv8: {
      static const bool has = cpu_has_armv8_crc();
      return has;
    }
#endif
    default: return false;
  }
}

Crc32Impl crc32_active_impl() noexcept {
  static const Crc32Impl active = choose_impl();
  return active;
}

std::uint32_t crc32_update_with(Crc32Impl impl, std::uint32_t crc, const void* data, std::size_t size) noexcept {
  if (!crc32_impl_available(impl)) impl = Crc32Impl::portable;
  switch (impl) {
#if defined(CBK_CRC32_X86)
    case Crc32Impl::pclmul: return crc32_detail::pclmul(crc, data, size);
    case Crc32Impl::vpclmul: return crc32_detail::vpclmul(crc, data, size);
#endif
#if defined(CBK_CRC32_ARMV8)
    case Crc32Impl::armv8: return crc32_detail::armv8(crc, data, size);
#endif
    default: return crc32_detail::portable(crc, data, size);
  }
}

std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  return crc32_update_with(crc32_active_impl(), crc, data, size);
}

}  // namespace cbk
