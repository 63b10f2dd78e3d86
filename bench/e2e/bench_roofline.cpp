// Decode as a stream over the weights: for each model file, count the bytes one decoded token must
// read (every weight matrix and bias, the LM head, each codebook's scanned table with its per-code
// terms, the LayerNorms and the KV cache up to that position) and compare bytes x tokens/s with the
// single-thread streaming-read bandwidth measured in the same run.
//
//   bench_roofline [--reps N] [--tokens N] LABEL=MODEL.cbk...
//
// Time is thread CPU time (as the kernel benchmarks and their streaming-read figure use), the decode
// rate the median of N repetitions of T tokens after a 16-token prompt, and the stream the median of
// passes over a 512 MiB buffer interleaved with the models. Not counted: the f32 rows an exact
// quantized search rescores (a few per query: see bench/README.md), the k gathered code rows and the
// embedding row, all small next to the tables.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/kernels/machine_peaks.hpp"
#include "runtime/engine/prepared_model.hpp"
#include "runtime/engine/session.hpp"
#include "runtime/loader/load_model.hpp"

namespace {

double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double weight_bytes(const cbk::PreparedLinear& l) {
  const cbk::simd::WeightView& w = l.w;
  double b = double(w.out_features) * double(w.in_features) * double(cbk::simd::dtype_bytes(w.dtype));
  if (w.dtype == cbk::simd::DType::int8) b += 4.0 * double(w.out_features);
  if (l.bias != nullptr) b += 4.0 * double(w.out_features);
  return b;
}

double table_bytes(const cbk::simd::CodebookView& t) {
  double b = double(t.n_codes) * double(t.dim) * double(cbk::simd::dtype_bytes(t.dtype)) + 4.0 * double(t.n_codes);
  if (t.dtype == cbk::simd::DType::int8) b += 4.0 * double(t.n_codes);  // row scales
  return b;
}

struct TokenBytes {
  double weights = 0;    // base model: blocks, norms, LM head
  double codebooks = 0;  // scanned tables + per-code terms + codebook LayerNorms
  double kv_per_position = 0;  // K and V of one position, all layers
};

TokenBytes bytes_per_token(const cbk::PreparedModel& pm) {
  const cbk::Architecture& a = pm.arch();
  TokenBytes t;
  for (const cbk::PreparedLayer& l : pm.layers())
    t.weights += weight_bytes(l.qkv) + weight_bytes(l.out) + weight_bytes(l.up) + weight_bytes(l.down) +
                 4.0 * 4.0 * double(a.d_model);  // ln1, ln2 weight and bias
  t.weights += weight_bytes(pm.lm_head()) + 2.0 * 4.0 * double(a.d_model);
  for (const cbk::PreparedCodebook& cb : pm.codebooks())
    for (const cbk::PreparedGroup& g : cb.group) {
      t.codebooks += 2.0 * 4.0 * double(cb.dim);
      // An exact quantized group scans the quantized table, the f32 norms and the error bounds.
      t.codebooks += g.search_exact ? table_bytes(g.exact.quantized) + 4.0 * double(cb.codes) : table_bytes(g.book);
    }
  t.kv_per_position = 2.0 * double(a.n_layers) * double(a.d_model) * 4.0;
  return t;
}

// Streaming-read bandwidth of one thread over 512 MiB: the better of one sequential pass and 8
// concurrent streams (the GEMV reads several weight rows at once, so it has more misses in flight
// than a single pass; the ceiling must not be lower than what the engine itself reaches).
double stream_bytes_per_s() {
  constexpr std::size_t kFloats = std::size_t(512) << 20 >> 2;
  static std::vector<float> buffer(kFloats, 1.0f);
  const cbk::simd::Isa best = cbk::simd::detect_best_isa();
  double best_rate = 0, sum = 0;
  for (int way = 0; way < 2; ++way) {
    const double start = thread_seconds();
#if defined(CBK_BENCH_X86_PEAKS)
    if (best == cbk::simd::Isa::avx512)
      sum += way ? cbk::bench::stream_read_sum_8way_avx512(buffer.data(), kFloats)
                 : cbk::bench::stream_read_sum_avx512(buffer.data(), kFloats);
    else if (best == cbk::simd::Isa::avx2)
      sum += way ? cbk::bench::stream_read_sum_8way_avx2(buffer.data(), kFloats)
                 : cbk::bench::stream_read_sum_avx2(buffer.data(), kFloats);
    else
#endif
      sum += cbk::bench::stream_read_sum_scalar(buffer.data(), kFloats);
    best_rate = std::max(best_rate, double(kFloats) * sizeof(float) / (thread_seconds() - start));
  }
  if (sum < 0) std::puts("");  // keeps the sums alive
  return best_rate;
}

struct Result {
  std::string label;
  TokenBytes bytes;
  double mean_positions = 0;
  double tokens_per_s = 0;
  double stream = 0;
};

bool g_read_files = false;  // --read: read models into memory instead of mapping them

bool run(const std::string& label, const std::string& path, int reps, int tokens, Result* r) {
  std::shared_ptr<const cbk::Model> m;
  cbk::LoadOptions opt;
  opt.verify_data_checksum = false;
  opt.allow_mmap = !g_read_files;
  cbk::Error e = cbk::load_model_file(path, opt, &m);
  std::shared_ptr<const cbk::PreparedModel> pm;
  if (e.ok()) e = cbk::PreparedModel::prepare(m, &pm);
  std::unique_ptr<cbk::Session> s;
  cbk::SessionOptions so;
  so.max_context = 256;
  if (e.ok()) e = cbk::Session::create(pm, so, &s);
  if (!e.ok()) {
    std::fprintf(stderr, "bench_roofline: %s: %s\n", path.c_str(), e.message.c_str());
    return false;
  }
  const std::size_t prompt = 16, vocab = pm->arch().vocab_size;
  std::vector<std::int32_t> ids(prompt + static_cast<std::size_t>(tokens));
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int32_t>((i * 7919 + 13) % vocab);
  std::vector<double> rates, streams;
  for (int rep = -1; rep < reps; ++rep) {  // rep -1 warms the page cache
    s->reset();
    if (!s->prefill(ids.data(), prompt).ok()) return false;
    const double start = thread_seconds();
    for (int i = 0; i < tokens; ++i)
      if (!s->decode(ids[prompt + static_cast<std::size_t>(i)]).ok()) return false;
    const double secs = thread_seconds() - start;
    if (rep < 0) continue;
    rates.push_back(tokens / secs);
    streams.push_back(stream_bytes_per_s());
  }
  r->label = label;
  r->bytes = bytes_per_token(*pm);
  r->mean_positions = double(prompt) + 0.5 * double(tokens + 1);  // keys read per decoded token
  r->tokens_per_s = median(rates);
  r->stream = median(streams);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 5, tokens = 32;
  std::vector<std::pair<std::string, std::string>> models;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--tokens" && i + 1 < argc) {
      tokens = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--read") {
      g_read_files = true;
    } else if (arg.find('=') != std::string::npos) {
      models.emplace_back(arg.substr(0, arg.find('=')), arg.substr(arg.find('=') + 1));
    } else {
      std::fprintf(stderr, "usage: bench_roofline [--reps N] [--tokens N] LABEL=MODEL.cbk...\n");
      return 2;
    }
  }
  if (models.empty()) {
    std::fprintf(stderr, "usage: bench_roofline [--reps N] [--tokens N] LABEL=MODEL.cbk...\n");
    return 2;
  }
  std::printf("isa %s, %d repetitions of %d decoded tokens, thread CPU time, medians\n\n",
              cbk::simd::isa_name(cbk::simd::isa_from_env_or_best()), reps, tokens);
  std::printf("| model | MB/token (weights + codebooks + KV) | tokens/s | GB/s read | stream GB/s | %% of stream | speed vs first |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  double first = 0;
  for (const auto& [label, path] : models) {
    Result r;
    if (!run(label, path, reps, tokens, &r)) return 1;
    const double kv = r.bytes.kv_per_position * r.mean_positions;
    const double total = r.bytes.weights + r.bytes.codebooks + kv;
    const double read = total * r.tokens_per_s;
    if (first == 0) first = r.tokens_per_s;
    std::printf("| %s | %.1f (%.1f + %.1f + %.1f) | %.2f | %.1f | %.1f | %.0f | %.2fx |\n", r.label.c_str(), total / 1e6,
                r.bytes.weights / 1e6, r.bytes.codebooks / 1e6, kv / 1e6, r.tokens_per_s, read / 1e9, r.stream / 1e9,
                100.0 * read / r.stream, r.tokens_per_s / first);
    std::fflush(stdout);
  }
  return 0;
}
