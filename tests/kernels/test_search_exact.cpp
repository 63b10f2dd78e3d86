// Exact search over f16/int8 tables: the ids, order and scores must equal the f32 kernel's, on at
// least 10,000 random queries per shape on the best ISA (fewer on the others, which share the
// body; 300 in emulated builds, qemu or Node, where the same xsimd body runs as NEON or SIMD128
// and the native builds run the full sweep). Also reports how often the approximate
// (quantized-only) mode agrees.
#include <algorithm>
#include <cstdlib>

#include "simd/ref/search_ref.hpp"
#include "tests/kernels/kernel_test_support.hpp"

namespace cbk::simd::test {
namespace {

#ifdef CBK_TEST_EMULATED
constexpr size_t kQueriesBestIsa = 300;
constexpr size_t kQueriesOtherIsas = 100;
#else
constexpr size_t kQueriesBestIsa = 10000;
constexpr size_t kQueriesOtherIsas = 300;
#endif
constexpr size_t kQueriesApproximate = 2000;  // enough for the agreement figure

struct Shape {
  size_t n_codes, dim, k;
};

}  // namespace

TEST_CASE("exact quantized search equals f32 search on 10,000 queries per shape (300 emulated)",
          "[kernels][search][exact]") {
  const Shape shapes[] = {{512, 64, 8}, {1024, 40, 64}, {300, 129, 1}};
  const Isa best = detect_best_isa();
  for_each_supported_isa([&](const Kernels& kern) {
    const size_t n_queries = kern.isa == best ? kQueriesBestIsa : kQueriesOtherIsas;
    uint32_t seed = 2024;
    for (const Shape& s : shapes) {
      for (Metric metric : {Metric::inner_product, Metric::euclidean}) {
        PreparedTable table(random_floats(s.n_codes * s.dim, seed++), s.n_codes, s.dim, metric);
        const std::vector<float> queries = random_floats(n_queries * s.dim, seed++);
        for (DType dtype : {DType::f16, DType::int8}) {
          INFO("codes " << s.n_codes << " dim " << s.dim << " k " << s.k << " dtype "
                        << dtype_name(dtype) << " metric " << int(metric));
          const ExactSearchTable exact = table.exact_table(dtype);
          const CodebookView f32_book = table.view(DType::f32);
          const CodebookView approx_book = table.approximate_view(dtype);
          std::vector<int32_t> want_ids(s.k), got_ids(s.k), approx_ids(s.k);
          std::vector<float> want_scores(s.k), got_scores(s.k), approx_scores(s.k);
          size_t mismatches = 0, rescored = 0, approx_agree = 0, approx_queries = 0;
          for (size_t q = 0; q < n_queries; ++q) {
            const float* query = queries.data() + q * s.dim;
            kern.f32_codebook_search(f32_book, query, s.k, want_ids.data(), want_scores.data());
            ExactSearchStats stats;
            codebook_search_exact(kern, exact, query, s.k, got_ids.data(), got_scores.data(),
                                  &stats);
            rescored += stats.rescored;
            mismatches += got_ids != want_ids || got_scores != want_scores;
            if (q >= kQueriesApproximate) continue;
            ++approx_queries;
            codebook_search(kern, approx_book, query, s.k, approx_ids.data(), approx_scores.data());
            for (int32_t id : approx_ids) {
              approx_agree += std::count(want_ids.begin(), want_ids.end(), id) > 0;
            }
          }
          REQUIRE(mismatches == 0);
          std::printf("[exact] %-7s %-4s %s C=%zu d=%zu k=%zu: %zu queries identical, rescored "
                      "%.1f codes/query (%.2f%%); approximate id agreement %.2f%%\n",
                      isa_name(kern.isa), dtype_name(dtype),
                      metric == Metric::inner_product ? "ip " : "l2 ", s.n_codes, s.dim, s.k,
                      n_queries, double(rescored) / n_queries,
                      100.0 * double(rescored) / double(n_queries * s.n_codes),
                      100.0 * double(approx_agree) / double(approx_queries * s.k));
          // The bound must prune: rescoring everything would defeat the quantized table.
          REQUIRE(rescored < n_queries * s.n_codes / 2);
        }
      }
    }
  });
}

TEST_CASE("exact quantized search keeps planted ties and matches the reference",
          "[kernels][search][exact]") {
  const size_t n = 120, dim = 50;
  std::vector<float> values = random_floats(n * dim, 31);
  for (size_t j = 100; j < n; ++j) {
    std::copy_n(values.begin() + (j - 100) * 2 * dim, dim, values.begin() + j * dim);
  }
  for (Metric metric : {Metric::inner_product, Metric::euclidean}) {
    PreparedTable table(values, n, dim, metric);
    for_each_supported_isa([&](const Kernels& kern) {
      for (DType dtype : {DType::f16, DType::int8}) {
        for (size_t source : {size_t(0), size_t(18), size_t(77)}) {
          const float* query = table.codes.data() + source * dim;
          std::vector<int32_t> got_ids(64), want_ids(64);
          std::vector<float> got_scores(64), want_scores(64);
          codebook_search_exact(kern, table.exact_table(dtype), query, 64, got_ids.data(),
                                got_scores.data(), nullptr);
          ref::codebook_search_exact(table.exact_table(dtype), query, 64, want_ids.data(),
                                     want_scores.data(), kern.accumulation);
          REQUIRE(got_ids == want_ids);
          REQUIRE(got_scores == want_scores);
        }
      }
    });
  }
}

TEST_CASE("exact quantized search stays exact when most codes survive the bound",
          "[kernels][search][exact]") {
  // 3000 near-copies of one vector (differences far below the quantization error) and planted
  // exact duplicates: nearly every code is a candidate, so the fixed candidate buffer overflows
  // and is compacted and rescored many times mid-scan, with ties across flushes.
  const size_t n = 3000, dim = 33;
  const std::vector<float> base = random_floats(dim, 77);
  const std::vector<float> noise = random_floats(n * dim, 78);
  // spread 1e-4: every code is rescored; 3e-2: the rescoring stops early inside each flush.
  for (const float spread : {1e-4f, 3e-2f}) {
    std::vector<float> values(n * dim);
    for (size_t j = 0; j < n; ++j) {
      const size_t src = j % 7 == 6 ? 5 : j;  // every 7th code duplicates code 5
      for (size_t i = 0; i < dim; ++i) {
        values[j * dim + i] = base[i] + spread * noise[src * dim + i];
      }
    }
    for (Metric metric : {Metric::inner_product, Metric::euclidean}) {
      PreparedTable table(values, n, dim, metric);
      const std::vector<float> queries = random_floats(4 * dim, 79);
      for_each_supported_isa([&](const Kernels& kern) {
        for (DType dtype : {DType::f16, DType::int8}) {
          for (size_t k : {size_t(1), size_t(64), size_t(128)}) {
            for (size_t q = 0; q < 4; ++q) {
              INFO("spread " << spread << " metric " << int(metric) << " dtype "
                             << dtype_name(dtype) << " k " << k << " query " << q);
              // Query 3 is code 5 itself: a tie between it and its duplicates.
              const float* query =
                  q == 3 ? table.codes.data() + 5 * dim : queries.data() + q * dim;
              std::vector<int32_t> got_ids(k), want_ids(k);
              std::vector<float> got_scores(k), want_scores(k);
              ExactSearchStats stats;
              codebook_search_exact(kern, table.exact_table(dtype), query, k, got_ids.data(),
                                    got_scores.data(), &stats);
              kern.f32_codebook_search(table.view(DType::f32), query, k, want_ids.data(),
                                       want_scores.data());
              REQUIRE(got_ids == want_ids);
              REQUIRE(got_scores == want_scores);
              ref::codebook_search_exact(table.exact_table(dtype), query, k, want_ids.data(),
                                         want_scores.data(), kern.accumulation);
              REQUIRE(got_ids == want_ids);
              REQUIRE(got_scores == want_scores);
            }
          }
        }
      });
    }
  }
}

}  // namespace cbk::simd::test

