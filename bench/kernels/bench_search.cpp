// Codebook search benchmarks: every ISA (scalar = the reference's arithmetic), f32 / f16 / int8,
// exact and approximate, single and multi query, and FAISS IndexFlatIP (nq = 1) on the same tables.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bench/kernels/bench_registry.hpp"
#include "bench/kernels/bench_tables.hpp"
#include "bench/kernels/machine_peaks.hpp"

#if defined(CBK_BENCH_WITH_FAISS)
#include <faiss/IndexFlat.h>

#include <map>
#include <memory>
#include <utility>
#endif

namespace cbk::bench {
namespace {

struct Shape {
  size_t n_codes, dim;
};
constexpr Shape kShapes[] = {{1024, 256}, {8192, 512}, {16384, 1024}, {100000, 1024}};
constexpr size_t kTopK[] = {1, 8, 64};
// Per-head widths of small models (TokFSM: C = 1000, d = 32-128): the single-query f32 kernel only.
constexpr Shape kHeadShapes[] = {{1024, 32}, {1024, 64}};
// Prefill of a Pythia-70m-shaped head (C = 10k, d = 64): the multi-query kernel, 64 queries.
constexpr Shape kPrefillShapes[] = {{10000, 64}};
// One decode-time group of the same head (one query): the exact int8/f16 scans.
constexpr Shape kDecodeShapes[] = {{10000, 64}};
constexpr size_t kDecodeGroups = 64;  // 164 MB of f32 tables: out of cache

size_t element_bytes(simd::DType dtype) {
  return dtype == simd::DType::f32 ? 4 : (dtype == simd::DType::f16 ? 2 : 1);
}

const char* dtype_prefix(simd::DType dtype) {
  return dtype == simd::DType::f32 ? "f32" : (dtype == simd::DType::f16 ? "f16" : "q8");
}

// Besides Google Benchmark's mean/median/stddev: the best repetition, the least disturbed by the
// other tenants of a shared machine (CPU time still grows with their cache and memory traffic).
benchmark::internal::Benchmark* with_min(benchmark::internal::Benchmark* b) {
  return b->ComputeStatistics("min", [](const std::vector<double>& v) {
    return *std::min_element(v.begin(), v.end());
  });
}

std::string shape_suffix(const Shape& s, size_t k) {
  return "/C:" + std::to_string(s.n_codes) + "/d:" + std::to_string(s.dim) +
         "/k:" + std::to_string(k);
}

// GB/s and GFLOP/s of one table pass per query, and the same as % of the machine's limits.
void set_rate_counters(benchmark::State& state, double bytes_per_query, double flops_per_query,
                       double queries) {
  const MachinePeaks& peaks = machine_peaks();
  using benchmark::Counter;
  const double bytes = bytes_per_query * queries * double(state.iterations());
  const double flops = flops_per_query * queries * double(state.iterations());
  state.counters["GB/s"] = Counter(bytes / 1e9, Counter::kIsRate);
  state.counters["GFLOP/s"] = Counter(flops / 1e9, Counter::kIsRate);
  state.counters["%stream"] = Counter(100.0 * bytes / peaks.stream_read_bytes_per_s,
                                      Counter::kIsRate);
  state.counters["%fma_peak"] = Counter(100.0 * flops / peaks.fma_flops_per_s, Counter::kIsRate);
  state.counters["%load_fma"] = Counter(100.0 * flops / peaks.load_fma_flops_per_s,
                                        Counter::kIsRate);
}

void register_single(simd::Isa isa, simd::DType dtype, const Shape& s, size_t k) {
  const std::string name = std::string(dtype_prefix(dtype)) + "_codebook_search__" +
                           simd::isa_name(isa) + shape_suffix(s, k);
  with_min(benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
    const BenchTable& table = bench_table(s.n_codes, s.dim);
    const simd::Kernels& kern = simd::kernels_for(isa);
    const simd::CodebookView book = table.view(dtype);
    std::vector<int32_t> ids(k);
    std::vector<float> scores(k);
    size_t q = 0;
    for (auto _ : state) {
      simd::codebook_search(kern, book, table.query(q++), k, ids.data(), scores.data());
      benchmark::DoNotOptimize(ids.data());
    }
    set_rate_counters(state, double(s.n_codes * s.dim * element_bytes(dtype)),
                      2.0 * double(s.n_codes * s.dim), 1.0);
  }))->Unit(benchmark::kMicrosecond);
}

