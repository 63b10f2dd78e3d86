// The lane-ordered dot product of simd/ref/search_ref.hpp, written once for every ArchOps<A>:
// 32 logical lanes held as kBatches vectors of L lanes, G rows at a time sharing each load of x.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

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
  // Multi-query tile: kTileQueries queries x kTileRows rows of accumulators, so that each code
  // load serves several queries. Only AVX-512 has the registers for it (4 x 2 x 2 = 16 of 32;
  // 3 x 4 and 6 x 2 were slower: spills); elsewhere the tile is one query and the multi-query
  // kernel reuses the table from cache only.
  static constexpr size_t kTileQueries = kLanes == 16 ? 4 : 1;
  static constexpr size_t kTileRows = kLanes == 16 ? 2 : kGroup;
};

// The first steps of the fixed halving tree, across batches: batch b + batch b + n/2 is
// lane i + lane i + 16, ... down to one vector of L lanes (the rest is ArchOps::reduce).
template <class A>
CBK_SIMD_INLINE typename ArchOps<A>::B fold_batches(
    typename ArchOps<A>::B (&acc)[DotShape<A>::kBatches]) noexcept {
  for (size_t n = DotShape<A>::kBatches; n > 1; n /= 2) {
    for (size_t i = 0; i < n / 2; ++i) acc[i] = acc[i] + acc[i + n / 2];
  }
  return acc[0];
}

// f(std::integral_constant<size_t, i>) for i = 0 .. N-1, unrolled at compile time, so that arrays
// indexed by i stay in registers (GCC does not fully unroll the 8 x 2 accumulator loops by itself
// and then keeps the accumulators on the stack).
template <class F, size_t... I>
CBK_SIMD_INLINE void unrolled_impl(F&& f, std::index_sequence<I...>) noexcept {
  (f(std::integral_constant<size_t, I>{}), ...);
}
template <size_t N, class F>
CBK_SIMD_INLINE void unrolled(F&& f) noexcept {
  unrolled_impl(f, std::make_index_sequence<N>{});
}

// out[q][g] = the lanes of <xs[q], rows[g]> for q < Q, g < G, folded down to one vector (the
// spec's lane order up to the in-vector part of the tree). Each row load serves Q queries and
// each query load G rows.
template <class A, class T, size_t Q, size_t G>
CBK_SIMD_INLINE void dot_tile_lanes(const float* const* xs, const T* const* rows, size_t dim,
                                    typename ArchOps<A>::B (*out)[G]) noexcept {
  using Ops = ArchOps<A>;
  using B = typename Ops::B;
  constexpr size_t L = DotShape<A>::kLanes;
  constexpr size_t NB = DotShape<A>::kBatches;
  B acc[Q][G][NB];
  unrolled<Q * G * NB>(
      [&](auto i) CBK_SIMD_LAMBDA_INLINE { acc[i / (G * NB)][i / NB % G][i % NB] = Ops::zero(); });
  const size_t full = dim / kDotLanes;
  for (size_t c = 0; c < full; ++c) {
    const size_t offset = c * kDotLanes;
    unrolled<NB>([&](auto b) CBK_SIMD_LAMBDA_INLINE {
      B xb[Q];
      unrolled<Q>([&](auto q)
                      CBK_SIMD_LAMBDA_INLINE { xb[q] = Ops::load(xs[q] + offset + b * L); });
      unrolled<G>([&](auto g) CBK_SIMD_LAMBDA_INLINE {
        const B code = Ops::load(rows[g] + offset + b * L);
        unrolled<Q>([&](auto q) CBK_SIMD_LAMBDA_INLINE {
          acc[q][g][b] = Ops::madd(xb[q], code, acc[q][g][b]);
        });
      });
    });
  }
  const size_t rest = dim - full * kDotLanes;
  if (rest != 0) {
    // Zero-padded tail chunk, exactly as the spec pads.
    const size_t offset = full * kDotLanes;
    float x_tail[Q][kDotLanes] = {};
    unrolled<Q>([&](auto q) CBK_SIMD_LAMBDA_INLINE {
      std::memcpy(x_tail[q], xs[q] + offset, rest * sizeof(float));
    });
    unrolled<G>([&](auto g) CBK_SIMD_LAMBDA_INLINE {
      T row_tail[kDotLanes] = {};
      std::memcpy(row_tail, rows[g] + offset, rest * sizeof(T));
      unrolled<NB>([&](auto b) CBK_SIMD_LAMBDA_INLINE {
        const B code = Ops::load(row_tail + b * L);
        unrolled<Q>([&](auto q) CBK_SIMD_LAMBDA_INLINE {
          acc[q][g][b] = Ops::madd(Ops::load(x_tail[q] + b * L), code, acc[q][g][b]);
        });
      });
    });
  }
  unrolled<Q * G>([&](auto i) CBK_SIMD_LAMBDA_INLINE {
    out[i / G][i % G] = fold_batches<A>(acc[i / G][i % G]);
  });
}

// out[g] = <x, rows[g]> for g < G, over dim elements, in the spec's lane order.
template <class A, class T, size_t G>
inline void dot_group(const float* x, const T* const* rows, size_t dim, float* out) noexcept {
  typename ArchOps<A>::B lanes[1][G];
  dot_tile_lanes<A, T, 1, G>(&x, rows, dim, lanes);
  for (size_t g = 0; g < G; ++g) out[g] = ArchOps<A>::reduce(lanes[0][g]);
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
