#include "bench/kernels/machine_peaks.hpp"

#include <benchmark/benchmark.h>

#include <time.h>

#include <cmath>
#include <vector>

#include "bench/kernels/bench_tables.hpp"
#include "simd/simd.hpp"

namespace cbk::bench {
namespace {

// Process CPU time, like Google Benchmark's default "CPU" column: on this shared machine wall time
// includes other tenants' work, and the percentages must compare like with like.
double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

template <class Fn>
double best_seconds(int repeats, Fn&& fn) {
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const double start = cpu_seconds();
    fn();
    best = std::fmin(best, cpu_seconds() - start);
  }
  return best;
}

MachinePeaks measure() {
  MachinePeaks peaks;
  const simd::Isa best = simd::detect_best_isa();
  constexpr size_t kStreamFloats = size_t(512) << 20 >> 2;  // 512 MiB
  std::vector<float> buffer(kStreamFloats, 1.0f);
  auto stream = [&] {
#if defined(CBK_BENCH_X86_PEAKS)
    if (best == simd::Isa::avx512) return stream_read_sum_avx512(buffer.data(), buffer.size());
    if (best == simd::Isa::avx2) return stream_read_sum_avx2(buffer.data(), buffer.size());
#endif
    return stream_read_sum_scalar(buffer.data(), buffer.size());
  };
  const double stream_s = best_seconds(5, [&] { benchmark::DoNotOptimize(stream()); });
  peaks.stream_read_bytes_per_s = double(kStreamFloats) * sizeof(float) / stream_s;

  constexpr size_t kIterations = 20'000'000;
  double flops = 2.0 * 8 * kIterations;
  auto fma = [&] { benchmark::DoNotOptimize(fma_chains_scalar(kIterations)); };
  double fma_s = 0;
#if defined(CBK_BENCH_X86_PEAKS)
  if (best == simd::Isa::avx512) {
    flops = 2.0 * 16 * 12 * kIterations;
    peaks.fma_isa = "avx512";
    fma_s = best_seconds(5, [&] { benchmark::DoNotOptimize(fma_chains_avx512(kIterations)); });
  } else if (best == simd::Isa::avx2) {
    flops = 2.0 * 8 * 12 * kIterations;
    peaks.fma_isa = "avx2";
    fma_s = best_seconds(5, [&] { benchmark::DoNotOptimize(fma_chains_avx2(kIterations)); });
  }
#endif
  if (fma_s == 0) fma_s = best_seconds(5, fma);
  peaks.fma_flops_per_s = flops / fma_s;

  // 12 KiB (3072 floats = 16 x 12 x 16): in L1 on any x86 of the last decade.
  constexpr size_t kL1Floats = 3072, kPasses = 200'000;
  AlignedVector<float> l1(kL1Floats, 1.0f);  // cache-line aligned, like the kernels' tables
  peaks.load_fma_flops_per_s = peaks.fma_flops_per_s;  // no x86 loop: report the register peak
#if defined(CBK_BENCH_X86_PEAKS)
  double load_s = 0;
  if (best == simd::Isa::avx512) {
    load_s = best_seconds(5, [&] {
      benchmark::DoNotOptimize(load_fma_chains_avx512(l1.data(), kL1Floats, kPasses));
    });
  } else if (best == simd::Isa::avx2) {
    load_s = best_seconds(5, [&] {
      benchmark::DoNotOptimize(load_fma_chains_avx2(l1.data(), kL1Floats, kPasses));
    });
  }
  if (load_s > 0) peaks.load_fma_flops_per_s = 2.0 * kL1Floats * kPasses / load_s;
#endif
  return peaks;
}

}  // namespace

double stream_read_sum_scalar(const float* data, size_t n) {
  double acc[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (size_t j = 0; j < 8; ++j) acc[j] += data[i + j];
  }
  for (; i < n; ++i) acc[0] += data[i];
  double total = 0;
  for (double a : acc) total += a;
  return total;
}

float fma_chains_scalar(size_t iterations) {
  float acc[8];
  for (size_t j = 0; j < 8; ++j) acc[j] = float(j) * 0.001f;
  for (size_t it = 0; it < iterations; ++it) {
    for (float& a : acc) a = std::fma(a, 0.999999f, 1e-7f);
  }
  float total = 0;
  for (float a : acc) total += a;
  return total;
}

const MachinePeaks& machine_peaks() {
  static const MachinePeaks peaks = measure();
  return peaks;
}

}  // namespace cbk::bench
