// The per-ISA tables, each defined in its own translation unit (compiled with that ISA's flags).
// Only the ones this build contains are defined; simd/dispatch.cpp decides which to call.
#pragma once

#include "simd/simd.hpp"

namespace cbk::simd::detail {

const Kernels& kernels_table_scalar() noexcept;
const Kernels& kernels_table_sse4_2() noexcept;  // x86 SSE4.2, or WASM SIMD128 under Emscripten
const Kernels& kernels_table_avx2() noexcept;
const Kernels& kernels_table_avx512() noexcept;
const Kernels& kernels_table_neon64() noexcept;

}  // namespace cbk::simd::detail
