// The full distance mode of the -L2 codebook search, written once for every ArchOps<A>: each code's
// squared distance summed as squared differences in the spec's 32-lane order (so every ISA of an
// accumulation mode gives the reference's bits), then the k nearest through the same running
// top-k as the search (score = -distance: ascending distance, ties to the lower id).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "simd/detail/scalar_common.hpp"
#include "simd/kernels/dot.hpp"

namespace cbk::simd::detail {
namespace {

template <class A>
inline float squared_distance(const float* x, const float* row, size_t dim) noexcept {
  using Ops = ArchOps<A>;
  using B = typename Ops::B;
  constexpr size_t L = DotShape<A>::kLanes;
  constexpr size_t NB = DotShape<A>::kBatches;
  B acc[NB];
  for (size_t b = 0; b < NB; ++b) acc[b] = Ops::zero();
  const size_t full = dim / kDotLanes;
  for (size_t c = 0; c < full; ++c) {
    const size_t offset = c * kDotLanes;
    for (size_t b = 0; b < NB; ++b) {
      const B diff = Ops::load(x + offset + b * L) - Ops::load(row + offset + b * L);
      acc[b] = Ops::madd(diff, diff, acc[b]);
    }
  }
  const size_t rest = dim - full * kDotLanes;
  if (rest != 0) {
    // Zero-padded tail: a padded lane adds 0 * 0, exactly as the spec pads.
    float x_tail[kDotLanes] = {};
    float row_tail[kDotLanes] = {};
    std::memcpy(x_tail, x + full * kDotLanes, rest * sizeof(float));
    std::memcpy(row_tail, row + full * kDotLanes, rest * sizeof(float));
    for (size_t b = 0; b < NB; ++b) {
      const B diff = Ops::load(x_tail + b * L) - Ops::load(row_tail + b * L);
      acc[b] = Ops::madd(diff, diff, acc[b]);
    }
  }
  return Ops::reduce(fold_batches<A>(acc));
}

template <class A>
size_t codebook_distances(const CodebookView& book, const float* query, float* dist_out,
                          size_t k, int32_t* ids_out) noexcept {
  const float* codes = static_cast<const float*>(book.codes);
  for (size_t j = 0; j < book.n_codes; ++j) {
    dist_out[j] = squared_distance<A>(query, codes + j * book.dim, book.dim);
  }
  if (k == 0) return 0;
  float scores[kMaxTopK];  // the running top-k's scores; k <= kMaxTopK by contract
  RunningTopK top{scores, ids_out, k};
  for (size_t j = 0; j < book.n_codes; ++j) top.offer(-dist_out[j], static_cast<int32_t>(j));
  return top.finish();
}

}  // namespace
}  // namespace cbk::simd::detail
