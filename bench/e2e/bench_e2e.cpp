// End-to-end engine throughput on a Pythia-70m-shaped random codebook model (make_model.py):
// prefill tokens/s (batched: GEMM, multi-query search, prefill attention) and decode tokens/s
// (one token per call, KV cache), each with codebooks on, with tracing on, and with every codebook
// bypassed (the base model alone), so the codebook share of the time is visible; the threads
// argument is SessionOptions::n_threads.
//
//   CBK_E2E_MODEL=path/to/pythia70m-cb.cbk ./bench_e2e [--benchmark_filter=...]
//   CBK_E2E_MODEL=... ./bench_e2e --compare-threads N [--reps R]
// The second form times 1 thread and N threads in alternation (R repetitions of each, default 5)
// and prints their median tokens/s and the ratio, prefill and decode, codebooks on, with the
// process CPU time per token (all threads): on a machine shared with other work the wall-time
// ratio shows the cores the run got, the CPU time what the threads cost.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <cstring>
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

std::unique_ptr<cbk::Session> session(Mode mode, std::uint32_t chunk, std::uint32_t threads = 1) {
  cbk::SessionOptions opt;
  opt.n_threads = threads;
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
  auto s = session(mode, 64, static_cast<std::uint32_t>(state.range(2)));
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
  auto s = session(mode, 64, static_cast<std::uint32_t>(state.range(1)));
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

BENCHMARK(BM_Prefill)->ArgNames({"tokens", "mode", "threads"})->Args({128, codebooks, 1})->Args({128, traced, 1})
    ->Args({128, bypassed, 1})->Args({128, codebooks, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Decode)->ArgNames({"mode", "threads"})->Args({codebooks, 1})->Args({traced, 1})->Args({bypassed, 1})
    ->Args({codebooks, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Process CPU time (all threads).
double cpu_seconds_since(std::clock_t c0) {
  return static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// --compare-threads: 1 thread and `threads` threads in alternation, so both see the same load.
int compare_threads(std::uint32_t threads, int reps) {
  const std::size_t prefill_tokens = 128, decode_prompt = 16, decode_steps = 16;
  const auto ids = prompt(prefill_tokens);
  const std::uint32_t counts[2] = {1, threads};
  std::unique_ptr<cbk::Session> sessions[2] = {session(codebooks, 64, 1), session(codebooks, 64, threads)};
  std::vector<double> prefill_tps[2], decode_tps[2], prefill_cpu[2], decode_cpu[2];  // cpu: s/token
  for (int r = 0; r < reps; ++r) {
    for (int i = 0; i < 2; ++i) {
      cbk::Session& s = *sessions[i];
      s.reset();
      auto t0 = std::chrono::steady_clock::now();
      std::clock_t c0 = std::clock();
      if (!s.prefill(ids.data(), prefill_tokens).ok()) return 1;
      prefill_tps[i].push_back(static_cast<double>(prefill_tokens) / seconds_since(t0));
      prefill_cpu[i].push_back(cpu_seconds_since(c0) / static_cast<double>(prefill_tokens));
      s.reset();
      if (!s.prefill(ids.data(), decode_prompt).ok()) return 1;
      t0 = std::chrono::steady_clock::now();
      c0 = std::clock();
      for (std::size_t k = 0; k < decode_steps; ++k)
        if (!s.decode(ids[decode_prompt + k]).ok()) return 1;
      decode_tps[i].push_back(static_cast<double>(decode_steps) / seconds_since(t0));
      decode_cpu[i].push_back(cpu_seconds_since(c0) / static_cast<double>(decode_steps));
      std::fprintf(stderr, "rep %d, %u threads: prefill %.2f tok/s, decode %.2f tok/s\n", r, counts[i],
                   prefill_tps[i].back(), decode_tps[i].back());
    }
  }
  std::printf("isa %s, %d repetitions, prefill %zu tokens (chunks of 64), decode %zu tokens after %zu\n",
              cbk::simd::isa_name(model()->kernels().isa), reps, prefill_tokens, decode_steps, decode_prompt);
  std::printf("| phase | 1 thread, tokens/s | %u threads, tokens/s | ratio | CPU ms/token, 1 thread | CPU ms/token, "
              "%u threads |\n|---|---|---|---|---|---|\n", threads, threads);
  const double p1 = median(prefill_tps[0]), pn = median(prefill_tps[1]);
  const double d1 = median(decode_tps[0]), dn = median(decode_tps[1]);
  std::printf("| prefill | %.2f | %.2f | %.2f | %.2f | %.2f |\n", p1, pn, pn / p1, 1e3 * median(prefill_cpu[0]),
              1e3 * median(prefill_cpu[1]));
  std::printf("| decode | %.2f | %.2f | %.2f | %.2f | %.2f |\n", d1, dn, dn / d1, 1e3 * median(decode_cpu[0]),
              1e3 * median(decode_cpu[1]));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "--compare-threads") == 0) {
    const long threads = std::strtol(argv[2], nullptr, 10);
    const long reps = argc >= 5 && std::strcmp(argv[3], "--reps") == 0 ? std::strtol(argv[4], nullptr, 10) : 5;
    if (threads < 1 || threads > 256 || reps < 1) {
      std::fprintf(stderr, "usage: bench_e2e --compare-threads N [--reps R]\n");
      return 2;
    }
    return compare_threads(static_cast<std::uint32_t>(threads), static_cast<int>(reps));
  }
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("isa", cbk::simd::isa_name(model()->kernels().isa));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
