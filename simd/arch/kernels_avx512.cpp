// The avx512 instantiation of every kernel body. Compiled with its own flags only:
// -mavx512f -mavx512cd -mavx512dq -mavx512bw -mavx512vl -mfma (see simd/CMakeLists.txt).
#include "simd/arch/arch_tables.hpp"
#include "simd/kernels/ops_entries.hpp"
#include "simd/kernels/table.hpp"

namespace cbk::simd::detail {

const Kernels& kernels_table_avx512() noexcept {
  using Arch = xsimd::avx512bw;
  static constexpr Kernels table =
      make_table<Entries<Arch, XsimdElementwise<Arch>>>(Isa::avx512);
  return table;
}

}  // namespace cbk::simd::detail
