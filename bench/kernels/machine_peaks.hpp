// The machine's limits, measured by the benchmark binary itself so that every kernel figure can be
// given as a percentage of them: single-thread streaming-read bandwidth, register-only FMA peak,
// and the FMA rate when every FMA loads one operand from L1 (the ceiling of an in-cache GEMV).
#pragma once

#include <cstddef>

namespace cbk::bench {

struct MachinePeaks {
  // Both are best-of-5 in process CPU time (the unit of the benchmarks' rate counters).
  double stream_read_bytes_per_s = 0;  // passes over a 512 MiB buffer
  double fma_flops_per_s = 0;          // best ISA, independent FMA chains, no memory operands
  // Same ISA, one operand of every FMA loaded from an L1-resident buffer: what a single-query
  // search (one code element per FMA) can reach at best even with its table in L1.
  double load_fma_flops_per_s = 0;
  const char* fma_isa = "scalar";
};

// Measured once (about a second); later calls return the same figures.
const MachinePeaks& machine_peaks();

// Per-ISA loops (peaks_*.cpp); sum/result returned so the work cannot be optimized away.
double stream_read_sum_scalar(const float* data, size_t n);
float fma_chains_scalar(size_t iterations);  // 2 * 8 * iterations flops
#if defined(CBK_BENCH_X86_PEAKS)
double stream_read_sum_avx512(const float* data, size_t n);
// The same bytes as 8 concurrent streams (8 equal regions read side by side; n a multiple of 8 * lanes).
double stream_read_sum_8way_avx512(const float* data, size_t n);
double stream_read_sum_8way_avx2(const float* data, size_t n);
float fma_chains_avx512(size_t iterations);  // 2 * 16 * 12 * iterations flops
double stream_read_sum_avx2(const float* data, size_t n);
float fma_chains_avx2(size_t iterations);    // 2 * 8 * 12 * iterations flops
// 2 * n * passes flops (n a multiple of 12 * lanes).
float load_fma_chains_avx512(const float* data, size_t n, size_t passes);
float load_fma_chains_avx2(const float* data, size_t n, size_t passes);
#endif

}  // namespace cbk::bench