void register_exact(simd::Isa isa, simd::DType dtype, const Shape& s, size_t k) {
  const std::string name = std::string(dtype_prefix(dtype)) + "_codebook_search_exact__" +
                           simd::isa_name(isa) + shape_suffix(s, k);
  with_min(benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
    const BenchTable& table = bench_table(s.n_codes, s.dim);
    const simd::Kernels& kern = simd::kernels_for(isa);
    const simd::ExactSearchTable exact = table.exact(dtype);
    std::vector<int32_t> ids(k);
    std::vector<float> scores(k);
    size_t q = 0, rescored = 0;
    for (auto _ : state) {
      simd::ExactSearchStats stats;
      simd::codebook_search_exact(kern, exact, table.query(q++), k, ids.data(), scores.data(),
                                  &stats);
      rescored += stats.rescored;
      benchmark::DoNotOptimize(ids.data());
    }
    set_rate_counters(state, double(s.n_codes * s.dim * element_bytes(dtype)),
                      2.0 * double(s.n_codes * s.dim), 1.0);
    state.counters["rescored"] =
        benchmark::Counter(double(rescored), benchmark::Counter::kAvgIterations);
  }))->Unit(benchmark::kMicrosecond);
}

// Rows [g * rows, (g + 1) * rows) of a table as a table of its own.
simd::ExactSearchTable group_of(simd::ExactSearchTable t, size_t g, size_t rows) {
  const size_t first = g * rows;
  const size_t elem = element_bytes(t.quantized.dtype);
  t.quantized.codes = static_cast<const char*>(t.quantized.codes) + first * t.quantized.dim * elem;
  if (t.quantized.row_scale) t.quantized.row_scale += first;
  t.quantized.norm_term += first;
  t.quantized.n_codes = rows;
  if (t.exact_codes) t.exact_codes += first * t.quantized.dim;
  if (t.quant_error) t.quant_error += first;
  return t;
}

// Decode in the engine: each query scans the next of `groups` different C x d tables, so the
// tables come from memory as they do there (Pythia-410m: 384 groups of 10k x 64 per token).
// f32: the single-query kernel; f16/int8: the exact search. GB/s counts the scanned table only.
void register_groups(simd::Isa isa, simd::DType dtype, const Shape& s, size_t groups, size_t k) {
  const bool exact = dtype != simd::DType::f32;
  const std::string name = std::string(dtype_prefix(dtype)) +
                           (exact ? "_codebook_search_exact__" : "_codebook_search__") +
                           simd::isa_name(isa) + shape_suffix(s, k) + "/groups:" +
                           std::to_string(groups);
  with_min(benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
    const BenchTable& table = bench_table(s.n_codes * groups, s.dim);
    const simd::Kernels& kern = simd::kernels_for(isa);
    simd::ExactSearchTable whole = table.exact(exact ? dtype : simd::DType::int8);
    if (!exact) whole.quantized = table.view(simd::DType::f32);
    std::vector<int32_t> ids(k);
    std::vector<float> scores(k);
    size_t q = 0;
    for (auto _ : state) {
      const simd::ExactSearchTable group = group_of(whole, q % groups, s.n_codes);
      if (exact) {
        simd::codebook_search_exact(kern, group, table.query(q), k, ids.data(), scores.data(),
                                    nullptr);
      } else {
        simd::codebook_search(kern, group.quantized, table.query(q), k, ids.data(),
                              scores.data());
      }
      ++q;
      benchmark::DoNotOptimize(ids.data());
    }
    set_rate_counters(state, double(s.n_codes * s.dim * element_bytes(dtype)),
                      2.0 * double(s.n_codes * s.dim), 1.0);
  }))->Unit(benchmark::kMicrosecond);
}

