// The statistics behind `cbk fsm-eval`, on hand-made inputs whose answers are worked out below.
#include <catch2/catch.hpp>

#include <cmath>

#include "tools/cli/fsm_eval_metrics.hpp"

using namespace cbk::cli::fsm;

namespace {

// 3 states: 0 -> {1, 2}, 1 -> {0}, 2 -> {2} (weights 1 and 3 from state 0).
Fsm tiny() {
  const float m[9] = {0, 1, 3, 1, 0, 0, 0, 0, 2};
  Fsm f;
  const char* why = nullptr;
  REQUIRE(make_fsm(m, 3, &f, &why));
  return f;
}

}  // namespace

TEST_CASE("the FSM is normalised and bad matrices are refused", "[fsm]") {
  const Fsm f = tiny();
  CHECK(f.p[1] == Approx(0.25));
  CHECK(f.p[2] == Approx(0.75));
  CHECK(f.succ[0] == std::vector<std::int32_t>{1, 2});
  CHECK(f.is_edge(2, 2));
  CHECK_FALSE(f.is_edge(1, 2));
  CHECK_FALSE(f.is_edge(0, 7));
  Fsm g;
  const char* why = nullptr;
  const float one[1] = {1};
  CHECK_FALSE(make_fsm(one, 1, &g, &why));
  const float empty_row[4] = {1, 0, 0, 0};
  CHECK_FALSE(make_fsm(empty_row, 2, &g, &why));
  const float negative[4] = {1, -1, 0, 1};
  CHECK_FALSE(make_fsm(negative, 2, &g, &why));
}

TEST_CASE("sampled sequences are BOS + the digits of a valid trajectory", "[fsm]") {
  const Fsm f = tiny();
  cbk::cli::fsm::Rng rng(5);
  std::vector<std::int32_t> traj;
  const auto toks = sample_sequence(f, rng, 128, &traj);
  REQUIRE(toks.size() == 128);
  REQUIRE(traj.size() == 64);
  CHECK(toks[0] == kBos);
  for (std::size_t i = 0; i < traj.size(); ++i) {
    CHECK(toks[1 + 2 * i] == traj[i] / 10);  // first digit at odd positions
    if (2 + 2 * i < toks.size()) CHECK(toks[2 + 2 * i] == traj[i] % 10);
    if (i > 0) CHECK(f.is_edge(traj[i - 1], traj[i]));
  }
  // From state 0 the weights are 1:3.
  std::size_t to2 = 0, from0 = 0;
  for (int rep = 0; rep < 200; ++rep) {
    sample_sequence(f, rng, 128, &traj);
    for (std::size_t i = 1; i < traj.size(); ++i)
      if (traj[i - 1] == 0) ++from0, to2 += traj[i] == 2;
  }
  CHECK(static_cast<double>(to2) / static_cast<double>(from0) == Approx(0.75).margin(0.05));
}

TEST_CASE("tokens to states and transition accuracy", "[fsm]") {
  const std::int32_t toks[] = {kBos, 0, 1, kBos, 0, 0, 0, 2, 7};  // BOS dropped: 01 00 02, trailing 7
  CHECK(tokens_to_states(toks, 9) == std::vector<std::int32_t>{1, 0, 2});
  const Fsm f = tiny();
  // 1->0 ok, 0->2 ok | 2->1 bad, 1->0 ok | a single state is skipped.
  const auto acc = transition_accuracy(f, {{1, 0, 2}, {2, 1, 0}, {2}});
  CHECK(acc.pairs == 4);
  CHECK(acc.counted == 2);
  CHECK(acc.valid == Approx(0.75));
  CHECK(acc.first == Approx(0.5));
}

