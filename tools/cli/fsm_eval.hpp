// `cbk fsm-eval` internals: the evaluations that run the model (fsm_eval_run.cpp, on cbk.h) and their
// results, which fsm_eval.cpp prints as text or JSON. Statistics: fsm_eval_metrics.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bindings/c/include/cbk.h"
#include "tools/cli/fsm_eval_metrics.hpp"
#include "tools/cli/session_pool.hpp"

namespace cbk::cli::fsm {

// A failed C API call: its status and message (taken on the thread that made the call).
using Error = cbk::cli::ApiError;

struct EvalOptions {
  std::size_t sequences = 2048;      // LM eval: fresh sequences from the FSM
  std::size_t code_sequences = 512;  // the first N of those also feed the state-code statistics
  std::size_t samples = 100;         // sequences sampled from the model (state accuracy)
  std::size_t pairs = 500;           // steering (a, b) pairs
  std::uint64_t seed = 0;
  unsigned threads = 2;
  bool progress = false;             // progress lines on stderr
};

struct LmResult {
  double loss = 0.0, accuracy = 0.0;
  std::size_t tokens = 0;            // predicted tokens
};

struct LayerCodes {
  std::uint32_t layer = 0;
  std::size_t codebook = 0;          // index into the model's codebooks
  std::size_t codes_used = 0;
  std::size_t states_seen = 0;       // states with at least one position (the means run over these)
  double mean_precision = 0.0, mean_recall = 0.0, mean_neuron_precision = 0.0;
  std::size_t states_beating_neuron = 0;
  std::vector<BestCode> best;        // [states]
  std::vector<NeuronResult> neuron;  // [states], at each best code's recall
  std::vector<CodeSummary> codes;    // every code that fired
};

struct CodesResult {
  std::size_t positions = 0;         // second-digit positions observed
  std::vector<LayerCodes> layers;    // one per MLP codebook (vanilla, one group)
  int best_layer = -1;               // index into layers: highest mean best-code precision
};

// One steering condition over all pairs (means).
struct SteerScore {
  double success = 0.0;              // the sampled next state is a successor of b
  double success_expected = 0.0;     // P(next state in successors(b))
  double jsd = 0.0;                  // normalised JSD(next-state distribution, b's row), in bits
};

// One of the paper's Figure 4 patching conditions: next-token JSD to b's own run at a's second digit.
struct PatchJsd {
  std::string name;                  // none, l0_attn, l1_mlp, all_attn, all_mlp, all_attn_mlp
  double jsd = 0.0;                  // mean JSD in bits
  double relative = 0.0;             // jsd / the largest condition's (the figure's normalisation)
};

struct SteerResult {
  std::size_t pairs = 0;
  std::vector<std::uint32_t> forced_layers;
  SteerScore forced;                 // b's best state code forced in every MLP codebook at a's second digit
  SteerScore interchange;            // b's own MLP codes at a1, a2 and the next token (donor runs)
  SteerScore unsteered;              // the same prompts, no intervention
  std::vector<PatchJsd> figure4;
};

struct EvalResult {
  std::size_t seq_len = 0;
  LmResult lm;
  TransitionAccuracy sampled;        // state accuracy of sequences sampled from BOS
  double first_transition = 0.0;
  bool has_codes = false, has_steering = false;
  CodesResult codes;
  SteerResult steer;
};

// The FSM from the model's "fsm.transitions" extra; prints "cbk VERB: why" and returns false if the
// model has none or it is unusable. (fsm_eval.cpp)
bool read_fsm_extra(const cbk_model* model, const std::string& path, const char* verb, Fsm* f);

// Runs every evaluation on sessions of `model`. Errors come from the C API (out_of_memory, ...).
Error evaluate(const cbk_model* model, const Fsm& fsm, const EvalOptions& opt, EvalResult* out);

}  // namespace cbk::cli::fsm
