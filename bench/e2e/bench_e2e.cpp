// End-to-end engine throughput on a Pythia-70m-shaped random codebook model (make_model.py):
// prefill tokens/s (batched: GEMM, multi-query search, prefill attention) and decode tokens/s
// (one token per call, KV cache), each with codebooks on, with tracing on, and with every codebook
// bypassed (the base model alone), so the codebook share of the time is visible.
//
//   CBK_E2E_MODEL=path/to/pythia70m-cb.cbk ./bench_e2e [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "runtime/engine/prepared_model.hpp"
#include "runtime/engine/session.hpp"
#include "runtime/loader/load_model.hpp"

namespace {

std::shared_ptr<const cbk::PreparedModel> model() {
  static std::shared_ptr<const cbk::PreparedModel> pm = [] {
    const char* path = std::getenv("CBK_E2E_MODEL");
    std::shared_ptr<const cbk::Model> m;
    cbk::LoadOptions opt;
    opt.verify_data_checksum = false;
    cbk::Error e = cbk::load_model_file(path ? path : "pythia70m-cb.cbk", opt, &m);
    std::shared_ptr<const cbk::PreparedModel> p;
    if (e.ok()) e = cbk::PreparedModel::prepare(m, &p);
    if (!e.ok()) {
      std::fprintf(stderr, "bench_e2e: %s (set CBK_E2E_MODEL)\n", e.message.c_str());
      std::exit(1);
    }
    return p;
  }();
  return pm;
}

enum Mode { codebooks = 0, traced = 1, bypassed = 2 };

std::unique_ptr<cbk::Session> session(Mode mode, std::uint32_t chunk) {
  cbk::SessionOptions opt;
  opt.trace = mode == traced;
  opt.prefill_chunk = chunk;
  opt.max_context = 1024;
  std::unique_ptr<cbk::Session> s;
  if (!cbk::Session::create(model(), opt, &s).ok()) std::exit(1);
  if (mode == bypassed) {
    cbk::Steering st;
    for (const auto& cb : model()->codebooks()) st.bypass.push_back({cb.layer, cb.site, -1});
    if (!s->set_steering(st).ok()) std::exit(1);
  }
  return s;
}

std::vector<std::int32_t> prompt(std::size_t n) {
  std::vector<std::int32_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<std::int32_t>((i * 7919 + 13) % 50304);
  return ids;
}

void BM_Prefill(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto mode = static_cast<Mode>(state.range(1));
  auto s = session(mode, 64);
  const auto ids = prompt(n);
  for (auto _ : state) {
    s->reset();
    if (!s->prefill(ids.data(), n).ok()) state.SkipWithError("prefill failed");
    benchmark::DoNotOptimize(s->logits());
  }
  state.counters["tok/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Decode(benchmark::State& state) {
  const std::size_t steps = 32;
  const auto mode = static_cast<Mode>(state.range(0));
  auto s = session(mode, 64);
  const auto ids = prompt(16 + steps);
  for (auto _ : state) {
    state.PauseTiming();
    s->reset();
    if (!s->prefill(ids.data(), 16).ok()) state.SkipWithError("prefill failed");
    state.ResumeTiming();
    for (std::size_t i = 0; i < steps; ++i)
      if (!s->decode(ids[16 + i]).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(s->logits());
  }
  state.counters["tok/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_Prefill)->ArgNames({"tokens", "mode"})->Args({128, codebooks})->Args({128, traced})
    ->Args({128, bypassed})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Decode)->ArgNames({"mode"})->Arg(codebooks)->Arg(traced)->Arg(bypassed)
    ->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("isa", cbk::simd::isa_name(model()->kernels().isa));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
