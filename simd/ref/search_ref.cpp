#include "simd/ref/search_ref.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "simd/detail/scalar_common.hpp"

namespace cbk::simd::ref {
namespace {

using detail::kDotLanes;

// The spec's reduction of the 32 lanes: lane[i] += lane[i + h] for h = 16, 8, 4, 2, 1.
float halving_tree(float (&lane)[kDotLanes]) noexcept {
  for (size_t half = kDotLanes / 2; half >= 1; half /= 2) {
    for (size_t i = 0; i < half; ++i) lane[i] = lane[i] + lane[i + half];
  }
  return lane[0];
}

template <class T>
float dot_lanes_impl(const float* x, const T* row, size_t dim, Accumulation mode) noexcept {
  float lane[kDotLanes] = {};
  const size_t padded = (dim + kDotLanes - 1) / kDotLanes * kDotLanes;
  for (size_t i = 0; i < padded; ++i) {
    const float a = i < dim ? x[i] : 0.0f;
    const float b = i < dim ? detail::to_f32(row[i]) : 0.0f;
    float& acc = lane[i % kDotLanes];
    if (mode == Accumulation::fused) {
      acc = std::fma(a, b, acc);
    } else {
      const float product = a * b;
      acc = acc + product;
    }
  }
  return halving_tree(lane);
}

float row_dot(const CodebookView& book, const float* query, size_t code, Accumulation mode) {
  const size_t offset = code * book.dim;
  switch (book.dtype) {
    case DType::f32:
      return dot_lanes(query, static_cast<const float*>(book.codes) + offset, book.dim, mode);
    case DType::f16:
      return dot_lanes(query, static_cast<const uint16_t*>(book.codes) + offset, book.dim, mode);
    case DType::int8:
      return dot_lanes(query, static_cast<const int8_t*>(book.codes) + offset, book.dim, mode);
  }
  return 0.0f;
}

}  // namespace

float dot_lanes(const float* x, const float* row, size_t dim, Accumulation mode) noexcept {
  return dot_lanes_impl(x, row, dim, mode);
}
float dot_lanes(const float* x, const uint16_t* row, size_t dim, Accumulation mode) noexcept {
  return dot_lanes_impl(x, row, dim, mode);
}
float dot_lanes(const float* x, const int8_t* row, size_t dim, Accumulation mode) noexcept {
  return dot_lanes_impl(x, row, dim, mode);
}

float code_score(const CodebookView& book, const float* query, size_t code,
                 Accumulation mode) noexcept {
  const float query_sq_norm =
      book.metric == Metric::euclidean ? dot_lanes(query, query, book.dim, mode) : 0.0f;
  const float scale = book.dtype == DType::int8 ? book.row_scale[code] : 1.0f;
  return detail::finish_score(book.metric, row_dot(book, query, code, mode), scale, query_sq_norm,
                              book.norm_term[code]);
}

size_t codebook_search(const CodebookView& book, const float* query, size_t k, int32_t* ids_out,
                       float* scores_out, Accumulation mode) {
  std::vector<float> scores(book.n_codes);
  for (size_t j = 0; j < book.n_codes; ++j) scores[j] = code_score(book, query, j, mode);
  std::vector<int32_t> order(book.n_codes);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
  const size_t found = std::min(k, book.n_codes);
  for (size_t i = 0; i < k; ++i) {
    ids_out[i] = i < found ? order[i] : -1;
    scores_out[i] = i < found ? scores[order[i]] : -std::numeric_limits<float>::infinity();
  }
  return found;
}

void codebook_search_multi(const CodebookView& book, const float* queries, size_t n_queries,
                           size_t query_stride, size_t k, int32_t* ids_out, float* scores_out,
                           Accumulation mode) {
  for (size_t t = 0; t < n_queries; ++t) {
    codebook_search(book, queries + t * query_stride, k, ids_out + t * k, scores_out + t * k, mode);
  }
}

float sq_distance_lanes(const float* x, const float* row, size_t dim, Accumulation mode) noexcept {
  float lane[kDotLanes] = {};
  const size_t padded = (dim + kDotLanes - 1) / kDotLanes * kDotLanes;
  for (size_t i = 0; i < padded; ++i) {
    const float diff = i < dim ? x[i] - row[i] : 0.0f;
    float& acc = lane[i % kDotLanes];
    if (mode == Accumulation::fused) {
      acc = std::fma(diff, diff, acc);
    } else {
      const float square = diff * diff;
      acc = acc + square;
    }
  }
  return halving_tree(lane);
}

size_t codebook_distances(const CodebookView& book, const float* query, float* dist_out, size_t k,
                          int32_t* ids_out, Accumulation mode) {
  const float* codes = static_cast<const float*>(book.codes);
  std::vector<int32_t> order(book.n_codes);
  for (size_t j = 0; j < book.n_codes; ++j) {
    dist_out[j] = sq_distance_lanes(query, codes + j * book.dim, book.dim, mode);
  }
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return dist_out[a] < dist_out[b]; });
  const size_t found = std::min(k, book.n_codes);
  for (size_t i = 0; i < k; ++i) ids_out[i] = i < found ? order[i] : -1;
  return found;
}

size_t codebook_search_exact(const ExactSearchTable& table, const float* query, size_t k,
                             int32_t* ids_out, float* scores_out, Accumulation mode) {
  CodebookView exact = table.quantized;
  exact.codes = table.exact_codes;
  exact.dtype = DType::f32;
  exact.row_scale = nullptr;
  return codebook_search(exact, query, k, ids_out, scores_out, mode);
}

}  // namespace cbk::simd::ref
