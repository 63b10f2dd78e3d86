// Deterministic benchmark inputs: code tables per shape with every precomputed term, built lazily
// (the 100k x 1024 f32 table alone is 410 MB) and kept for the whole run.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "simd/simd.hpp"

namespace cbk::bench {

struct BenchTable {
  size_t n_codes = 0, dim = 0;
  std::vector<float> codes, norm_term;            // inner-product norm terms of the f32 codes
  std::vector<uint16_t> codes_f16;
  std::vector<int8_t> codes_q8;
  std::vector<float> scale_q8, error_f16, error_q8;
  std::vector<float> queries;                     // kQueries x dim, LayerNorm-like N(0, 1)
  static constexpr size_t kQueries = 64;

  simd::CodebookView view(simd::DType dtype) const;
  simd::ExactSearchTable exact(simd::DType dtype) const;
  const float* query(size_t i) const { return queries.data() + (i % kQueries) * dim; }
};

const BenchTable& bench_table(size_t n_codes, size_t dim);
std::vector<float> bench_random(size_t n, uint32_t seed);

}  // namespace cbk::bench
