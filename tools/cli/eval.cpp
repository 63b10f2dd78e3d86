// `cbk eval MODEL FILE`: next-token loss and accuracy over a corpus, in independent windows of the
// context length (each window predicts its tokens 1..n-1 from their prefixes, in one batched pass
// through cbk_session_prefill_logits).
#include <cmath>
#include <cstdio>

#include "tools/cli/api_util.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/corpus.hpp"
#include "tools/cli/json_writer.hpp"
#include "tools/cli/progress.hpp"
#include "tools/cli/sampling.hpp"
#include "tools/cli/steering_flags.hpp"

namespace cbk::cli {
namespace {

constexpr const char* kEvalUsage =
    "usage: cbk eval MODEL.cbk FILE [--ids] [--context N] [--bypass LAYER:SITE[:GROUP]]... [--threads N]\n"
    "                [--no-mmap] [--json]\n"
    "  Mean next-token loss (nats), perplexity and top-1 accuracy over FILE, run in windows\n"
    "  of the context length.\n"
    "  --ids         FILE holds token ids (whitespace or comma separated), not text\n"
    "  --context N   window length (default: the model's context)\n"
    "  --bypass LAYER:SITE[:GROUP]  run without that codebook (repeatable; as in `cbk generate`):\n"
    "                the figures of the weights without their codebooks, e.g. --bypass 0:attn_preproj\n"
    "  --threads N   threads per session (default 1; results are identical for any N)\n"
    "  --no-mmap     read the model into memory (huge pages: faster on large models)\n"
    "  --json        one JSON object on stdout\n";

}  // namespace

int run_eval(const std::vector<std::string>& args) {
  std::vector<std::string> pos;
  bool ids = false, json = false, no_mmap = false;
  long long context = 0;
  std::uint32_t threads = 1;
  std::vector<SteerFlag> bypass;
  std::string error;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") { std::fputs(kEvalUsage, stdout); return kExitOk; }
    else if (arg == "--ids") ids = true;
    else if (arg == "--json") json = true;
    else if (arg == "--no-mmap") no_mmap = true;
    else if (arg == "--context") {
      if (i + 1 >= args.size() || !parse_count(args[++i], 2, 1ll << 31, &context))
        return usage_error("eval", "--context needs an integer >= 2", kEvalUsage);
    } else if (arg == "--threads") {
      if (i + 1 >= args.size() || !parse_threads(args[++i], &threads))
        return usage_error("eval", kThreadsError, kEvalUsage);
    } else if (arg == "--bypass") {
      if (i + 1 >= args.size()) return usage_error("eval", "--bypass needs LAYER:SITE[:GROUP]", kEvalUsage);
      if (!parse_bypass_flag(args[++i], &bypass, &error)) return usage_error("eval", error, kEvalUsage);
    } else if (!arg.empty() && arg[0] == '-') return usage_error("eval", "unknown option '" + arg + "'", kEvalUsage);
    else pos.push_back(arg);
  }
  if (pos.size() != 2) return usage_error("eval", "expected MODEL.cbk and FILE", kEvalUsage);

  cbk_status st = CBK_STATUS_OK;
  const cbk_model_params params = model_params(no_mmap);
  model_ptr model = load_model(pos[0].c_str(), &params, &st);
  if (!model) return api_failure("eval", st);
  Corpus corpus;
  std::size_t ctx = 0;
  if (!context_size(model.get(), context, &ctx, &error)) return usage_error("eval", error, kEvalUsage);
  if (!load_corpus(model.get(), pos[1], ids, &corpus, &error)) return failure("eval", error);

  cbk_session_params sp = cbk_session_default_params();
  sp.max_context = static_cast<std::uint32_t>(ctx);
  sp.n_threads = threads;
  session_ptr session = create_session(model.get(), &sp, &st);
  if (!session) return api_failure("eval", st);
  if ((st = apply_steering(session.get(), bypass))) return api_failure("eval", st);  // kept across resets
  cbk_architecture arch = sized<cbk_architecture>();
  cbk_model_architecture(model.get(), &arch);
  const std::size_t vocab = arch.vocab_size;

  double nll = 0.0;
  std::size_t predictions = 0, correct = 0;
  std::vector<float> logits(ctx * vocab);
  const auto ws = windows(corpus.tokens.size(), ctx);
  Progress progress("cbk eval", ws.size());
  for (std::size_t w = 0; w < ws.size(); ++w) {
    const std::int32_t* t = corpus.tokens.data() + ws[w].first;
    const std::size_t n = ws[w].second - ws[w].first;
    if ((st = cbk_session_reset(session.get())) ||
        (st = cbk_session_prefill_logits(session.get(), t, n, logits.data(), logits.size())))
      return api_failure("eval", st);
    for (std::size_t i = 0; i + 1 < n; ++i) {
      const float* row = logits.data() + i * vocab;
      std::size_t best = 0;
      nll += token_nll(row, vocab, t[i + 1], &best);
      correct += best == static_cast<std::size_t>(t[i + 1]);
      ++predictions;
    }
    progress.update(w + 1);
  }
  if (predictions == 0) return failure("eval", "invalid_argument: the corpus needs at least 2 tokens per window");
  const double loss = nll / static_cast<double>(predictions);
  const double accuracy = static_cast<double>(correct) / static_cast<double>(predictions);
  if (json) {
    JsonWriter j;
    j.begin_object().field("model", pos[0]).field("file", pos[1])
        .field("tokens", static_cast<std::uint64_t>(corpus.tokens.size()))
        .field("context", static_cast<std::uint64_t>(ctx)).field("windows", static_cast<std::uint64_t>(ws.size()))
        .field("predictions", static_cast<std::uint64_t>(predictions)).field("loss", loss)
        .field("perplexity", std::exp(loss)).field("accuracy", accuracy)
        .field("correct", static_cast<std::uint64_t>(correct)).end_object();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("%zu tokens in %zu windows of %zu: loss %.4f nats, perplexity %.3f, accuracy %.2f%% (%zu/%zu)\n",
                corpus.tokens.size(), ws.size(), ctx, loss, std::exp(loss), 100.0 * accuracy, correct, predictions);
  }
  return kExitOk;
}

}  // namespace cbk::cli
