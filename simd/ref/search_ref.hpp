// Reference (spec) codebook search: readable, unoptimized, allocates freely. Not for the hot path.
//
// The dot product spec, shared bit for bit by every ISA body:
//   * 32 logical lanes; element i (0 <= i < dim, zero-padded up to a multiple of 32) is
//     accumulated into lane i % 32, in increasing i, with fma (fused) or mul-then-add (separate);
//   * lanes are reduced by a halving tree: lane[i] += lane[i + h] for h = 16, 8, 4, 2, 1;
//   * int8 rows are dotted as integers converted to float; the row scale is applied afterwards
//     (see detail::finish_score), f16 rows are widened exactly.
// Search: every code gets score = finish_score(...); results sorted by descending score with ties
// going to the lower id.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd/simd.hpp"

namespace cbk::simd::ref {

float dot_lanes(const float* x, const float* row, size_t dim, Accumulation mode) noexcept;
float dot_lanes(const float* x, const uint16_t* row, size_t dim, Accumulation mode) noexcept;
float dot_lanes(const float* x, const int8_t* row, size_t dim, Accumulation mode) noexcept;

// Score of one code, exactly as every search kernel reports it.
float code_score(const CodebookView& book, const float* query, size_t code,
                 Accumulation mode) noexcept;

size_t codebook_search(const CodebookView& book, const float* query, size_t k, int32_t* ids_out,
                       float* scores_out, Accumulation mode);
void codebook_search_multi(const CodebookView& book, const float* queries, size_t n_queries,
                           size_t query_stride, size_t k, int32_t* ids_out, float* scores_out,
                           Accumulation mode);
// The full distance mode: ||x - row||^2 as squared differences in the 32-lane order above.
float sq_distance_lanes(const float* x, const float* row, size_t dim, Accumulation mode) noexcept;
size_t codebook_distances(const CodebookView& book, const float* query, float* dist_out, size_t k,
                          int32_t* ids_out, Accumulation mode);
// The exact search's spec is simply the f32 search of the original codes.
size_t codebook_search_exact(const ExactSearchTable& table, const float* query, size_t k,
                             int32_t* ids_out, float* scores_out, Accumulation mode);

}  // namespace cbk::simd::ref
