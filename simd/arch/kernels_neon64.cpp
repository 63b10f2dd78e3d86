// The neon64 instantiation of every kernel body. Compiled with its own flags only:
// none (NEON is baseline on aarch64) (see simd/CMakeLists.txt).
#include "simd/arch/arch_tables.hpp"
#include "simd/kernels/ops_entries.hpp"
#include "simd/kernels/table.hpp"

namespace cbk::simd::detail {

const Kernels& kernels_table_neon64() noexcept {
  using Arch = xsimd::neon64;
  static constexpr Kernels table =
      make_table<Entries<Arch, XsimdElementwise<Arch>>>(Isa::neon64);
  return table;
}

}  // namespace cbk::simd::detail
