// The model-driven part of `cbk fsm-eval`, on the C API: LM loss/accuracy and state-code statistics
// in one batched-prefill pass over fresh FSM sequences, sampling, first-transition accuracy,
// steering. Work items are spread over threads, one cbk_session each; every item's randomness
// comes from its own seed, so results do not depend on the thread count.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <new>

#include "bindings/c/include/cbk.hpp"
#include "tools/cli/fsm_eval.hpp"

namespace cbk::cli::fsm {
namespace {

// First index of the largest logit.
std::int32_t argmax(const float* logits, std::size_t n) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < n; ++i)
    if (logits[i] > logits[best]) best = i;
  return static_cast<std::int32_t>(best);
}

struct ModelFacts {
  const cbk_model* model = nullptr;
  std::size_t vocab = 0;
};

// Independent streams from the user's seed: the odd multiplier spreads nearby seeds apart, and
// mt19937_64's seeding recurrence decorrelates the remaining differences.
std::uint64_t stream(std::uint64_t seed, std::uint64_t which, std::uint64_t item = 0) {
  return seed * 0x9E3779B97F4A7C15ull + (which << 40) + item;
}

struct Progress {
  bool on = false;
  const char* what = "";
  std::size_t total = 0;
  std::atomic<std::size_t> done{0};
  std::mutex mu;
  void tick() {
    const std::size_t d = ++done;
    if (!on || (d % 16 != 0 && d != total)) return;
    std::lock_guard<std::mutex> lock(mu);
    std::fprintf(stderr, "\rfsm-eval: %s %zu/%zu%s", what, d, total, d == total ? "\n" : "");
    std::fflush(stderr);
  }
};

// Runs fn(session, thread, item) for items [0, n) on worker threads (session_pool.hpp), ticking
// `progress` after each.
template <class Fn>
Error parallel_items(const cbk_model* model, const cbk_session_params& sp, unsigned threads, std::size_t n,
                     Progress* progress, Fn fn) {
  return cbk::cli::parallel_items(model, sp, threads, n, [progress] { if (progress) progress->tick(); }, fn);
}

// P(next state) after `prefix` (ending at a state's second digit): ten prefills of prefix + [a],
// as cbk_reference.fsm.next_state_probs. The session's steering applies (absolute positions).
Error next_state_distribution(cbk_session* s, std::size_t vocab, const std::vector<std::int32_t>& prefix,
                              std::vector<double>* out) {
  const std::size_t p = prefix.size();
  std::vector<std::int32_t> ids(prefix);
  ids.push_back(0);
  std::vector<float> logits(ids.size() * vocab), first(vocab), second(10 * vocab);
  for (std::int32_t a = 0; a < 10; ++a) {
    ids[p] = a;
    if (Error e = check(cbk_session_reset(s)); !e.ok()) return e;
    if (Error e = check(cbk_session_prefill_logits(s, ids.data(), ids.size(), logits.data(), logits.size())); !e.ok())
      return e;
    if (a == 0) std::copy_n(logits.data() + (p - 1) * vocab, vocab, first.data());
    std::copy_n(logits.data() + p * vocab, vocab, second.data() + static_cast<std::size_t>(a) * vocab);
  }
  *out = next_state_probs(first.data(), second.data(), vocab);
  return Error();
}

std::vector<std::int32_t> state_prefix(std::int32_t s) { return {kBos, s / 10, s % 10}; }

struct MlpBook {
  std::uint32_t layer;
  std::size_t codebook, codes, k;
};

// Observations at second-digit positions of the first code_sequences sequences.
struct CodeData {
  std::size_t per_seq = 0, rows = 0;
  std::vector<std::int32_t> states;                 // [rows]
  std::vector<std::vector<std::int32_t>> ids;       // [book][rows x k]
  std::size_t width = 0;                            // floats per MLP capture row (d_model)
  std::vector<std::vector<float>> acts;             // [book][rows x width]: MLP output before the codebook
};

