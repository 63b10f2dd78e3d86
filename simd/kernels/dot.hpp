// The lane-ordered dot product of simd/ref/search_ref.hpp, written once for every ArchOps<A>:
// 32 logical lanes held as kBatches vectors of L lanes, G rows at a time sharing each load of x.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "simd/kernels/arch_ops.hpp"

namespace cbk::simd::detail {
namespace {

// The DType a row element type stands for.
template <class T>
constexpr DType kDTypeOf = DType::f32;
template <>
constexpr DType kDTypeOf<uint16_t> = DType::f16;
template <>
constexpr DType kDTypeOf<int8_t> = DType::int8;

template <class A>
struct DotShape {
  static constexpr size_t kLanes = ArchOps<A>::kLanes;
  static constexpr size_t kBatches = kDotLanes / kLanes;
  // Rows per group: enough independent accumulators to hide the FMA latency (8 vectors), 16 where
  // the register file allows (AVX-512: 32 registers), which also keeps more rows in flight.
  static constexpr size_t kAccumulators = kLanes == 16 ? 16 : 8;
  static constexpr size_t kGroup = kBatches >= kAccumulators ? 1 : kAccumulators / kBatches;
};

// Fixed halving tree over the logical lanes: batch b + batch b + n/2 is lane i + lane i + 16, ...
template <class A>
inline float tree_sum(typename ArchOps<A>::B (&acc)[DotShape<A>::kBatches]) noexcept {
  for (size_t n = DotShape<A>::kBatches; n > 1; n /= 2) {
    for (size_t i = 0; i < n / 2; ++i) acc[i] = acc[i] + acc[i + n / 2];
  }
  return ArchOps<A>::reduce(acc[0]);
}

// out[g] = <x, rows[g]> for g < G, over dim elements, in the spec's lane order.
template <class A, class T, size_t G>
inline void dot_group(const float* x, const T* const* rows, size_t dim, float* out) noexcept {
  using Ops = ArchOps<A>;
  using B = typename Ops::B;
  constexpr size_t L = DotShape<A>::kLanes;
  constexpr size_t NB = DotShape<A>::kBatches;
  B acc[G][NB];
  for (size_t g = 0; g < G; ++g) {
    for (size_t b = 0; b < NB; ++b) acc[g][b] = Ops::zero();
  }
  const size_t full = dim / kDotLanes;
  for (size_t c = 0; c < full; ++c) {
    const size_t offset = c * kDotLanes;
    B xb[NB];
    for (size_t b = 0; b < NB; ++b) xb[b] = Ops::load(x + offset + b * L);
    for (size_t g = 0; g < G; ++g) {
      for (size_t b = 0; b < NB; ++b) {
        acc[g][b] = Ops::madd(xb[b], Ops::load(rows[g] + offset + b * L), acc[g][b]);
      }
    }
  }
  const size_t rest = dim - full * kDotLanes;
  if (rest != 0) {
    // Zero-padded tail chunk, exactly as the spec pads.
    const size_t offset = full * kDotLanes;
    float x_tail[kDotLanes] = {};
    std::memcpy(x_tail, x + offset, rest * sizeof(float));
    B xb[NB];
    for (size_t b = 0; b < NB; ++b) xb[b] = Ops::load(x_tail + b * L);
    for (size_t g = 0; g < G; ++g) {
      T row_tail[kDotLanes] = {};
      std::memcpy(row_tail, rows[g] + offset, rest * sizeof(T));
      for (size_t b = 0; b < NB; ++b) {
        acc[g][b] = Ops::madd(xb[b], Ops::load(row_tail + b * L), acc[g][b]);
      }
    }
  }
  for (size_t g = 0; g < G; ++g) out[g] = tree_sum<A>(acc[g]);
}

template <class A, class T>
inline float dot_one(const float* x, const T* row, size_t dim) noexcept {
  float out;
  dot_group<A, T, 1>(x, &row, dim, &out);
  return out;
}

// Dots of rows [begin, end) of a row-major table (row_stride elements apart), G at a time.
// visit(row_index, dot) is called in increasing row order.
template <class A, class T, class Visit>
inline void for_each_row_dot(const float* x, const T* table, size_t row_stride, size_t dim,
                             size_t begin, size_t end, Visit&& visit) noexcept {
  constexpr size_t G = DotShape<A>::kGroup;
  const T* rows[G];
  float dots[G];
  size_t j = begin;
  for (; j + G <= end; j += G) {
    for (size_t g = 0; g < G; ++g) rows[g] = table + (j + g) * row_stride;
    dot_group<A, T, G>(x, rows, dim, dots);
    for (size_t g = 0; g < G; ++g) visit(j + g, dots[g]);
  }
  for (; j < end; ++j) visit(j, dot_one<A, T>(x, table + j * row_stride, dim));
}

}  // namespace
}  // namespace cbk::simd::detail
