// Codebook search fused with top-k, written once for every ArchOps<A>. One pass over the table:
// score G rows, offer each score to the running top-k (a compare against the k-th score; rarely
// an insertion). No temporary proportional to the number of codes.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "simd/detail/scalar_common.hpp"
#include "simd/kernels/dot.hpp"

namespace cbk::simd::detail {
namespace {

template <class A>
inline float query_sq_norm(const CodebookView& book, const float* query) noexcept {
  return book.metric == Metric::euclidean ? dot_one<A, float>(query, query, book.dim) : 0.0f;
}

// Offers codes [begin, end) to `top`.
template <class A, class T>
inline void scan_codes(const CodebookView& book, const float* query, float sq_norm, size_t begin,
                       size_t end, RunningTopK& top) noexcept {
  const T* codes = static_cast<const T*>(book.codes);
  const Metric metric = book.metric;
  const float* norm_term = book.norm_term;
  const float* row_scale = book.row_scale;
  for_each_row_dot<A, T>(query, codes, book.dim, book.dim, begin, end, [&](size_t j, float dot) {
    const float scale = kDTypeOf<T> == DType::int8 ? row_scale[j] : 1.0f;
    top.offer(finish_score(metric, dot, scale, sq_norm, norm_term[j]), static_cast<int32_t>(j));
  });
}

template <class A, class T>
size_t codebook_search(const CodebookView& book, const float* query, size_t k, int32_t* ids_out,
                       float* scores_out) noexcept {
  RunningTopK top{scores_out, ids_out, k};
  scan_codes<A, T>(book, query, query_sq_norm<A>(book, query), 0, book.n_codes, top);
  return top.finish();
}

// Queries are taken kQueryTile at a time; the table is walked in blocks of about kBlockBytes and
// each block is scored for every query of the tile while it is still in L2.
constexpr size_t kQueryTile = 8;
constexpr size_t kBlockBytes = 96 * 1024;

template <class A, class T>
void codebook_search_multi(const CodebookView& book, const float* queries, size_t n_queries,
                           size_t query_stride, size_t k, int32_t* ids_out,
                           float* scores_out) noexcept {
  const size_t row_bytes = book.dim * sizeof(T) > 0 ? book.dim * sizeof(T) : 1;
  const size_t block_rows = kBlockBytes / row_bytes > 0 ? kBlockBytes / row_bytes : 1;
  for (size_t t0 = 0; t0 < n_queries; t0 += kQueryTile) {
    const size_t tile = n_queries - t0 < kQueryTile ? n_queries - t0 : kQueryTile;
    RunningTopK tops[kQueryTile] = {};
    float sq_norms[kQueryTile] = {};
    for (size_t t = 0; t < tile; ++t) {
      tops[t] = RunningTopK{scores_out + (t0 + t) * k, ids_out + (t0 + t) * k, k};
      sq_norms[t] = query_sq_norm<A>(book, queries + (t0 + t) * query_stride);
    }
    for (size_t begin = 0; begin < book.n_codes; begin += block_rows) {
      const size_t end = book.n_codes - begin < block_rows ? book.n_codes : begin + block_rows;
      for (size_t t = 0; t < tile; ++t) {
        scan_codes<A, T>(book, queries + (t0 + t) * query_stride, sq_norms[t], begin, end, tops[t]);
      }
    }
    for (size_t t = 0; t < tile; ++t) tops[t].finish();
  }
}

}  // namespace
}  // namespace cbk::simd::detail