Error lm_and_codes(const ModelFacts& m, const Fsm& fsm, const EvalOptions& opt, std::size_t seq_len,
                   const std::vector<MlpBook>& books, LmResult* lm, CodeData* cd) {
  std::size_t d = 0;
  if (Error e = check(cbk_model_site_width(m.model, CBK_SITE_MLP, &d)); !e.ok()) return e;
  const std::size_t vocab = m.vocab, n = opt.sequences;
  cd->width = d;
  const std::size_t n_code = std::min(opt.code_sequences, n);
  std::vector<std::vector<std::int32_t>> seqs(n), trajs(n);
  Rng rng(stream(opt.seed, 1));
  for (std::size_t i = 0; i < n; ++i) seqs[i] = sample_sequence(fsm, rng, seq_len, &trajs[i]);

  cd->per_seq = (seq_len - 1) / 2;  // even positions 2, 4, ... < seq_len
  cd->rows = n_code * cd->per_seq;
  cd->states.assign(cd->rows, -1);
  cd->ids.assign(books.size(), {});
  cd->acts.assign(books.size(), {});
  for (std::size_t b = 0; b < books.size(); ++b) {
    cd->ids[b].assign(cd->rows * books[b].k, -1);
    cd->acts[b].assign(cd->rows * d, 0.0f);
  }
  std::vector<double> seq_loss(n, 0.0);
  std::vector<std::size_t> seq_correct(n, 0);
  // Per-thread scratch: all logits and one capture buffer per MLP codebook.
  const unsigned threads = std::max(1u, opt.threads);
  std::vector<std::vector<float>> logits(threads, std::vector<float>(seq_len * vocab));
  std::vector<std::vector<std::vector<float>>> cap(threads, std::vector<std::vector<float>>(books.size()));
  cbk_session_params sp = cbk_session_default_params();
  sp.trace = books.empty() ? 0 : 1;
  sp.prefill_chunk = static_cast<std::uint32_t>(seq_len);
  sp.max_context = static_cast<std::uint32_t>(seq_len);
  Progress prog;
  prog.on = opt.progress;
  prog.what = "LM eval, sequences";
  prog.total = n;
  Error e = parallel_items(m.model, sp, threads, n, &prog, [&](cbk_session* s, unsigned t, std::size_t i) {
    const bool codes = i < n_code && !books.empty();
    if (codes && cap[t][0].empty()) {  // first code sequence on this thread: install the captures
      for (std::size_t b = 0; b < books.size(); ++b) {
        cap[t][b].assign(seq_len * d, 0.0f);
        if (Error ce = check(cbk_session_set_capture(s, books[b].layer, CBK_SITE_MLP, cap[t][b].data(), seq_len));
            !ce.ok())
          return ce;
      }
    }
    if (Error re = check(cbk_session_reset(s)); !re.ok()) return re;
    const auto& ids = seqs[i];
    float* lg = logits[t].data();
    if (Error pe = check(cbk_session_prefill_logits(s, ids.data(), ids.size(), lg, logits[t].size())); !pe.ok())
      return pe;
    std::vector<double> prob(vocab);
    for (std::size_t p = 0; p + 1 < ids.size(); ++p) {
      const float* row = lg + p * vocab;
      softmax(row, vocab, prob.data());
      seq_loss[i] -= std::log(std::max(prob[static_cast<std::size_t>(ids[p + 1])], 1e-300));
      seq_correct[i] += argmax(row, vocab) == ids[p + 1];
    }
    if (!codes) return Error();
    for (std::size_t j = 0; j < cd->per_seq; ++j) {
      const std::size_t p = 2 * (j + 1), r = i * cd->per_seq + j;
      cd->states[r] = trajs[i][(p - 1) / 2];
      for (std::size_t b = 0; b < books.size(); ++b) {
        const std::int32_t* trace = nullptr;
        std::size_t trace_rows = 0, slots = 0;
        if (Error te = check(cbk_session_trace(s, books[b].codebook, 0, &trace, nullptr, &trace_rows, &slots));
            !te.ok())
          return te;
        const std::size_t k = books[b].k;
        std::copy_n(trace + p * slots, k, cd->ids[b].data() + r * k);
        std::copy_n(cap[t][b].data() + p * d, d, cd->acts[b].data() + r * d);
      }
    }
    return Error();
  });
  if (!e.ok()) return e;
  double loss = 0.0;
  std::size_t correct = 0;
  for (std::size_t i = 0; i < n; ++i) loss += seq_loss[i], correct += seq_correct[i];
  lm->tokens = n * (seq_len - 1);
  lm->loss = loss / static_cast<double>(lm->tokens);
  lm->accuracy = static_cast<double>(correct) / static_cast<double>(lm->tokens);
  return Error();
}

