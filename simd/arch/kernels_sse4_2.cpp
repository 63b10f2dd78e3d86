// The sse4_2 instantiation of every kernel body. Compiled with its own flags only:
// -msse4.2 (x86) or -msimd128 -msse4.2 (WASM) (see simd/CMakeLists.txt).
#include "simd/arch/arch_tables.hpp"
#include "simd/kernels/ops_entries.hpp"
#include "simd/kernels/table.hpp"

namespace cbk::simd::detail {

// The same instantiation serves x86 SSE4.2 and, translated by Emscripten, WASM SIMD128.
#if defined(__EMSCRIPTEN__)
constexpr Isa kSse4_2TableIsa = Isa::wasm_simd128;
#else
constexpr Isa kSse4_2TableIsa = Isa::sse4_2;
#endif

const Kernels& kernels_table_sse4_2() noexcept {
  using Arch = xsimd::sse4_2;
  static constexpr Kernels table =
      make_table<Entries<Arch, XsimdElementwise<Arch>>>(kSse4_2TableIsa);
  return table;
}

}  // namespace cbk::simd::detail
