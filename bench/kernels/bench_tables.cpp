#include "bench/kernels/bench_tables.hpp"

#include <map>
#include <random>
#include <utility>

#include "simd/prepare.hpp"

namespace cbk::bench {

AlignedVector<float> bench_random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  AlignedVector<float> out(n);
  for (float& v : out) v = dist(rng);
  return out;
}

simd::CodebookView BenchTable::view(simd::DType dtype) const {
  simd::CodebookView v;
  v.dtype = dtype;
  v.n_codes = n_codes;
  v.dim = dim;
  v.metric = simd::Metric::inner_product;
  v.norm_term = norm_term.data();
  if (dtype == simd::DType::f32) v.codes = codes.data();
  if (dtype == simd::DType::f16) v.codes = codes_f16.data();
  if (dtype == simd::DType::int8) {
    v.codes = codes_q8.data();
    v.row_scale = scale_q8.data();
  }
  return v;
}

simd::ExactSearchTable BenchTable::exact(simd::DType dtype) const {
  simd::ExactSearchTable t;
  t.quantized = view(dtype);
  t.exact_codes = codes.data();
  t.quant_error = dtype == simd::DType::f16 ? error_f16.data() : error_q8.data();
  return t;
}

const BenchTable& bench_table(size_t n_codes, size_t dim) {
  static std::map<std::pair<size_t, size_t>, std::unique_ptr<BenchTable>> tables;
  auto& slot = tables[{n_codes, dim}];
  if (!slot) {
    auto t = std::make_unique<BenchTable>();
    t->n_codes = n_codes;
    t->dim = dim;
    t->codes = bench_random(n_codes * dim, uint32_t(n_codes * 31 + dim));
    t->norm_term.resize(n_codes);
    simd::compute_norm_terms(t->codes.data(), n_codes, dim, simd::Metric::inner_product,
                             t->norm_term.data());
    t->codes_f16.resize(n_codes * dim);
    t->error_f16.resize(n_codes);
    simd::quantize_f16(t->codes.data(), n_codes, dim, t->codes_f16.data(), t->error_f16.data());
    t->codes_q8.resize(n_codes * dim);
    t->scale_q8.resize(n_codes);
    t->error_q8.resize(n_codes);
    simd::quantize_int8(t->codes.data(), n_codes, dim, t->codes_q8.data(), t->scale_q8.data(),
                        t->error_q8.data());
    t->queries = bench_random(BenchTable::kQueries * dim, 7);
    slot = std::move(t);
  }
  return *slot;
}

}  // namespace cbk::bench