void state_codes(const Fsm& fsm, const std::vector<MlpBook>& books, const CodeData& cd, CodesResult* out) {
  const std::size_t d = cd.width;
  out->positions = cd.rows;
  std::vector<std::vector<std::uint32_t>> rows_of(fsm.n);
  for (std::size_t r = 0; r < cd.rows; ++r)
    if (cd.states[r] >= 0) rows_of[static_cast<std::size_t>(cd.states[r])].push_back(static_cast<std::uint32_t>(r));
  for (std::size_t b = 0; b < books.size(); ++b) {
    LayerCodes L;
    L.layer = books[b].layer;
    L.codebook = books[b].codebook;
    CodeStateTable table(books[b].codes, fsm.n);
    for (std::size_t r = 0; r < cd.rows; ++r)
      for (std::size_t s = 0; s < books[b].k; ++s) table.add(cd.ids[b][r * books[b].k + s], cd.states[r]);
    const std::vector<float> sorted = sort_columns(cd.acts[b].data(), cd.rows, d);
    L.best.resize(fsm.n);
    L.neuron.resize(fsm.n);
    for (std::size_t s = 0; s < fsm.n; ++s) {
      if (rows_of[s].empty()) continue;
      L.best[s] = best_code(table, s);
      L.neuron[s] = best_neuron(cd.acts[b].data(), sorted, cd.rows, d, rows_of[s], L.best[s].hits);
      ++L.states_seen;
      L.mean_precision += L.best[s].precision;
      L.mean_recall += L.best[s].recall;
      L.mean_neuron_precision += L.neuron[s].precision;
      L.states_beating_neuron += L.best[s].precision > L.neuron[s].precision;
    }
    if (L.states_seen) {
      const double k = static_cast<double>(L.states_seen);
      L.mean_precision /= k, L.mean_recall /= k, L.mean_neuron_precision /= k;
    }
    L.codes = summarise_codes(table);
    L.codes_used = L.codes.size();
    out->layers.push_back(std::move(L));
  }
  for (std::size_t i = 0; i < out->layers.size(); ++i)
    if (out->best_layer < 0 ||
        out->layers[i].mean_precision > out->layers[static_cast<std::size_t>(out->best_layer)].mean_precision)
      out->best_layer = static_cast<int>(i);
}

// A codebook group whose ids an interchange copies from a donor run.
struct BookGroup {
  std::size_t codebook;
  cbk_target target;  // the same codebook as (layer, site, group)
};

// Every codebook group at `site` in `layers` (empty = all layers).
std::vector<BookGroup> groups_at(const cbk_model* model, cbk_site site, const std::vector<std::uint32_t>& layers) {
  std::vector<BookGroup> out;
  for (std::size_t c = 0; c < cbk_model_codebook_count(model); ++c) {
    cbk_codebook_info cb{};
    cb.struct_size = sizeof(cb);
    if (cbk_model_codebook_info(model, c, &cb) != CBK_STATUS_OK || cb.site != site) continue;
    if (!layers.empty() && std::find(layers.begin(), layers.end(), cb.layer) == layers.end()) continue;
    for (std::uint32_t g = 0; g < cb.groups; ++g) out.push_back({c, {cb.layer, site, static_cast<std::int32_t>(g)}});
  }
  return out;
}