TEST_CASE("next-state probabilities, top-successor overlap and JSD", "[fsm]") {
  std::vector<float> first(11, 0.0f), second(110, 0.0f);
  auto p = next_state_probs(first.data(), second.data(), 11);
  REQUIRE(p.size() == 100);
  CHECK(p[37] == Approx(1.0 / 121.0));
  const Fsm f = tiny();
  // Uniform: the top-2 are states 0 and 1 (ties to the lower number); successors of 0 are {1, 2}.
  CHECK(top_successor_overlap(f, 0, p) == Approx(0.5));
  first[0] = 50.0f;                     // first digit 0 almost surely
  second[0 * 11 + 2] = 50.0f;           // then 2: next state 02
  second[0 * 11 + 1] = 49.0f;           // or 01
  p = next_state_probs(first.data(), second.data(), 11);
  CHECK(top_successor_overlap(f, 0, p) == Approx(1.0));
  CHECK(p[2] > p[1]);

  std::vector<double> u100(100, 0.01), u10(100, 0.0), other(100, 0.0);
  for (int i = 0; i < 10; ++i) u10[static_cast<std::size_t>(i)] = 0.1, other[static_cast<std::size_t>(50 + i)] = 1.0;
  CHECK(jsd_normalised(u10, u10) == Approx(0.0).margin(1e-12));
  CHECK(jsd_normalised(u10, other) == Approx(1.0));  // disjoint supports; `other` is normalised first
  // Uniform over 100 vs over 10: 0.5 (0.1 log2(0.01/0.055) + 0.9) + 0.5 log2(0.1/0.055).
  const double expect = 0.5 * (0.1 * std::log2(0.01 / 0.055) + 0.9) + 0.5 * std::log2(0.1 / 0.055);
  CHECK(jsd_normalised(u100, u10) == Approx(expect));
}

TEST_CASE("code precision, recall and the best code of a state", "[fsm]") {
  CodeStateTable t(4, 2);
  for (int i = 0; i < 3; ++i) t.add(0, 0);
  t.add(0, 1);
  t.add(1, 1);
  t.add(1, 1);
  t.add(2, 0);
  t.add(-1, 0);  // ignored
  t.add(9, 0);   // ignored
  CHECK(t.precision(0, 0) == Approx(0.75));  // 3 of code 0's 4 firings
  CHECK(t.recall(0, 0) == Approx(0.75));     // 3 of state 0's 4 positions
  CHECK(t.precision(2, 0) == Approx(1.0));
  CHECK(t.recall(2, 0) == Approx(0.25));
  // State 0: code 0 F1 0.75 beats code 2 (P 1, R 0.25, F1 0.4).
  BestCode b = best_code(t, 0);
  CHECK(b.code == 0);
  CHECK(b.hits == 3);
  // State 1: code 1 (P 1, R 2/3, F1 0.8) beats code 0 (P 1/4, R 1/3).
  b = best_code(t, 1);
  CHECK(b.code == 1);
  CHECK(b.recall == Approx(2.0 / 3.0));
  const auto codes = summarise_codes(t);
  REQUIRE(codes.size() == 3);  // code 3 never fired
  CHECK(codes[0].state == 0);
  CHECK(codes[0].fires == 4);
  CHECK(codes[1].state == 1);
}

TEST_CASE("the neuron baseline thresholds at the code's recall", "[fsm]") {
  // 6 rows x 2 neurons; rows 0-2 are state 0.
  const float acts[12] = {5, 1, 4, 1, 1, 1, 3, 0, 2, 0, 0, 0};
  const auto sorted = sort_columns(acts, 6, 2);
  const std::vector<std::uint32_t> rows0{0, 1, 2};
  // hits 2: neuron 0 threshold 4 -> 2 of 2 rows >= 4 are state 0; neuron 1 threshold 1 -> 3/3;
  // both 1.0, the first stays.
  NeuronResult r = best_neuron(acts, sorted, 6, 2, rows0, 2);
  CHECK(r.precision == Approx(1.0));
  CHECK(r.neuron == 0);
  // hits 3: neuron 0 threshold 1 -> 3 of the 5 rows >= 1; neuron 1 -> 3/3.
  r = best_neuron(acts, sorted, 6, 2, rows0, 3);
  CHECK(r.precision == Approx(1.0));
  CHECK(r.neuron == 1);
  // State 1 (rows 3-5), hits 1: neuron 0 threshold 3 -> rows >= 3 are {5, 4, 3}: 1/3; neuron 1
  // threshold 0 -> every row fires: 3/6.
  r = best_neuron(acts, sorted, 6, 2, {3, 4, 5}, 1);
  CHECK(r.precision == Approx(0.5));
  CHECK(r.neuron == 1);
}
