// Microbenchmarks of the other kernels of the list at GPT-2-small-like shapes, every ISA.
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

#include "bench/kernels/bench_registry.hpp"
#include "bench/kernels/bench_tables.hpp"
#include "simd/prepare.hpp"

namespace cbk::bench {
namespace {

constexpr size_t kModel = 768, kHidden = 3072;

template <class Body>
void add(const std::string& name, simd::Isa isa, Body body) {
  benchmark::RegisterBenchmark((name + "__" + simd::isa_name(isa)).c_str(),
                               [=](benchmark::State& state) { body(state, simd::kernels_for(isa)); })
      ->Unit(benchmark::kMicrosecond);
}

void register_for(simd::Isa isa) {
  for (simd::DType dtype : {simd::DType::f32, simd::DType::f16, simd::DType::int8}) {
    const char* prefix = dtype == simd::DType::f32 ? "f32" : (dtype == simd::DType::f16 ? "f16" : "q8");
    add(std::string(prefix) + "_linear_gemv/out:3072/in:768", isa,
        [dtype](benchmark::State& state, const simd::Kernels& kern) {
          const BenchTable& w = bench_table(kHidden, kModel);
          simd::WeightView view{w.view(dtype).codes, dtype, w.scale_q8.data(), kHidden, kModel};
          std::vector<float> y(kHidden);
          for (auto _ : state) {
            simd::linear_gemv(kern, view, w.norm_term.data(), w.query(0), y.data());
            benchmark::DoNotOptimize(y.data());
          }
          const double bytes = double(kHidden * kModel) * (dtype == simd::DType::f32 ? 4 : dtype == simd::DType::f16 ? 2 : 1);
          state.counters["GB/s"] = benchmark::Counter(bytes * double(state.iterations()) / 1e9,
                                                      benchmark::Counter::kIsRate);
        });
  }
  add("f32_linear_gemm/out:3072/in:768/rows:64", isa,
      [](benchmark::State& state, const simd::Kernels& kern) {
        const BenchTable& w = bench_table(kHidden, kModel);
        simd::WeightView view{w.codes.data(), simd::DType::f32, nullptr, kHidden, kModel};
        std::vector<float> y(64 * kHidden);
        for (auto _ : state) {
          kern.f32_linear_gemm(view, nullptr, w.queries.data(), 64, kModel, y.data(), kHidden);
          benchmark::DoNotOptimize(y.data());
        }
        state.counters["GFLOP/s"] = benchmark::Counter(
            2.0 * 64 * kHidden * kModel * double(state.iterations()) / 1e9,
            benchmark::Counter::kIsRate);
      });
  add("f32_gather_mean/C:16384/d:1024/slots:8", isa,
      [](benchmark::State& state, const simd::Kernels& kern) {
        const BenchTable& t = bench_table(16384, 1024);
        const int32_t ids[8] = {5, 900, 16000, -1, 77, 3000, 12, 8191};
        std::vector<float> out(1024);
        for (auto _ : state) {
          kern.f32_gather_mean(t.view(simd::DType::f32), ids, 8, nullptr, out.data());
          benchmark::DoNotOptimize(out.data());
        }
      });
  add("f32_layernorm/n:768", isa, [](benchmark::State& state, const simd::Kernels& kern) {
    const AlignedVector<float> x = bench_random(kModel, 1), g = bench_random(kModel, 2);
    std::vector<float> out(kModel);
    for (auto _ : state) {
      kern.f32_layernorm(x.data(), g.data(), g.data(), kModel, 1e-5f, out.data());
      benchmark::DoNotOptimize(out.data());
    }
  });
  add("f32_softmax/n:1024", isa, [](benchmark::State& state, const simd::Kernels& kern) {
    const AlignedVector<float> x = bench_random(1024, 3);
    std::vector<float> work(1024);
    for (auto _ : state) {
      work.assign(x.begin(), x.end());
      kern.f32_softmax(work.data(), work.size());
      benchmark::DoNotOptimize(work.data());
    }
  });
  add("f32_gelu_tanh/n:3072", isa, [](benchmark::State& state, const simd::Kernels& kern) {
    const AlignedVector<float> x = bench_random(kHidden, 4);
    std::vector<float> out(kHidden);
    for (auto _ : state) {
      kern.f32_gelu_tanh(x.data(), out.data(), kHidden);
      benchmark::DoNotOptimize(out.data());
    }
  });
  add("f32_attention_decode/heads:12/hd:64/ctx:1024", isa,
      [](benchmark::State& state, const simd::Kernels& kern) {
        simd::AttentionShape shape;
        shape.n_heads = 12;
        shape.head_dim = 64;
        shape.kv_stride = kModel;
        shape.scale = 0.125f;
        const AlignedVector<float> k = bench_random(1024 * kModel, 5), v = bench_random(1024 * kModel, 6);
        const AlignedVector<float> q = bench_random(kModel, 7);
        std::vector<float> scratch(1024), out(kModel);
        for (auto _ : state) {
          kern.f32_attention_decode(shape, q.data(), k.data(), v.data(), 1023, scratch.data(),
                                    out.data());
          benchmark::DoNotOptimize(out.data());
        }
      });
}

}  // namespace

void register_ops_benchmarks() {
  for (int i = 0; i < simd::kIsaCount; ++i) {
    if (simd::isa_supported(simd::Isa(i))) register_for(simd::Isa(i));
  }
}

}  // namespace cbk::bench