// Adds interchanges to the session: at each position in [first, end), every group in `books` gets
// the ids the donor session's trace holds there.
Error interchange_from(cbk_session* s, const cbk_session* donor, const std::vector<BookGroup>& books,
                       std::size_t first, std::size_t end) {
  for (const BookGroup& bg : books)
    for (std::size_t p = first; p < end; ++p) {
      const std::int32_t* ids = nullptr;
      std::size_t slots = 0;
      if (Error e = check(cbk_session_codes(donor, bg.codebook, static_cast<std::uint32_t>(bg.target.group), p, &ids,
                                            nullptr, &slots));
          !e.ok())
        return e;
      if (Error e = check(cbk_steer_interchange(s, &bg.target, static_cast<std::uint32_t>(p), ids, slots)); !e.ok())
        return e;
    }
  return Error();
}

// The paper's interchange over a whole state and its continuation: P(next state) after [BOS a1 a2]
// where, for each first digit d, the MLP codes at a1, a2 and d are those of the donor run
// [BOS b1 b2 d] (so every position keeps the codes b's own run would have).
Error interchange_distribution(cbk_session* s, cbk_session* donor, std::size_t vocab, const std::vector<BookGroup>& mlp,
                               std::int32_t a, std::int32_t b, std::vector<double>* out) {
  std::vector<std::int32_t> ids = state_prefix(a), donor_ids = state_prefix(b);
  ids.push_back(0);
  donor_ids.push_back(0);
  std::vector<float> logits(ids.size() * vocab), first(vocab), second(10 * vocab);
  for (std::int32_t d = 0; d < 10; ++d) {
    ids[3] = donor_ids[3] = d;
    if (Error e = check(cbk_session_reset(donor)); !e.ok()) return e;
    if (Error e = check(cbk_session_prefill(donor, donor_ids.data(), donor_ids.size())); !e.ok()) return e;
    if (Error e = check(cbk_steer_clear(s)); !e.ok()) return e;
    if (Error e = interchange_from(s, donor, mlp, 1, 4); !e.ok()) return e;
    if (Error e = check(cbk_session_reset(s)); !e.ok()) return e;
    if (Error e = check(cbk_session_prefill_logits(s, ids.data(), ids.size(), logits.data(), logits.size())); !e.ok())
      return e;
    if (d == 0) std::copy_n(logits.data() + 2 * vocab, vocab, first.data());
    std::copy_n(logits.data() + 3 * vocab, vocab, second.data() + static_cast<std::size_t>(d) * vocab);
  }
  *out = next_state_probs(first.data(), second.data(), vocab);
  return Error();
}

// The next-token distribution at a's second digit after [BOS a1 a2] with the codes of `books`
// at that position taken from b's run [BOS b1 b2] (the paper's Figure 4 patching).
Error patched_next_token(cbk_session* s, const cbk_session* donor, std::size_t vocab, const std::vector<BookGroup>& books,
                         std::int32_t a, std::vector<double>* out) {
  const std::vector<std::int32_t> ids = state_prefix(a);
  std::vector<float> logits(ids.size() * vocab);
  if (Error e = check(cbk_steer_clear(s)); !e.ok()) return e;
  if (Error e = interchange_from(s, donor, books, 2, 3); !e.ok()) return e;
  if (Error e = check(cbk_session_reset(s)); !e.ok()) return e;
  if (Error e = check(cbk_session_prefill_logits(s, ids.data(), ids.size(), logits.data(), logits.size())); !e.ok())
    return e;
  out->assign(vocab, 0.0);
  softmax(logits.data() + 2 * vocab, vocab, out->data());
  return Error();
}

// success / expected success / JSD of one next-state distribution against b's row.
void score_steering(const Fsm& fsm, std::int32_t b, const std::vector<double>& dist, double u, SteerScore* acc) {
  std::vector<double> truth(kDigitStates, 0.0);
  for (std::int32_t c : fsm.succ[static_cast<std::size_t>(b)])
    truth[static_cast<std::size_t>(c)] = fsm.p[static_cast<std::size_t>(b) * fsm.n + static_cast<std::size_t>(c)];
  double total = 0.0, on_succ = 0.0;
  for (std::size_t c = 0; c < kDigitStates; ++c) {
    total += dist[c];
    if (truth[c] > 0.0) on_succ += dist[c];
  }
  // One draw (u in [0, 1)) from the distribution renormalised over the 100 two-digit states.
  double run = 0.0;
  std::size_t pick = kDigitStates - 1;
  for (std::size_t c = 0; c < kDigitStates; ++c)
    if ((run += dist[c]) > u * total) {
      pick = c;
      break;
    }
  acc->success += truth[pick] > 0.0;
  acc->success_expected += total > 0.0 ? on_succ / total : 0.0;
  acc->jsd += jsd_normalised(dist, truth);
}

