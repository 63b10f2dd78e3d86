// The avx2 instantiation of every kernel body. Compiled with its own flags only:
// -mavx2 -mfma -mf16c (see simd/CMakeLists.txt).
#include "simd/arch/arch_tables.hpp"
#include "simd/kernels/ops_entries.hpp"
#include "simd/kernels/table.hpp"

namespace cbk::simd::detail {

const Kernels& kernels_table_avx2() noexcept {
  using Arch = xsimd::fma3<xsimd::avx2>;
  static constexpr Kernels table =
      make_table<Entries<Arch, XsimdElementwise<Arch>>>(Isa::avx2);
  return table;
}

}  // namespace cbk::simd::detail
