// `cbk bench MODEL`: prefill and decode throughput on a synthetic prompt (token ids cycling through
// the vocabulary, so no tokenizer is needed), best of --runs repetitions.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "tools/cli/api_util.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/json_writer.hpp"
#include "tools/cli/progress.hpp"

namespace cbk::cli {
namespace {

constexpr const char* kBenchUsage =
    "usage: cbk bench MODEL.cbk [--prompt N] [--decode N] [--runs R] [--threads N] [--no-mmap] [--json]\n"
    "  --prompt N   prompt tokens (default: min(128, half the context))\n"
    "  --decode N   greedy decode steps after the prompt (default 32, or what the context leaves)\n"
    "  --runs R     repetitions; the best is reported (default 3)\n"
    "  --threads N  threads per session (default 1)\n"
    "  --no-mmap    read the model into memory (huge pages: faster decode of large models)\n"
    "  --json       one JSON object on stdout\n";

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int run_bench(const std::vector<std::string>& args) {
  std::string path;
  bool json = false;
  long long prompt = 0, decode = -1, runs = 3;  // decode -1: 32, or what the context leaves
  std::uint32_t threads = 1;
  bool no_mmap = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool has_value = i + 1 < args.size();
    if (arg == "-h" || arg == "--help") { std::fputs(kBenchUsage, stdout); return kExitOk; }
    else if (arg == "--json") json = true;
    else if (arg == "--no-mmap") no_mmap = true;
    else if (arg == "--prompt") { if (!has_value || !parse_count(args[++i], 1, 1ll << 31, &prompt)) return usage_error("bench", "--prompt needs an integer >= 1", kBenchUsage); }
    else if (arg == "--decode") { if (!has_value || !parse_count(args[++i], 0, 1ll << 31, &decode)) return usage_error("bench", "--decode needs an integer >= 0", kBenchUsage); }
    else if (arg == "--threads") { if (!has_value || !parse_threads(args[++i], &threads)) return usage_error("bench", kThreadsError, kBenchUsage); }
    else if (arg == "--runs") { if (!has_value || !parse_count(args[++i], 1, 1000, &runs)) return usage_error("bench", "--runs needs an integer in [1, 1000]", kBenchUsage); }
    else if (!arg.empty() && arg[0] == '-') return usage_error("bench", "unknown option '" + arg + "'", kBenchUsage);
    else if (path.empty()) path = arg;
    else return usage_error("bench", "only one model file, got '" + arg + "' too", kBenchUsage);
  }
  if (path.empty()) return usage_error("bench", "missing MODEL.cbk", kBenchUsage);

  cbk_status st = CBK_STATUS_OK;
  const cbk_model_params params = model_params(no_mmap);
  model_ptr model = load_model(path.c_str(), &params, &st);
  if (!model) return api_failure("bench", st);
  cbk_architecture arch = sized<cbk_architecture>();
  cbk_model_architecture(model.get(), &arch);
  const std::size_t ctx = arch.max_positions;
  const std::size_t n_prompt = prompt > 0 ? static_cast<std::size_t>(prompt) : std::min<std::size_t>(128, std::max<std::size_t>(1, ctx / 2));
  if (decode < 0) decode = static_cast<long long>(std::min<std::size_t>(32, ctx > n_prompt ? ctx - n_prompt : 0));
  if (n_prompt + static_cast<std::size_t>(decode) > ctx)
    return usage_error("bench", "--prompt + --decode exceed the context of " + std::to_string(ctx), kBenchUsage);
  std::vector<std::int32_t> tokens(n_prompt);
  for (std::size_t i = 0; i < n_prompt; ++i) tokens[i] = static_cast<std::int32_t>((i * 7 + 1) % arch.vocab_size);

  cbk_session_params sp = cbk_session_default_params();
  sp.n_threads = threads;
  session_ptr session = create_session(model.get(), &sp, &st);
  if (!session) return api_failure("bench", st);
  cbk_sampling_params greedy = cbk_sampling_default_params();
  greedy.temperature = 0.0f;
  double best_prefill = 1e300, best_decode = 1e300;
  Progress progress("cbk bench", static_cast<std::size_t>(runs));
  for (long long r = 0; r < runs; ++r) {
    cbk_session* s = session.get();
    if ((st = cbk_session_reset(s))) return api_failure("bench", st);
    auto t0 = std::chrono::steady_clock::now();
    if ((st = cbk_session_prefill(s, tokens.data(), tokens.size()))) return api_failure("bench", st);
    best_prefill = std::min(best_prefill, seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    for (long long i = 0; i < decode; ++i) {
      std::int32_t next = 0;
      if ((st = cbk_session_sample(s, &greedy, &next)) || (st = cbk_session_decode(s, next))) return api_failure("bench", st);
    }
    best_decode = std::min(best_decode, seconds_since(t0));
    progress.update(static_cast<std::size_t>(r + 1));
  }
  const double prefill_tps = static_cast<double>(n_prompt) / std::max(best_prefill, 1e-9);
  const double decode_tps = decode > 0 ? static_cast<double>(decode) / std::max(best_decode, 1e-9) : 0.0;
  if (json) {
    JsonWriter j;
    j.begin_object().field("model", path).field("prompt_tokens", static_cast<std::uint64_t>(n_prompt))
        .field("decode_tokens", static_cast<std::uint64_t>(decode)).field("runs", static_cast<std::uint64_t>(runs))
        .field("threads", static_cast<std::uint64_t>(threads))
        .field("prefill_seconds", best_prefill).field("prefill_tokens_per_second", prefill_tps)
        .field("decode_seconds", decode > 0 ? best_decode : 0.0).field("decode_tokens_per_second", decode_tps)
        .end_object();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("prefill: %zu tokens in %.4f s = %.1f tokens/s\n", n_prompt, best_prefill, prefill_tps);
    std::printf("decode:  %lld tokens in %.4f s = %.1f tokens/s\n", decode, decode > 0 ? best_decode : 0.0, decode_tps);
  }
  return kExitOk;
}

}  // namespace cbk::cli