// Figure 4's patching conditions (the tokfsm tutorial's list), by site and layers.
struct Patching {
  const char* name;
  bool attn, mlp;
  std::vector<std::uint32_t> layers;  // empty = all
};

Error steering(const ModelFacts& m, const Fsm& fsm, const EvalOptions& opt, const CodesResult& codes,
               SteerResult* out) {
  // Targets b: states with a best code in every MLP codebook (all of them are forced).
  std::vector<std::int32_t> targets;
  for (std::size_t s = 0; s < fsm.n; ++s) {
    bool all = true;
    for (const LayerCodes& L : codes.layers) all = all && L.best[s].code >= 0;
    if (all) targets.push_back(static_cast<std::int32_t>(s));
  }
  if (targets.empty() || codes.layers.empty()) return Error();
  Rng rng(stream(opt.seed, 4));
  std::vector<std::pair<std::int32_t, std::int32_t>> pairs(opt.pairs);
  for (auto& pr : pairs) {
    pr.first = uniform_int(rng, fsm.n);
    pr.second = targets[static_cast<std::size_t>(uniform_int(rng, targets.size()))];
  }
  for (const LayerCodes& L : codes.layers) out->forced_layers.push_back(L.layer);
  const std::vector<BookGroup> mlp = groups_at(m.model, CBK_SITE_MLP, {});
  std::vector<Patching> patchings = {{"l0_attn", true, false, {0}}, {"l1_mlp", false, true, {1}},
                                     {"all_attn", true, false, {}}, {"all_mlp", false, true, {}},
                                     {"all_attn_mlp", true, true, {}}};
  std::vector<std::vector<BookGroup>> patch_books;
  for (const Patching& pt : patchings) {
    std::vector<BookGroup> bg;
    if (pt.attn) bg = groups_at(m.model, CBK_SITE_ATTN_PREPROJ, pt.layers);
    if (pt.mlp) {
      const std::vector<BookGroup> more = groups_at(m.model, CBK_SITE_MLP, pt.layers);
      bg.insert(bg.end(), more.begin(), more.end());
    }
    patch_books.push_back(std::move(bg));
  }
  const std::size_t n_patch = patchings.size();
  std::vector<std::vector<double>> steered(pairs.size()), plain(pairs.size()), swapped(pairs.size());
  std::vector<double> patch_jsd(pairs.size() * (n_patch + 1), 0.0);  // [pair][none, patchings...]
  Progress prog;
  prog.on = opt.progress;
  prog.what = "steering, pairs";
  prog.total = pairs.size();
  cbk_session_params sp = cbk_session_default_params();
  sp.max_context = 4;
  sp.trace = 1;
  const unsigned threads = std::max(1u, opt.threads);
  std::vector<cbk::session_ptr> donors(threads);
  for (auto& d : donors) {
    cbk_status st = CBK_STATUS_OK;
    d = cbk::create_session(m.model, &sp, &st);
    if (!d) return check(st);
  }
  Error e = parallel_items(m.model, sp, threads, pairs.size(), &prog, [&](cbk_session* s, unsigned t, std::size_t i) {
    const auto [a, b] = pairs[i];
    const std::vector<std::int32_t> prefix = state_prefix(a);
    if (Error pe = check(cbk_steer_clear(s)); !pe.ok()) return pe;
    if (Error pe = next_state_distribution(s, m.vocab, prefix, &plain[i]); !pe.ok()) return pe;
    // Figure 4: next-token distributions at a's second digit against b's own, none and patched.
    cbk_session* donor = donors[t].get();
    const std::vector<std::int32_t> donor_prefix = state_prefix(b);
    std::vector<float> donor_logits(donor_prefix.size() * m.vocab), own(prefix.size() * m.vocab);
    if (Error pe = check(cbk_session_reset(donor)); !pe.ok()) return pe;
    if (Error pe = check(cbk_session_prefill_logits(donor, donor_prefix.data(), donor_prefix.size(),
                                                    donor_logits.data(), donor_logits.size()));
        !pe.ok())
      return pe;
    std::vector<double> b_next(m.vocab), dist(m.vocab);
    softmax(donor_logits.data() + 2 * m.vocab, m.vocab, b_next.data());
    if (Error pe = check(cbk_session_reset(s)); !pe.ok()) return pe;
    if (Error pe = check(cbk_session_prefill_logits(s, prefix.data(), prefix.size(), own.data(), own.size())); !pe.ok())
      return pe;
    softmax(own.data() + 2 * m.vocab, m.vocab, dist.data());
    patch_jsd[i * (n_patch + 1)] = jsd_normalised(dist, b_next);
    for (std::size_t c = 0; c < n_patch; ++c) {
      if (Error pe = patched_next_token(s, donor, m.vocab, patch_books[c], a, &dist); !pe.ok()) return pe;
      patch_jsd[i * (n_patch + 1) + 1 + c] = jsd_normalised(dist, b_next);
    }
    // b's whole-state interchange (MLP codebooks at a1, a2 and the next token).
    if (Error pe = interchange_distribution(s, donor, m.vocab, mlp, a, b, &swapped[i]); !pe.ok()) return pe;
    // b's best code in every slot of every MLP codebook (all groups), at a's second digit only.
    if (Error pe = check(cbk_steer_clear(s)); !pe.ok()) return pe;
    const auto last = static_cast<std::uint32_t>(prefix.size() - 1);
    const cbk_positions at{CBK_POSITIONS_RANGE, last, last + 1};
    for (const LayerCodes& L : codes.layers) {
      const cbk_target target{L.layer, CBK_SITE_MLP, -1};
      const std::int32_t code = L.best[static_cast<std::size_t>(b)].code;
      if (Error pe = check(cbk_steer_force(s, &target, code, &at, CBK_FORCE_ALL, -1, 1.0f)); !pe.ok()) return pe;
    }
    Error r = next_state_distribution(s, m.vocab, prefix, &steered[i]);
    if (Error pe = check(cbk_steer_clear(s)); !pe.ok()) return pe;
    return r;
  });
  if (!e.ok()) return e;
  Rng draw(stream(opt.seed, 5));
  SteerScore none;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const std::int32_t b = pairs[i].second;
    const double u1 = draw.uniform(), u2 = draw.uniform(), u3 = draw.uniform();
    score_steering(fsm, b, steered[i], u1, &out->forced);
    score_steering(fsm, b, swapped[i], u2, &out->interchange);
    score_steering(fsm, b, plain[i], u3, &none);
  }
  const double k = static_cast<double>(pairs.size());
  out->pairs = pairs.size();
  for (SteerScore* sc : {&out->forced, &out->interchange, &none})
    sc->success /= k, sc->success_expected /= k, sc->jsd /= k;
  out->unsteered = none;
  // Figure 4 normalises each condition's mean JSD by the largest one (in practice "none").
  std::vector<double> mean(n_patch + 1, 0.0);
  for (std::size_t i = 0; i < pairs.size(); ++i)
    for (std::size_t c = 0; c <= n_patch; ++c) mean[c] += patch_jsd[i * (n_patch + 1) + c] / k;
  const double top = *std::max_element(mean.begin(), mean.end());
  out->figure4.push_back({"none", mean[0], top > 0.0 ? mean[0] / top : 0.0});
  for (std::size_t c = 0; c < n_patch; ++c)
    out->figure4.push_back({patchings[c].name, mean[c + 1], top > 0.0 ? mean[c + 1] / top : 0.0});
  return Error();
}

}  // namespace

