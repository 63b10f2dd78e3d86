// Builds one ISA's Kernels table from the kernel list (simd/kernels.def). Included only by the
// per-ISA translation units in simd/arch/, which are compiled with that ISA's flags. The table is
// constant-initialized: no code of the ISA runs before a kernel is actually called.
#pragma once

#include "simd/kernels/conv.hpp"
#include "simd/kernels/distances.hpp"
#include "simd/kernels/linear.hpp"
#include "simd/kernels/search.hpp"
#include "simd/kernels/search_exact.hpp"
#include "simd/simd.hpp"

namespace cbk::simd::detail {
namespace {

// The search and linear entries, the same template for every arch (ScalarArch included).
// Elementwise supplies the f32_layernorm ... f32_attention_prefill and f32_sigmoid entries.
template <class A, class Elementwise>
struct Entries : Elementwise {
  static constexpr CodebookSearchFn f32_codebook_search = &codebook_search<A, float>;
  static constexpr CodebookSearchFn f16_codebook_search = &codebook_search<A, uint16_t>;
  static constexpr CodebookSearchFn q8_codebook_search = &codebook_search<A, int8_t>;
  static constexpr CodebookSearchMultiFn f32_codebook_search_multi =
      &codebook_search_multi<A, float>;
  static constexpr CodebookSearchMultiFn f16_codebook_search_multi =
      &codebook_search_multi<A, uint16_t>;
  static constexpr CodebookSearchMultiFn q8_codebook_search_multi =
      &codebook_search_multi<A, int8_t>;
  static constexpr CodebookSearchExactFn f16_codebook_search_exact =
      &codebook_search_exact<A, uint16_t>;
  static constexpr CodebookSearchExactFn q8_codebook_search_exact =
      &codebook_search_exact<A, int8_t>;
  static constexpr GatherMeanFn f32_gather_mean = &gather_mean<A, float>;
  static constexpr GatherMeanFn f16_gather_mean = &gather_mean<A, uint16_t>;
  static constexpr GatherMeanFn q8_gather_mean = &gather_mean<A, int8_t>;
  static constexpr LinearGemvFn f32_linear_gemv = &linear_gemv<A, float>;
  static constexpr LinearGemvFn f16_linear_gemv = &linear_gemv<A, uint16_t>;
  static constexpr LinearGemvFn q8_linear_gemv = &linear_gemv<A, int8_t>;
  static constexpr LinearGemmFn f32_linear_gemm = &linear_gemm<A, float>;
  static constexpr LinearGemmFn f16_linear_gemm = &linear_gemm<A, uint16_t>;
  static constexpr LinearGemmFn q8_linear_gemm = &linear_gemm<A, int8_t>;
  static constexpr CodebookDistancesFn f32_codebook_distances = &codebook_distances<A>;
  static constexpr ConvFn f32_conv2d = &conv2d<A>;
  static constexpr ConvFn f32_conv_transpose2d = &conv_transpose2d<A>;
};

template <class E>
constexpr Kernels make_table(Isa isa) noexcept {
  return Kernels{
      isa,
      ArchOps<typename E::Arch>::kFused ? Accumulation::fused : Accumulation::separate,
#define CBK_SIMD_KERNEL(name, FnType) E::name,
#include "simd/kernels.def"
#undef CBK_SIMD_KERNEL
  };
}

}  // namespace
}  // namespace cbk::simd::detail
