// TokFSM statistics for `cbk fsm-eval` (definitions in fsm_eval_metrics.hpp).
#include "tools/cli/fsm_eval_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cbk::cli::fsm {

bool Fsm::is_edge(std::int32_t a, std::int32_t b) const noexcept {
  if (a < 0 || b < 0 || static_cast<std::size_t>(a) >= n || static_cast<std::size_t>(b) >= n) return false;
  return p[static_cast<std::size_t>(a) * n + static_cast<std::size_t>(b)] > 0.0;
}

bool make_fsm(const float* matrix, std::size_t n, Fsm* out, const char** why) {
  if (n < 2 || n > kDigitStates) {
    *why = "the transition matrix must have 2 to 100 states (two base-10 digits per state)";
    return false;
  }
  Fsm f;
  f.n = n;
  f.p.assign(n * n, 0.0);
  f.succ.resize(n);
  for (std::size_t a = 0; a < n; ++a) {
    double sum = 0.0;
    for (std::size_t b = 0; b < n; ++b) {
      const float v = matrix[a * n + b];
      if (!std::isfinite(v) || v < 0.0f) {
        *why = "the transition matrix has a negative or non-finite entry";
        return false;
      }
      sum += v;
    }
    if (sum <= 0.0) {
      *why = "a state of the transition matrix has no successor";
      return false;
    }
    for (std::size_t b = 0; b < n; ++b) {
      f.p[a * n + b] = matrix[a * n + b] / sum;
      if (matrix[a * n + b] > 0.0f) f.succ[a].push_back(static_cast<std::int32_t>(b));
    }
  }
  *out = std::move(f);
  return true;
}

std::int32_t uniform_int(Rng& rng, std::size_t n) {
  const auto v = static_cast<std::size_t>(rng.uniform() * static_cast<double>(n));
  return static_cast<std::int32_t>(std::min(v, n - 1));
}

std::vector<std::int32_t> sample_sequence(const Fsm& fsm, Rng& rng, std::size_t seq_len,
                                          std::vector<std::int32_t>* traj) {
  std::vector<std::int32_t> toks{kBos};
  if (traj) traj->clear();
  std::int32_t s = uniform_int(rng, fsm.n);
  for (std::size_t i = 0; i < seq_len / 2; ++i) {
    if (i > 0) {  // one draw per transition: the first b whose cumulative probability exceeds u
      const double u = rng.uniform();
      double acc = 0.0;
      const double* row = fsm.p.data() + static_cast<std::size_t>(s) * fsm.n;
      std::int32_t next = fsm.succ[static_cast<std::size_t>(s)].back();
      for (std::int32_t b : fsm.succ[static_cast<std::size_t>(s)])
        if ((acc += row[b]) > u) {
          next = b;
          break;
        }
      s = next;
    }
    if (traj) traj->push_back(s);
    toks.push_back(s / 10);
    toks.push_back(s % 10);
  }
  toks.resize(std::min(toks.size(), seq_len));
  return toks;
}

std::vector<std::int32_t> tokens_to_states(const std::int32_t* tokens, std::size_t n) {
  std::vector<std::int32_t> digits;
  for (std::size_t i = 0; i < n; ++i)
    if (tokens[i] != kBos) digits.push_back(tokens[i]);
  std::vector<std::int32_t> out;
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2) out.push_back(digits[i] * 10 + digits[i + 1]);
  return out;
}

TransitionAccuracy transition_accuracy(const Fsm& fsm, const std::vector<std::vector<std::int32_t>>& trajs) {
  TransitionAccuracy r;
  std::size_t ok = 0, first_ok = 0;
  for (const auto& t : trajs) {
    if (t.size() < 2) continue;
    ++r.counted;
    for (std::size_t i = 0; i + 1 < t.size(); ++i) {
      ++r.pairs;
      if (fsm.is_edge(t[i], t[i + 1])) {
        ++ok;
        first_ok += i == 0;
      }
    }
  }
  if (r.pairs) r.valid = static_cast<double>(ok) / static_cast<double>(r.pairs);
  if (r.counted) r.first = static_cast<double>(first_ok) / static_cast<double>(r.counted);
  return r;
}

void softmax(const float* logits, std::size_t n, double* out) {
  const float m = *std::max_element(logits, logits + n);
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += out[i] = std::exp(static_cast<double>(logits[i]) - m);
  for (std::size_t i = 0; i < n; ++i) out[i] /= sum;
}

std::vector<double> next_state_probs(const float* first_logits, const float* second_logits, std::size_t vocab) {
  std::vector<double> first(vocab), second(vocab), out(kDigitStates);
  softmax(first_logits, vocab, first.data());
  for (std::size_t a = 0; a < 10; ++a) {
    softmax(second_logits + a * vocab, vocab, second.data());
    for (std::size_t b = 0; b < 10; ++b) out[a * 10 + b] = first[a] * second[b];
  }
  return out;
}