Error evaluate(const cbk_model* model, const Fsm& fsm, const EvalOptions& opt, EvalResult* out) {
  try {
    cbk_architecture a{};
    a.struct_size = sizeof(a);
    if (Error e = check(cbk_model_architecture(model, &a)); !e.ok()) return e;
    const ModelFacts m{model, a.vocab_size};
    out->seq_len = std::min<std::size_t>(128, a.max_positions);
    std::vector<MlpBook> books;
    for (std::size_t c = 0; c < cbk_model_codebook_count(model); ++c) {
      cbk_codebook_info cb{};
      cb.struct_size = sizeof(cb);
      if (Error e = check(cbk_model_codebook_info(model, c, &cb)); !e.ok()) return e;
      if (cb.site == CBK_SITE_MLP && cb.groups == 1) books.push_back({cb.layer, c, cb.codes, cb.k});
    }
    CodeData cd;
    if (opt.sequences > 0)
      if (Error e = lm_and_codes(m, fsm, opt, out->seq_len, books, &out->lm, &cd); !e.ok()) return e;

    // State accuracy: `samples` sequences of seq_len tokens sampled from BOS at temperature 1.
    std::vector<std::vector<std::int32_t>> trajs(opt.samples);
    Progress prog;
    prog.on = opt.progress;
    prog.what = "sampling, sequences";
    prog.total = opt.samples;
    cbk_session_params sp = cbk_session_default_params();
    sp.max_context = static_cast<std::uint32_t>(out->seq_len);
    const cbk_sampling_params plain = cbk_sampling_default_params();  // temperature 1, no top-k/top-p
    Error e = parallel_items(model, sp, opt.threads, opt.samples, &prog, [&](cbk_session* s, unsigned, std::size_t i) {
      if (Error se = check(cbk_session_reset(s)); !se.ok()) return se;
      if (Error se = check(cbk_session_set_seed(s, stream(opt.seed, 2, i))); !se.ok()) return se;
      std::vector<std::int32_t> toks{kBos};
      if (Error se = check(cbk_session_prefill(s, toks.data(), 1)); !se.ok()) return se;
      while (toks.size() < out->seq_len) {
        std::int32_t next = 0;
        if (Error se = check(cbk_session_sample(s, &plain, &next)); !se.ok()) return se;
        toks.push_back(next);
        if (toks.size() < out->seq_len)
          if (Error se = check(cbk_session_decode(s, next)); !se.ok()) return se;
      }
      trajs[i] = tokens_to_states(toks.data(), toks.size());
      return Error();
    });
    if (!e.ok()) return e;
    out->sampled = transition_accuracy(fsm, trajs);

    // First-transition accuracy over every state.
    std::vector<double> overlap(fsm.n);
    prog.what = "first transitions, states";
    prog.total = fsm.n;
    prog.done = 0;
    sp.max_context = 4;
    e = parallel_items(model, sp, opt.threads, fsm.n, &prog, [&](cbk_session* s, unsigned, std::size_t i) {
      std::vector<double> probs;
      if (Error pe = next_state_distribution(s, m.vocab, state_prefix(static_cast<std::int32_t>(i)), &probs);
          !pe.ok())
        return pe;
      overlap[i] = top_successor_overlap(fsm, static_cast<std::int32_t>(i), probs);
      return Error();
    });
    if (!e.ok()) return e;
    for (double v : overlap) out->first_transition += v / static_cast<double>(fsm.n);

    if (!books.empty() && cd.rows > 0) {
      out->has_codes = true;
      state_codes(fsm, books, cd, &out->codes);
      if (opt.pairs > 0) {
        if (Error se = steering(m, fsm, opt, out->codes, &out->steer); !se.ok()) return se;
        out->has_steering = out->steer.pairs > 0;
      }
    }
    return Error();
  } catch (const std::bad_alloc&) {
    return Error{CBK_STATUS_OUT_OF_MEMORY, "fsm-eval: out of memory"};
  }
}

}  // namespace cbk::cli::fsm