namespace cbk::simd::test {

TEST_CASE("exact quantized search equals f32 search at 16-row block boundaries",
          "[kernels][search][exact]") {
  // Pass 1 scores L rows per vector (L = 16 on AVX-512) and the rest row by row: code counts
  // around the block size, k from 1 to 128 (more than the codes for the small tables), rows of
  // very different sizes and zero rows (no usable bound: always kept) spread over the blocks.
  const float row_sizes[] = {1.0f, 1e-3f, 30.0f, 0.0f, 1.0f, 2.5f, 1e-2f};
  for (size_t dim : {size_t(7), size_t(64)}) {
    for (size_t n : {size_t(0), size_t(1), size_t(15), size_t(16), size_t(17), size_t(31),
                     size_t(33), size_t(250)}) {
      std::vector<float> values = random_floats(n * dim, uint32_t(1000 + n + dim));
      for (size_t j = 0; j < n; ++j) {
        const float size = row_sizes[(j * 5 + n) % 7];
        for (size_t i = 0; i < dim; ++i) values[j * dim + i] *= size;
      }
      const std::vector<float> queries = random_floats(3 * dim, uint32_t(2000 + n + dim));
      for (Metric metric : {Metric::inner_product, Metric::euclidean}) {
        PreparedTable table(values, n, dim, metric);
        for_each_supported_isa([&](const Kernels& kern) {
          for (DType dtype : {DType::f16, DType::int8}) {
            for (size_t k : {size_t(1), size_t(8), size_t(128)}) {
              for (size_t q = 0; q < 4; ++q) {
                INFO("isa " << isa_name(kern.isa) << " n " << n << " dim " << dim << " metric "
                            << int(metric) << " dtype " << dtype_name(dtype) << " k " << k
                            << " query " << q);
                // Query 3 is a code of the table (or a zero query when the table is empty).
                std::vector<float> own(dim, 0.0f);
                if (q == 3 && n > 0) std::copy_n(values.begin() + (n / 2) * dim, dim, own.begin());
                const float* query = q == 3 ? own.data() : queries.data() + q * dim;
                std::vector<int32_t> got_ids(k, 7), want_ids(k, 9);
                std::vector<float> got_scores(k, 1.0f), want_scores(k, 2.0f);
                const size_t got = codebook_search_exact(kern, table.exact_table(dtype), query, k,
                                                         got_ids.data(), got_scores.data(),
                                                         nullptr);
                const size_t want = kern.f32_codebook_search(table.view(DType::f32), query, k,
                                                             want_ids.data(), want_scores.data());
                REQUIRE(got == want);
                REQUIRE(got == std::min(n, k));
                REQUIRE(got_ids == want_ids);
                REQUIRE(got_scores == want_scores);
              }
            }
          }
        });
      }
    }
  }
}

}  // namespace cbk::simd::test
