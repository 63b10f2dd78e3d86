// `cbk steer-eval` internals: sampling the baseline and the topic-steered continuations and scoring
// them (steer_eval_run.cpp, on cbk.h); steer_eval.cpp parses the arguments and prints the table or
// JSON. The measurement is the paper's Table 3b (codebook-semantics.md §4.5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bindings/c/include/cbk.h"
#include "tools/cli/session_pool.hpp"
#include "tools/cli/steer_topics.hpp"

namespace cbk::cli::steer {

struct Options {
  std::vector<std::string> prompts;
  std::size_t samples_per_prompt = 10;
  long long new_tokens = 200;
  float temperature = 1.0f;
  std::uint64_t seed = 0;  // sample i (over prompts x samples) uses seed + i, steered or not
  unsigned threads = 2;
};

// One continuation. The scored text is the prompt's text followed by the decoded continuation
// (a final end-of-text token left out), as the tutorial regexes the whole generated string.
struct Sample {
  std::size_t prompt = 0;            // index into Options::prompts
  std::uint64_t seed = 0;
  std::vector<std::int32_t> tokens;  // prompt ids (BOS included when the model adds it) + continuation
  std::size_t n_prompt = 0;
  const char* stop = "length";       // "length", "eos" or "context_full"
  std::string text;                  // valid UTF-8
  double nll = 0.0;                  // summed loss of the continuation's tokens under the unsteered model
  std::size_t loss_tokens = 0;       // continuation tokens scored
  double loss() const { return loss_tokens ? nll / static_cast<double>(loss_tokens) : 0.0; }
};

// conditions[0] = baseline (no steering), conditions[1 + t] = steered toward topics[t]; each holds
// prompts x samples_per_prompt samples, sample i from prompt i / samples_per_prompt.
struct Run {
  std::vector<std::vector<Sample>> conditions;
};

// Token-weighted mean loss of the samples (nats per scored token), and the tokens scored.
double mean_loss(const std::vector<Sample>& samples, std::size_t* tokens);

// Samples and scores every condition. progress: print progress on stderr.
ApiError run(const cbk_model* model, const std::vector<Topic>& topics, const Options& opt, bool progress, Run* out);

}  // namespace cbk::cli::steer
