// Microbenchmarks of the prototype-network kernels (issue 17) at the Fashion-MNIST model's shapes,
// every ISA: the encoder's heaviest conv, the decoder's heaviest transposed conv, the full distance
// mode over 15 prototypes of 40 dims, and sigmoid over a 28x28 image.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/kernels/bench_registry.hpp"
#include "bench/kernels/bench_tables.hpp"

namespace cbk::bench {
namespace {

template <class Body>
void add(const std::string& name, simd::Isa isa, Body body) {
  benchmark::RegisterBenchmark((name + "__" + simd::isa_name(isa)).c_str(),
                               [=](benchmark::State& state) { body(state, simd::kernels_for(isa)); })
      ->Unit(benchmark::kMicrosecond);
}

simd::ConvShape shape(size_t cin, size_t hin, size_t cout, size_t hout) {
  simd::ConvShape s;
  s.in_channels = cin;
  s.in_height = s.in_width = hin;
  s.out_channels = cout;
  s.out_height = s.out_width = hout;
  s.kernel = 3;
  s.stride = 2;
  s.padding = 1;
  return s;
}

void add_conv(const std::string& name, simd::Isa isa, simd::ConvShape s, bool transposed) {
  add(name, isa, [s, transposed](benchmark::State& state, const simd::Kernels& kern) {
    const AlignedVector<float> in = bench_random(s.in_channels * s.in_height * s.in_width, 1);
    const AlignedVector<float> w = bench_random(s.in_channels * s.out_channels * 9, 2);
    const AlignedVector<float> b = bench_random(s.out_channels, 3);
    std::vector<float> scratch(transposed ? simd::conv_transpose2d_scratch_floats(s)
                                          : simd::conv2d_scratch_floats(s));
    std::vector<float> out(s.out_channels * s.out_height * s.out_width);
    const simd::ConvFn fn = transposed ? kern.f32_conv_transpose2d : kern.f32_conv2d;
    for (auto _ : state) {
      fn(s, w.data(), b.data(), in.data(), scratch.data(), out.data());
      benchmark::DoNotOptimize(out.data());
    }
    const size_t macs = transposed ? s.in_height * s.in_width * s.in_channels * s.out_channels * 9
                                   : s.out_height * s.out_width * s.in_channels * s.out_channels * 9;
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(macs) * double(state.iterations()) / 1e9,
                                                   benchmark::Counter::kIsRate);
  });
}

void register_for(simd::Isa isa) {
  add_conv("f32_conv2d/in:32x14x14/out:32x7x7", isa, shape(32, 14, 32, 7), false);
  add_conv("f32_conv_transpose2d/in:32x7x7/out:32x14x14", isa, shape(32, 7, 32, 14), true);
  add("f32_codebook_distances/m:15/d:40/k:3", isa,
      [](benchmark::State& state, const simd::Kernels& kern) {
        const AlignedVector<float> protos = bench_random(15 * 40, 4), z = bench_random(40, 5);
        simd::CodebookView book;
        book.codes = protos.data();
        book.n_codes = 15;
        book.dim = 40;
        book.metric = simd::Metric::euclidean;
        float dist[15];
        int32_t ids[3];
        for (auto _ : state) {
          kern.f32_codebook_distances(book, z.data(), dist, 3, ids);
          benchmark::DoNotOptimize(dist);
        }
      });
  add("f32_sigmoid/n:784", isa, [](benchmark::State& state, const simd::Kernels& kern) {
    const AlignedVector<float> x = bench_random(784, 6);
    std::vector<float> out(784);
    for (auto _ : state) {
      kern.f32_sigmoid(x.data(), out.data(), 784);
      benchmark::DoNotOptimize(out.data());
    }
  });
}

}  // namespace

void register_protonet_benchmarks() {
  for (int i = 0; i < simd::kIsaCount; ++i) {
    if (simd::isa_supported(simd::Isa(i))) register_for(simd::Isa(i));
  }
}

}  // namespace cbk::bench