void register_multi(simd::Isa isa, const Shape& s, size_t k, size_t n_queries) {
  const std::string name = std::string("f32_codebook_search_multi__") + simd::isa_name(isa) +
                           shape_suffix(s, k) + "/T:" + std::to_string(n_queries);
  with_min(benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
    const BenchTable& table = bench_table(s.n_codes, s.dim);
    const simd::Kernels& kern = simd::kernels_for(isa);
    std::vector<float> queries(n_queries * s.dim);
    for (size_t t = 0; t < n_queries; ++t) {
      std::copy_n(table.query(t), s.dim, queries.begin() + t * s.dim);
    }
    std::vector<int32_t> ids(n_queries * k);
    std::vector<float> scores(n_queries * k);
    for (auto _ : state) {
      kern.f32_codebook_search_multi(table.view(simd::DType::f32), queries.data(), n_queries,
                                     s.dim, k, ids.data(), scores.data());
      benchmark::DoNotOptimize(ids.data());
    }
    // Bytes: one logical table pass per query (what the single-query kernel would stream).
    set_rate_counters(state, double(s.n_codes * s.dim * 4), 2.0 * double(s.n_codes * s.dim),
                      double(n_queries));
    state.counters["queries/s"] = benchmark::Counter(
        double(n_queries) * double(state.iterations()), benchmark::Counter::kIsRate);
  }))->Unit(benchmark::kMillisecond);
}

#if defined(CBK_BENCH_WITH_FAISS)
const faiss::IndexFlatIP& faiss_index(const Shape& s) {
  static std::map<std::pair<size_t, size_t>, std::unique_ptr<faiss::IndexFlatIP>> indexes;
  auto& slot = indexes[{s.n_codes, s.dim}];
  if (!slot) {
    const BenchTable& table = bench_table(s.n_codes, s.dim);
    std::vector<float> normalised(table.codes.size());
    for (size_t j = 0; j < s.n_codes; ++j) {
      for (size_t i = 0; i < s.dim; ++i) {
        normalised[j * s.dim + i] = table.codes[j * s.dim + i] * table.norm_term[j];
      }
    }
    slot = std::make_unique<faiss::IndexFlatIP>(static_cast<int>(s.dim));
    slot->add(static_cast<faiss::Index::idx_t>(s.n_codes), normalised.data());
  }
  return *slot;
}

void register_faiss(const Shape& s, size_t k) {
  const std::string name = "faiss_IndexFlatIP_nq1" + shape_suffix(s, k);
  benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
    const BenchTable& table = bench_table(s.n_codes, s.dim);
    const faiss::IndexFlatIP& index = faiss_index(s);
    std::vector<faiss::Index::idx_t> labels(k);
    std::vector<float> distances(k);
    size_t q = 0;
    for (auto _ : state) {
      index.search(1, table.query(q++), static_cast<faiss::Index::idx_t>(k), distances.data(),
                   labels.data());
      benchmark::DoNotOptimize(labels.data());
    }
    set_rate_counters(state, double(s.n_codes * s.dim * 4), 2.0 * double(s.n_codes * s.dim), 1.0);
  })->Unit(benchmark::kMicrosecond);
}
#endif

}  // namespace

void register_search_benchmarks() {
  std::vector<simd::Isa> isas;
  for (int i = 0; i < simd::kIsaCount; ++i) {
    if (simd::isa_supported(simd::Isa(i))) isas.push_back(simd::Isa(i));
  }
  const simd::Isa best = simd::detect_best_isa();
  for (const Shape& s : kShapes) {
    for (size_t k : kTopK) {
      for (simd::Isa isa : isas) register_single(isa, simd::DType::f32, s, k);
#if defined(CBK_BENCH_WITH_FAISS)
      register_faiss(s, k);
#endif
    }
    for (simd::Isa isa : isas) {
      if (isa == simd::Isa::scalar) continue;
      for (simd::DType dtype : {simd::DType::f16, simd::DType::int8}) {
        register_single(isa, dtype, s, 8);
        register_exact(isa, dtype, s, 8);
      }
    }
    register_exact(best, simd::DType::int8, s, 1);
    register_exact(best, simd::DType::int8, s, 64);
    register_multi(best, s, 8, 64);
  }
  for (const Shape& s : kHeadShapes) {
    for (size_t k : kTopK) {
      for (simd::Isa isa : isas) register_single(isa, simd::DType::f32, s, k);
    }
  }
  for (const Shape& s : kPrefillShapes) {
    for (simd::Isa isa : isas) register_multi(isa, s, 8, 64);
    register_single(best, simd::DType::f32, s, 8);
  }
  for (const Shape& s : kDecodeShapes) {  // the f32 single-query one is a prefill entry above
    for (simd::DType dtype : {simd::DType::f16, simd::DType::int8}) {
      register_exact(best, dtype, s, 8);
    }
    for (simd::DType dtype : {simd::DType::f32, simd::DType::f16, simd::DType::int8}) {
      register_groups(best, dtype, s, kDecodeGroups, 8);
    }
  }
}

}  // namespace cbk::bench
