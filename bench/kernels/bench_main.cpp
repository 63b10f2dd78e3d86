// cbk_kernel_bench: measures the machine's limits first, prints them, then runs the kernels.
// Usage: cbk_kernel_bench [Google Benchmark flags], e.g. --benchmark_filter=f32_codebook_search
#include <benchmark/benchmark.h>

#include <cstdio>

#include "bench/kernels/bench_registry.hpp"
#include "bench/kernels/machine_peaks.hpp"
#include "simd/simd.hpp"

#if defined(CBK_BENCH_WITH_FAISS)
#include <omp.h>
#endif

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
#if defined(CBK_BENCH_WITH_FAISS)
  omp_set_num_threads(1);  // our kernels are single-threaded: compare like with like
#endif
  const cbk::bench::MachinePeaks& peaks = cbk::bench::machine_peaks();
  std::printf("machine: streaming read %.1f GB/s (1 thread, 512 MiB), FMA peak %.1f GFLOP/s (%s, "
              "1 thread), FMA with one operand from L1 %.1f GFLOP/s; best ISA %s\n",
              peaks.stream_read_bytes_per_s / 1e9, peaks.fma_flops_per_s / 1e9, peaks.fma_isa,
              peaks.load_fma_flops_per_s / 1e9, cbk::simd::isa_name(cbk::simd::detect_best_isa()));
  std::fflush(stdout);
  cbk::bench::register_search_benchmarks();
  cbk::bench::register_ops_benchmarks();
  cbk::bench::register_protonet_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
