// Codebook search (single and multi query) against the reference: ids, order and scores must be
// identical (the reference reproduces each ISA's accumulation order, see simd/ref/search_ref.hpp).
#include <algorithm>
#include <limits>

#include "simd/ref/search_ref.hpp"
#include "tests/kernels/kernel_test_support.hpp"

namespace cbk::simd::test {
namespace {

constexpr DType kDTypes[] = {DType::f32, DType::f16, DType::int8};
constexpr Metric kMetrics[] = {Metric::inner_product, Metric::euclidean};

struct SearchResult {
  std::vector<int32_t> ids;
  std::vector<float> scores;
  size_t found = 0;
};

SearchResult run_kernel(const Kernels& kern, const CodebookView& book, const float* query,
                        size_t k) {
  SearchResult r{std::vector<int32_t>(k, 7), std::vector<float>(k, 7.0f), 0};
  r.found = codebook_search(kern, book, query, k, r.ids.data(), r.scores.data());
  return r;
}

SearchResult run_reference(const Kernels& kern, const CodebookView& book, const float* query,
                           size_t k) {
  SearchResult r{std::vector<int32_t>(k), std::vector<float>(k), 0};
  r.found = ref::codebook_search(book, query, k, r.ids.data(), r.scores.data(), kern.accumulation);
  return r;
}

void require_same(const SearchResult& got, const SearchResult& want) {
  REQUIRE(got.found == want.found);
  REQUIRE(got.ids == want.ids);
  for (size_t i = 0; i < want.scores.size(); ++i) {
    INFO("slot " << i);
    // Bit-identical, including the -infinity padding (NaN never occurs with finite inputs).
    REQUIRE(got.scores[i] == want.scores[i]);
  }
}

// Sorted by descending score, equal scores by ascending id, padding at the end.
void require_well_ordered(const SearchResult& r) {
  for (size_t i = 1; i < r.found; ++i) {
    REQUIRE(r.scores[i - 1] >= r.scores[i]);
    if (r.scores[i - 1] == r.scores[i]) REQUIRE(r.ids[i - 1] < r.ids[i]);
  }
  for (size_t i = r.found; i < r.ids.size(); ++i) {
    REQUIRE(r.ids[i] == -1);
    REQUIRE(r.scores[i] == -std::numeric_limits<float>::infinity());
  }
}

}  // namespace

TEST_CASE("search equals the reference over tile-boundary shapes", "[kernels][search]") {
  const size_t dims[] = {1, 3, 4, 15, 16, 17, 31, 32, 33, 64, 95, 256};
  const size_t code_counts[] = {0, 1, 3, 4, 5, 8, 9, 33, 130};
  const size_t ks[] = {1, 5, 64};
  for_each_supported_isa([&](const Kernels& kern) {
    uint32_t seed = 1;
    for (size_t dim : dims) {
      for (size_t n : code_counts) {
        for (Metric metric : kMetrics) {
          PreparedTable table(random_floats(n * dim, seed++), n, dim, metric);
          const std::vector<float> query = random_floats(dim, seed++);
          for (DType dtype : kDTypes) {
            for (size_t k : ks) {
              INFO("dim " << dim << " codes " << n << " k " << k << " dtype " << dtype_name(dtype)
                          << " metric " << int(metric));
              const CodebookView book = table.view(dtype);
              const SearchResult got = run_kernel(kern, book, query.data(), k);
              require_same(got, run_reference(kern, book, query.data(), k));
              require_well_ordered(got);
              REQUIRE(got.found == std::min(k, n));
            }
          }
        }
      }
    }
  });
}

TEST_CASE("planted ties go to the lower id, in every ISA", "[kernels][search]") {
  const size_t dim = 37, n = 200;
  for_each_supported_isa([&](const Kernels& kern) {
    for (Metric metric : kMetrics) {
      std::vector<float> values = random_floats(n * dim, 99);
      // Rows 150..199 duplicate rows 3, 6, 9, ...: every duplicate ties exactly with its source.
      for (size_t j = 150; j < n; ++j) {
        std::copy_n(values.begin() + (j - 150) * 3 * dim, dim, values.begin() + j * dim);
      }
      PreparedTable table(std::move(values), n, dim, metric);
      for (DType dtype : kDTypes) {
        INFO("dtype " << dtype_name(dtype) << " metric " << int(metric));
        const CodebookView book = table.view(dtype);
        // Queries equal to a duplicated code put the tie at the very top.
        for (size_t source : {size_t(0), size_t(30), size_t(147)}) {
          const float* query = table.codes.data() + source * dim;
          const SearchResult got = run_kernel(kern, book, query, 64);
          require_same(got, run_reference(kern, book, query, 64));
          require_well_ordered(got);
          size_t tied_pairs = 0;
          for (size_t i = 1; i < got.found; ++i) tied_pairs += got.scores[i] == got.scores[i - 1];
          REQUIRE(tied_pairs >= 3);  // the ties really were exercised
        }
        // A zero query ties every inner-product score at 0: ids must come out 0, 1, 2, ...
        if (metric == Metric::inner_product) {
          const std::vector<float> zero(dim, 0.0f);
          const SearchResult got = run_kernel(kern, book, zero.data(), 64);
          require_same(got, run_reference(kern, book, zero.data(), 64));
          for (size_t i = 0; i < 64; ++i) REQUIRE(got.ids[i] == int32_t(i));
        }
      }
    }
  });
}

TEST_CASE("massive ties across top-k compactions equal the reference", "[kernels][search]") {
  // Codes with entries in {-1, 0, 1} and dim 4 give few distinct scores, so long runs of equal
  // scores straddle the k-th place for every k (a guard for any future top-k strategy).
  const size_t dim = 4, n = 700;
  std::vector<float> values = random_floats(n * dim, 4242);
  for (float& v : values) v = v > 0.3f ? 1.0f : (v < -0.3f ? -1.0f : 0.0f);
  const std::vector<float> query = {1.0f, 0.5f, -1.0f, 0.25f};
  for_each_supported_isa([&](const Kernels& kern) {
    for (Metric metric : kMetrics) {
      PreparedTable table(values, n, dim, metric);
      for (DType dtype : kDTypes) {
        for (size_t k : {size_t(1), size_t(15), size_t(16), size_t(17), size_t(64)}) {
          INFO("dtype " << dtype_name(dtype) << " metric " << int(metric) << " k " << k);
          const CodebookView book = table.view(dtype);
          const SearchResult got = run_kernel(kern, book, query.data(), k);
          require_same(got, run_reference(kern, book, query.data(), k));
          require_well_ordered(got);
        }
      }
    }
  });
}

TEST_CASE("k from 64 to kMaxTopK = 128 equals the reference", "[kernels][search]") {
  REQUIRE(kMaxTopK == 128);
  const size_t n = 300;
  for_each_supported_isa([&](const Kernels& kern) {
    uint32_t seed = 700;
    for (size_t dim : {size_t(33), size_t(64)}) {
      for (Metric metric : kMetrics) {
        PreparedTable table(random_floats(n * dim, seed++), n, dim, metric);
        const std::vector<float> queries = random_floats(5 * dim, seed++);
        for (DType dtype : kDTypes) {
          const CodebookView book = table.view(dtype);
          for (size_t k : {size_t(64), size_t(65), size_t(127), size_t(128)}) {
            INFO("dim " << dim << " k " << k << " dtype " << dtype_name(dtype) << " metric "
                        << int(metric));
            const SearchResult got = run_kernel(kern, book, queries.data(), k);
            require_same(got, run_reference(kern, book, queries.data(), k));
            require_well_ordered(got);
            REQUIRE(got.found == k);
            std::vector<int32_t> ids(5 * k);
            std::vector<float> scores(5 * k), want_scores(5 * k);
            std::vector<int32_t> want_ids(5 * k);
            codebook_search_multi(kern, book, queries.data(), 5, dim, k, ids.data(),
                                  scores.data());
            ref::codebook_search_multi(book, queries.data(), 5, dim, k, want_ids.data(),
                                       want_scores.data(), kern.accumulation);
            REQUIRE(ids == want_ids);
            REQUIRE(scores == want_scores);
          }
          if (metric == Metric::inner_product) {
            // A zero query ties all 300 scores at 0: the top 128 must be ids 0 .. 127.
            const std::vector<float> zero(dim, 0.0f);
            const SearchResult tied = run_kernel(kern, book, zero.data(), 128);
            for (size_t i = 0; i < 128; ++i) REQUIRE(tied.ids[i] == int32_t(i));
          }
        }
      }
    }
  });
}

TEST_CASE("k larger than the table pads with -1", "[kernels][search]") {
  PreparedTable table(random_floats(3 * 20, 5), 3, 20, Metric::inner_product);
  const std::vector<float> query = random_floats(20, 6);
  for_each_supported_isa([&](const Kernels& kern) {
    const SearchResult got = run_kernel(kern, table.view(DType::f32), query.data(), 8);
    REQUIRE(got.found == 3);
    require_well_ordered(got);
  });
}

TEST_CASE("multi-query search equals single-query search row by row", "[kernels][search]") {
  struct Shape {
    size_t n_codes, dim, n_queries, k;
  };
  // 1000 x 64 f32 spans several 96 KiB code blocks; 8 is the query tile.
  const Shape shapes[] = {{0, 8, 3, 4}, {1000, 64, 0, 8}, {1000, 64, 1, 8}, {1000, 64, 8, 1},
                          {1000, 64, 9, 64}, {517, 33, 20, 5}, {3, 1000, 17, 8}};
  for_each_supported_isa([&](const Kernels& kern) {
    uint32_t seed = 500;
    for (const Shape& s : shapes) {
      for (Metric metric : kMetrics) {
        PreparedTable table(random_floats(s.n_codes * s.dim, seed++), s.n_codes, s.dim, metric);
        const size_t stride = s.dim + 3;
        const std::vector<float> queries = random_floats(s.n_queries * stride + 1, seed++);
        for (DType dtype : kDTypes) {
          INFO("codes " << s.n_codes << " dim " << s.dim << " queries " << s.n_queries << " dtype "
                        << dtype_name(dtype));
          const CodebookView book = table.view(dtype);
          std::vector<int32_t> ids(s.n_queries * s.k + 1, 7);
          std::vector<float> scores(s.n_queries * s.k + 1, 7.0f);
          codebook_search_multi(kern, book, queries.data(), s.n_queries, stride, s.k, ids.data(),
                                scores.data());
          for (size_t t = 0; t < s.n_queries; ++t) {
            const SearchResult single = run_kernel(kern, book, queries.data() + t * stride, s.k);
            SearchResult multi{std::vector<int32_t>(ids.begin() + t * s.k,
                                                    ids.begin() + (t + 1) * s.k),
                               std::vector<float>(scores.begin() + t * s.k,
                                                  scores.begin() + (t + 1) * s.k),
                               std::min(s.k, s.n_codes)};
            require_same(multi, single);
          }
        }
      }
    }
  });
}

TEST_CASE("multi-query search equals the reference at query-tile and row-block boundaries",
          "[kernels][search]") {
  // Query counts around the register tile (4 queries on AVX-512) and the cache tile (32 queries);
  // code counts around the 16-row vector blocks and the 32 KiB row blocks (128 rows of 64 f32,
  // 256 of f16, 512 of int8).
  const size_t query_counts[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 50};
  const size_t code_counts[] = {1, 15, 16, 17, 127, 128, 129, 257, 513};
  for_each_supported_isa([&](const Kernels& kern) {
    uint32_t seed = 900;
    for (size_t n : code_counts) {
      for (Metric metric : kMetrics) {
        const size_t dim = n % 2 == 0 ? 64 : 45;  // a whole chunk count and a padded tail
        PreparedTable table(random_floats(n * dim, seed++), n, dim, metric);
        const size_t stride = dim + 5, k = 8;
        const std::vector<float> queries = random_floats(50 * stride, seed++);
        for (DType dtype : kDTypes) {
          const CodebookView book = table.view(dtype);
          std::vector<int32_t> want_ids(50 * k);
          std::vector<float> want_scores(50 * k);
          ref::codebook_search_multi(book, queries.data(), 50, stride, k, want_ids.data(),
                                     want_scores.data(), kern.accumulation);
          for (size_t n_queries : query_counts) {
            INFO("codes " << n << " dim " << dim << " queries " << n_queries << " dtype "
                          << dtype_name(dtype) << " metric " << int(metric));
            std::vector<int32_t> ids(n_queries * k + 1, 7);
            std::vector<float> scores(n_queries * k + 1, 7.0f);
            codebook_search_multi(kern, book, queries.data(), n_queries, stride, k, ids.data(),
                                  scores.data());
            REQUIRE(std::equal(ids.begin(), ids.end() - 1, want_ids.begin()));
            REQUIRE(std::equal(scores.begin(), scores.end() - 1, want_scores.begin()));
            REQUIRE(ids.back() == 7);  // nothing written past n_queries x k
          }
        }
      }
    }
  });
}

TEST_CASE("the scalar table is the reference in separate mode", "[kernels][search]") {
  const Kernels& scalar = kernels_for(Isa::scalar);
  REQUIRE(scalar.accumulation == Accumulation::separate);
  PreparedTable table(random_floats(300 * 40, 77), 300, 40, Metric::euclidean);
  const std::vector<float> query = random_floats(40, 78);
  for (DType dtype : kDTypes) {
    const SearchResult got = run_kernel(scalar, table.view(dtype), query.data(), 10);
    require_same(got, run_reference(scalar, table.view(dtype), query.data(), 10));
  }
}

}  // namespace cbk::simd::test
