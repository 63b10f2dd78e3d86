// FAISS IndexFlatIP on L2-normalised codes (what the original model code uses) as an outside
// oracle for the ids of the inner-product search, on random tables (nq = 1).
#include <faiss/IndexFlat.h>

#include <cmath>

#include "tests/kernels/kernel_test_support.hpp"

namespace cbk::simd::test {

TEST_CASE("inner-product search ids agree with FAISS IndexFlatIP", "[kernels][search][faiss]") {
  struct Shape {
    size_t n_codes, dim, k;
  };
  const Shape shapes[] = {{1000, 64, 8}, {4096, 256, 64}, {777, 33, 1}};
  constexpr size_t kQueries = 200;
  // FAISS sums in another order: two codes whose scores differ by less than this may swap.
  constexpr float kNearTie = 1e-5f;
  for (const Shape& s : shapes) {
    PreparedTable table(random_floats(s.n_codes * s.dim, 11), s.n_codes, s.dim,
                        Metric::inner_product);
    std::vector<float> normalised(s.n_codes * s.dim);
    for (size_t j = 0; j < s.n_codes; ++j) {
      for (size_t i = 0; i < s.dim; ++i) {
        normalised[j * s.dim + i] = table.codes[j * s.dim + i] * table.norm_term[j];
      }
    }
    faiss::IndexFlatIP index(static_cast<int>(s.dim));
    index.add(static_cast<faiss::Index::idx_t>(s.n_codes), normalised.data());
    const std::vector<float> queries = random_floats(kQueries * s.dim, 12);
    for_each_supported_isa([&](const Kernels& kern) {
      size_t near_tie_swaps = 0, matched = 0;
      for (size_t q = 0; q < kQueries; ++q) {
        const float* query = queries.data() + q * s.dim;
        std::vector<faiss::Index::idx_t> labels(s.k);
        std::vector<float> distances(s.k);
        index.search(1, query, static_cast<faiss::Index::idx_t>(s.k), distances.data(),
                     labels.data());
        std::vector<int32_t> ids(s.k);
        std::vector<float> scores(s.k);
        kern.f32_codebook_search(table.view(DType::f32), query, s.k, ids.data(), scores.data());
        for (size_t i = 0; i < s.k; ++i) {
          if (ids[i] == labels[i]) {
            ++matched;
            continue;
          }
          INFO("query " << q << " slot " << i << " ours " << ids[i] << " faiss " << labels[i]);
          REQUIRE(std::fabs(scores[i] - distances[i]) <= kNearTie * (std::fabs(scores[i]) + 1));
          ++near_tie_swaps;
        }
      }
      REQUIRE(matched + near_tie_swaps == kQueries * s.k);
      REQUIRE(near_tie_swaps <= kQueries / 100);  // swaps must stay rare
    });
  }
}

}  // namespace cbk::simd::test