double top_successor_overlap(const Fsm& fsm, std::int32_t s, const std::vector<double>& probs) {
  const auto& succ = fsm.succ[static_cast<std::size_t>(s)];
  std::vector<std::int32_t> order(probs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int32_t x, std::int32_t y) { return probs[x] > probs[y]; });
  std::size_t hit = 0;
  for (std::size_t i = 0; i < succ.size() && i < order.size(); ++i) hit += fsm.is_edge(s, order[i]);
  return static_cast<double>(hit) / static_cast<double>(succ.size());
}

double jsd_normalised(const std::vector<double>& p, const std::vector<double>& q) {
  const double sp = std::accumulate(p.begin(), p.end(), 0.0), sq = std::accumulate(q.begin(), q.end(), 0.0);
  double d = 0.0;
  for (std::size_t i = 0; i < p.size() && i < q.size(); ++i) {
    const double a = p[i] / sp, b = q[i] / sq, m = 0.5 * (a + b);
    if (a > 0.0) d += 0.5 * a * std::log2(a / m);
    if (b > 0.0) d += 0.5 * b * std::log2(b / m);
  }
  return std::clamp(d, 0.0, 1.0);
}

CodeStateTable::CodeStateTable(std::size_t n_codes, std::size_t n_states)
    : codes(n_codes), states(n_states), joint(n_codes * n_states, 0), code_fires(n_codes, 0),
      state_count(n_states, 0) {}

void CodeStateTable::add(std::int32_t code, std::int32_t state) noexcept {
  if (code < 0 || state < 0 || static_cast<std::size_t>(code) >= codes || static_cast<std::size_t>(state) >= states)
    return;
  ++joint[static_cast<std::size_t>(code) * states + static_cast<std::size_t>(state)];
  ++code_fires[static_cast<std::size_t>(code)];
  ++state_count[static_cast<std::size_t>(state)];
}

double CodeStateTable::precision(std::size_t code, std::size_t state) const noexcept {
  return code_fires[code] ? static_cast<double>(joint[code * states + state]) / code_fires[code] : 0.0;
}

double CodeStateTable::recall(std::size_t code, std::size_t state) const noexcept {
  return state_count[state] ? static_cast<double>(joint[code * states + state]) / state_count[state] : 0.0;
}

BestCode best_code(const CodeStateTable& t, std::size_t state) {
  BestCode best;
  double best_f1 = 0.0;
  for (std::size_t c = 0; c < t.codes; ++c) {
    const std::uint32_t n = t.joint[c * t.states + state];
    if (n == 0) continue;
    const double p = t.precision(c, state), r = t.recall(c, state), f1 = 2.0 * p * r / (p + r);
    if (f1 > best_f1) {
      best_f1 = f1;
      best = {static_cast<std::int32_t>(c), p, r, n};
    }
  }
  return best;
}

std::vector<CodeSummary> summarise_codes(const CodeStateTable& t) {
  std::vector<CodeSummary> out;
  for (std::size_t c = 0; c < t.codes; ++c) {
    if (t.code_fires[c] == 0) continue;
    std::size_t best = 0;
    for (std::size_t s = 1; s < t.states; ++s)
      if (t.joint[c * t.states + s] > t.joint[c * t.states + best]) best = s;
    out.push_back({static_cast<std::int32_t>(c), static_cast<std::int32_t>(best), t.code_fires[c],
                   t.precision(c, best), t.recall(c, best)});
  }
  return out;
}

std::vector<float> sort_columns(const float* acts, std::size_t rows, std::size_t width) {
  std::vector<float> out(rows * width);
  for (std::size_t j = 0; j < width; ++j) {
    float* col = out.data() + j * rows;
    for (std::size_t r = 0; r < rows; ++r) col[r] = acts[r * width + j];
    std::sort(col, col + rows);
  }
  return out;
}

NeuronResult best_neuron(const float* acts, const std::vector<float>& sorted_cols, std::size_t rows,
                         std::size_t width, const std::vector<std::uint32_t>& state_rows, std::uint32_t hits) {
  NeuronResult best;
  std::vector<float> on_state;
  for (std::size_t j = 0; j < width; ++j) {
    on_state.clear();
    for (std::uint32_t r : state_rows) on_state.push_back(acts[std::size_t{r} * width + j]);
    if (on_state.empty() || hits == 0) return best;
    const std::size_t k = std::min<std::size_t>(hits, on_state.size());
    std::nth_element(on_state.begin(), on_state.begin() + static_cast<std::ptrdiff_t>(k - 1), on_state.end(),
                     std::greater<float>());
    const float t = on_state[k - 1];
    const std::size_t tp = static_cast<std::size_t>(
        std::count_if(on_state.begin(), on_state.end(), [t](float v) { return v >= t; }));
    const float* col = sorted_cols.data() + j * rows;
    const auto fired = static_cast<std::size_t>(col + rows - std::lower_bound(col, col + rows, t));
    const double prec = static_cast<double>(tp) / static_cast<double>(std::max<std::size_t>(fired, 1));
    if (prec > best.precision) best = {prec, static_cast<std::int32_t>(j)};
  }
  return best;
}

}  // namespace cbk::cli::fsm
