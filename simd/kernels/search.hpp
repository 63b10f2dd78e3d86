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

// Upper bound of the f32 kernel's reported score for code j, given the dot of the query with the
// quantized row. Error terms (all inflated 2x for safety):
//  * quantization: |<x, c - c_hat>| <= ||x|| ||c - c_hat||                     (Cauchy-Schwarz)
//  * float rounding of both lane-ordered dots: each lane sums ceil(dim/32) products, then 5 tree
//    levels, so |fl(dot) - dot| <= (dim/32 + 7) u sum|x_i c_i| <= (dim/32 + 7) u ||x|| ||c||
//  * rounding inside finish_score (a few operations): 4u relative.
// Computed in double so the bound itself adds no rounding of consequence.
struct ScoreBound {
  Metric metric;
  double query_norm;    // ||x||
  double query_sq;      // the f32 kernel's own ||x||^2 (float value, reused exactly)
  double dot_rel_error; // 2 (dim/32 + 7) u

  double upper(double quant_dot, float norm_term, float quant_error) const noexcept {
    constexpr double u = 0x1p-24;
    const double code_norm = metric == Metric::inner_product ? 1.0 / norm_term
                                                              : std::sqrt(double(norm_term));
    if (!(code_norm < INFINITY)) return INFINITY;  // zero code: no useful bound, rescore it
    const double quant_norm = code_norm + quant_error;
    const double dot_slack = query_norm * quant_error * 2.0 +
                             dot_rel_error * query_norm * (code_norm + quant_norm) +
                             4.0 * u * std::fabs(quant_dot) + 1e-30;
    const double dot_high = quant_dot + dot_slack;
    if (metric == Metric::inner_product) {
      const double score = dot_high * norm_term;
      return score + std::fabs(score) * 4.0 * u;
    }
    const double dist_sq = query_sq - 2.0 * dot_high + norm_term;
    const double dist_sq_low = dist_sq - 4.0 * u * (query_sq + 2.0 * std::fabs(dot_high) + norm_term);
    const double score = -std::sqrt(dist_sq_low > 0.0 ? dist_sq_low : 0.0);
    return score + std::fabs(score) * 4.0 * u;
  }
};

template <class A, class T>
size_t codebook_search_exact(const ExactSearchTable& table, const float* query, size_t k,
                             int32_t* ids_out, float* scores_out,
                             ExactSearchStats* stats) noexcept {
  const CodebookView& book = table.quantized;
  const size_t dim = book.dim;
  RunningTopK top{scores_out, ids_out, k};
  const float sq_norm = query_sq_norm<A>(book, query);
  double query_sq_exact = 0.0;
  for (size_t i = 0; i < dim; ++i) query_sq_exact += double(query[i]) * query[i];
  constexpr double u = 0x1p-24;
  const ScoreBound bound{book.metric, std::sqrt(query_sq_exact), double(sq_norm),
                         2.0 * (double(dim / kDotLanes) + 8.0) * u};
  size_t rescored = 0;
  const T* codes = static_cast<const T*>(book.codes);
  for_each_row_dot<A, T>(query, codes, dim, dim, 0, book.n_codes, [&](size_t j, float dot) {
    const double quant_dot =
        kDTypeOf<T> == DType::int8 ? double(dot) * book.row_scale[j] : double(dot);
    // A code that cannot beat the k-th exact score cannot enter (a tie loses to the lower id).
    if (top.full() &&
        !(bound.upper(quant_dot, book.norm_term[j], table.quant_error[j]) > top.threshold())) {
      return;
    }
    ++rescored;
    const float exact_dot = dot_one<A, float>(query, table.exact_codes + j * dim, dim);
    top.offer(finish_score(book.metric, exact_dot, 1.0f, sq_norm, book.norm_term[j]),
              static_cast<int32_t>(j));
  });
  if (stats) stats->rescored = rescored;
  return top.finish();
}

}  // namespace
}  // namespace cbk::simd::detail
