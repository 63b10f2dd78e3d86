// The TokFSM task and the statistics `cbk fsm-eval` reports, free of the engine so that each
// piece can be checked by hand (tests/cli/test_fsm_metrics.cpp). Definitions follow the Python
// reference (tools/python/cbk_reference/fsm.py, semantics notes §5.2 and §6):
//  * a state s < 100 is written as two base-10 digits; token id = digit, 10 = BOS/EOS/PAD;
//  * a sample is BOS + the digits of `seq_len / 2` states, truncated to seq_len tokens; the first
//    digit of every state sits at an odd position, its second digit (where the state is known)
//    at an even position p >= 2, which holds state (p - 1) / 2 of the trajectory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace cbk::cli::fsm {

// The seeded generator of every random choice. std::mt19937_64's output is fixed bit for bit by the
// C++ standard, and uniform() is our own conversion (std:: distributions differ between standard
// libraries), so a seed gives the same figures on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) noexcept : engine_(seed) {}
  double uniform() noexcept { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  std::mt19937_64 engine_;
};

inline constexpr std::int32_t kBos = 10;
inline constexpr std::size_t kDigitStates = 100;  // every two-digit number is a possible next state

struct Fsm {
  std::size_t n = 0;                             // states
  std::vector<double> p;                         // [n x n] transition probabilities (rows sum to 1)
  std::vector<std::vector<std::int32_t>> succ;   // successors of each state, ascending

  bool is_edge(std::int32_t a, std::int32_t b) const noexcept;
};

// Builds an Fsm from a row-major [n x n] matrix (any non-negative weights; rows are normalised).
// Returns false (with *why set) when n is not in [2, 100] or a row has no successor or a bad value.
bool make_fsm(const float* matrix, std::size_t n, Fsm* out, const char** why);

// Uniform start state, then transitions drawn from the rows: BOS + digits, truncated to seq_len.
// Also returns the trajectory (seq_len / 2 states) when traj is not null.
std::vector<std::int32_t> sample_sequence(const Fsm& fsm, Rng& rng, std::size_t seq_len,
                                          std::vector<std::int32_t>* traj = nullptr);
std::int32_t uniform_int(Rng& rng, std::size_t n);  // in [0, n)

// Drops BOS tokens, cuts the rest into whole two-digit states (a trailing digit is ignored).
std::vector<std::int32_t> tokens_to_states(const std::int32_t* tokens, std::size_t n);

// Over trajectories with >= 2 states: valid consecutive pairs / all pairs, and the fraction whose
// first pair is valid (shorter trajectories are skipped; `counted` = trajectories used).
struct TransitionAccuracy {
  double valid = 0.0, first = 0.0;
  std::size_t pairs = 0, counted = 0;
};
TransitionAccuracy transition_accuracy(const Fsm& fsm, const std::vector<std::vector<std::int32_t>>& trajs);

// P(next state = 10a + b) = P(a | ...) * P(b | ..., a) from softmaxed logits over the whole
// vocabulary (not renormalised over digits): first[vocab] after the prefix, second[10][vocab]
// after prefix + a. Returns 100 values.
std::vector<double> next_state_probs(const float* first_logits, const float* second_logits, std::size_t vocab);
void softmax(const float* logits, std::size_t n, double* out);

// |top-m of probs (ties to the lower state) ∩ successors(s)| / m with m = |successors(s)|.
double top_successor_overlap(const Fsm& fsm, std::int32_t s, const std::vector<double>& probs);

// Jensen-Shannon divergence in base 2 (log 2 normalisation: in [0, 1]) of two distributions of
// equal length (each normalised first; zero entries contribute nothing).
double jsd_normalised(const std::vector<double>& p, const std::vector<double>& q);

// Per-codebook precision and recall of codes as classifiers of "the current state is S", from
// (code, state) observations at second-digit positions (§5.2: precision = n / #(c fires),
// recall = n / #(state = S)).
struct CodeStateTable {
  std::size_t codes = 0, states = 0;
  std::vector<std::uint32_t> joint;       // [codes x states] counts
  std::vector<std::uint32_t> code_fires;  // [codes]
  std::vector<std::uint32_t> state_count; // [states]

  CodeStateTable(std::size_t n_codes, std::size_t n_states);
  void add(std::int32_t code, std::int32_t state) noexcept;  // out-of-range values are ignored
  double precision(std::size_t code, std::size_t state) const noexcept;
  double recall(std::size_t code, std::size_t state) const noexcept;
};

// The best code of a state: the code with the highest F1 = 2PR / (P + R) as a classifier of the
// state (ties to the lower id), as tools/python/tokfsm/evals.py. code -1 when the state was never
// seen or no code fired on it.
struct BestCode {
  std::int32_t code = -1;
  double precision = 0.0, recall = 0.0;
  std::uint32_t hits = 0;  // #(code fires ∧ state = S)
};
BestCode best_code(const CodeStateTable& t, std::size_t state);

// Every code that fired: the state it is most precise for (ties to the lower state).
struct CodeSummary {
  std::int32_t code = 0, state = 0;
  std::uint32_t fires = 0;
  double precision = 0.0, recall = 0.0;
};
std::vector<CodeSummary> summarise_codes(const CodeStateTable& t);

// The neuron baseline (§5.2): for each neuron (column of acts [rows x width]), threshold t = its
// `hits`-th largest activation over the rows whose state is S (`state_rows`, their indices);
// precision = #(state-S rows with activation >= t) / #(all rows with activation >= t). Returns
// the best precision over the neurons and its index. `sorted_cols` = each column sorted ascending ([width x rows], see sort_columns).
struct NeuronResult {
  double precision = 0.0;
  std::int32_t neuron = -1;
};
std::vector<float> sort_columns(const float* acts, std::size_t rows, std::size_t width);
NeuronResult best_neuron(const float* acts, const std::vector<float>& sorted_cols, std::size_t rows,
                         std::size_t width, const std::vector<std::uint32_t>& state_rows, std::uint32_t hits);

}  // namespace cbk::cli::fsm
