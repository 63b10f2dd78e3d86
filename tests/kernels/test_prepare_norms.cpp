// compute_norm_terms (simd/prepare.cpp) against the definition, in the same arithmetic: each code's
// squared norm summed in double, element by element in order, so the result must be identical to
// the bit, whatever blocking the implementation uses.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "simd/prepare.hpp"

TEST_CASE("compute_norm_terms equals the per-code definition bit for bit", "[prepare]") {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (std::size_t n_codes : {1u, 7u, 8u, 9u, 17u, 1000u}) {
    for (std::size_t dim : {1u, 3u, 64u, 257u}) {
      std::vector<float> codes(n_codes * dim);
      for (float& c : codes) c = normal(rng);
      for (std::size_t k = 0; k < dim; ++k) codes[k] = 0.0f;  // a zero code: its inverse norm is 0
      for (auto metric : {cbk::simd::Metric::inner_product, cbk::simd::Metric::euclidean}) {
        std::vector<float> got(n_codes, -1.0f);
        cbk::simd::compute_norm_terms(codes.data(), n_codes, dim, metric, got.data());
        for (std::size_t j = 0; j < n_codes; ++j) {
          double sq = 0.0;
          for (std::size_t i = 0; i < dim; ++i) sq += static_cast<double>(codes[j * dim + i]) * codes[j * dim + i];
          const float want = metric == cbk::simd::Metric::euclidean ? static_cast<float>(sq)
                             : sq > 0.0 ? static_cast<float>(1.0 / std::sqrt(sq)) : 0.0f;
          INFO("n_codes " << n_codes << " dim " << dim << " code " << j);
          CHECK(std::memcmp(&got[j], &want, sizeof want) == 0);
        }
      }
    }
  }
}
