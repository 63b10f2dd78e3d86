// `cbk fsm-demo`: a TokFSM model at work, for the README's first command. It continues a prompt of
// FSM states, printing every token with the state it completes and the MLP codes it selects (with
// the file's "state NN" annotations), then repeats the prompt with another state's codes written
// into the MLP codebooks and shows where the model goes next, over one greedy run and many samples.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bindings/c/include/cbk.hpp"
#include "tools/cli/api_util.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/fsm_eval.hpp"

namespace cbk::cli {
namespace {

using namespace fsm;

constexpr const char* kUsage =
    "usage: cbk fsm-demo MODEL.cbk [--prompt STATES] [--states N] [--steer-to S] [--mode force|interchange]\n"
    "                    [--samples N] [--seed S]\n"
    "  --prompt STATES  comma-separated FSM states, e.g. 7,23 (default: state 0 and its first successor)\n"
    "  --states N       states to continue greedily (default 3)\n"
    "  --steer-to S     the state to steer to (default: the first state that is neither in the prompt\n"
    "                   nor a successor of its last state)\n"
    "  --mode M         force: S's annotated state code in every MLP codebook at the prompt's last token;\n"
    "                   interchange (default): every MLP code from the prompt's last state on is the one\n"
    "                   a run that was in state S selects (S's state codes, then S-plus-digit codes)\n"
    "  --samples N      sampled next states, with and without steering (default 100)\n"
    "  --seed S         sampling seed (default 0)\n";

enum class Mode { force, interchange };

struct Options {
  std::string model;
  std::vector<std::int32_t> prompt_states;
  std::size_t states = 3, samples = 100;
  std::int32_t steer_to = -1;
  Mode mode = Mode::interchange;
  std::uint64_t seed = 0;
};

struct MlpBook {
  std::size_t codebook;
  std::uint32_t layer;
};

// A failed C API call, already described on stderr.
struct Failed {};

void check(cbk_status st) {
  if (st != CBK_STATUS_OK) {
    api_failure("fsm-demo", st);
    throw Failed{};
  }
}

std::vector<MlpBook> mlp_books(const cbk_model* m) {
  std::vector<MlpBook> out;
  const std::vector<CodebookRef> all = codebooks(m);
  for (std::size_t i = 0; i < all.size(); ++i)
    if (all[i].info.site == CBK_SITE_MLP && all[i].info.groups == 1) out.push_back({i, all[i].info.layer});
  return out;
}

// Per MLP codebook, the most frequent code annotated "state SS" (-1 where none is).
std::vector<std::int32_t> annotated_state_codes(const cbk_model* m, const std::vector<MlpBook>& books, std::int32_t s) {
  char want[16];
  std::snprintf(want, sizeof want, "state %02d", s);
  std::vector<std::int32_t> code(books.size(), -1);
  std::vector<float> best(books.size(), -1.0f);
  for (std::size_t i = 0; i < cbk_model_annotation_count(m); ++i) {
    cbk_code_annotation note = sized<cbk_code_annotation>();
    if (cbk_model_annotation(m, i, &note) != CBK_STATUS_OK || !note.label || std::strcmp(note.label, want) != 0)
      continue;
    for (std::size_t b = 0; b < books.size(); ++b)
      if (books[b].codebook == note.codebook && note.frequency > best[b])
        best[b] = note.frequency, code[b] = static_cast<std::int32_t>(note.code);
  }
  return code;
}

std::vector<std::int32_t> state_tokens(const std::vector<std::int32_t>& states) {
  std::vector<std::int32_t> t{kBos};
  for (std::int32_t s : states) t.push_back(s / 10), t.push_back(s % 10);
  return t;
}

// Steering applied to a run: set before the prompt, and before each generated token.
struct Steering {
  Mode mode = Mode::force;
  std::int32_t target = -1;                 // -1: none
  std::vector<MlpBook> books;
  std::vector<std::int32_t> forced_codes;   // force mode: per book (-1 = leave that book alone)
  cbk_session* donor = nullptr;             // interchange mode: runs [BOS S1 S2] + the generated tokens

  void interchange_at(cbk_session* s, std::size_t position, std::size_t donor_position) const {
    for (const MlpBook& b : books) {
      const std::int32_t* ids = nullptr;
      std::size_t slots = 0;
      check(cbk_session_codes(donor, b.codebook, 0, donor_position, &ids, nullptr, &slots));
      const cbk_target t{b.layer, CBK_SITE_MLP, 0};
      check(cbk_steer_interchange(s, &t, static_cast<std::uint32_t>(position), ids, slots));
    }
  }
  void before_prompt(cbk_session* s, std::size_t prompt_len) const {
    check(cbk_steer_clear(s));
    if (target < 0) return;
    const auto last = static_cast<std::uint32_t>(prompt_len - 1);
    if (mode == Mode::force) {
      const cbk_positions at{CBK_POSITIONS_RANGE, last, last + 1};
      for (std::size_t b = 0; b < books.size(); ++b) {
        if (forced_codes[b] < 0) continue;
        const cbk_target t{books[b].layer, CBK_SITE_MLP, -1};
        check(cbk_steer_force(s, &t, forced_codes[b], &at, CBK_FORCE_ALL, -1, 1.0f));
      }
      return;
    }
    const std::vector<std::int32_t> d = state_tokens({target});
    check(cbk_session_reset(donor));
    check(cbk_session_prefill(donor, d.data(), d.size()));
    interchange_at(s, prompt_len - 2, 1);
    interchange_at(s, prompt_len - 1, 2);
  }
  // `token` is about to run at `position` (the prompt has prompt_len tokens).
  void before_token(cbk_session* s, std::int32_t token, std::size_t position, std::size_t prompt_len) const {
    if (target < 0 || mode == Mode::force) return;
    check(cbk_session_decode(donor, token));
    interchange_at(s, position, 3 + (position - prompt_len));
  }
};

struct Run {
  std::vector<std::int32_t> tokens;
  std::vector<std::vector<std::int32_t>> codes;  // [position][book]
};

// Continues `prompt` by `n` tokens (greedy when temperature is 0), stopping early at BOS/EOS.
Run continue_prompt(cbk_session* s, const std::vector<std::int32_t>& prompt, std::size_t n, float temperature,
                    std::uint64_t seed, const Steering& steer) {
  Run r;
  r.tokens = prompt;
  check(cbk_session_reset(s));
  check(cbk_session_set_seed(s, seed));
  steer.before_prompt(s, prompt.size());
  check(cbk_session_prefill(s, prompt.data(), prompt.size()));
  cbk_sampling_params sp = cbk_sampling_default_params();
  sp.temperature = temperature;
  for (std::size_t i = 0; i < n; ++i) {
    std::int32_t next = 0;
    check(cbk_session_sample(s, &sp, &next));
    if (next == kBos) break;
    const std::size_t position = r.tokens.size();
    r.tokens.push_back(next);
    if (i + 1 == n) break;  // its codes are not needed, so it is not run
    steer.before_token(s, next, position, prompt.size());
    check(cbk_session_decode(s, next));
  }
  const std::size_t run = cbk_session_position(s);
  r.codes.assign(run, std::vector<std::int32_t>(steer.books.size(), -1));
  for (std::size_t p = 0; p < run; ++p)
    for (std::size_t b = 0; b < steer.books.size(); ++b) {
      const std::int32_t* ids = nullptr;
      std::size_t slots = 0;
      check(cbk_session_codes(s, steer.books[b].codebook, 0, p, &ids, nullptr, &slots));
      r.codes[p][b] = ids[0];
    }
  return r;
}

// The state a token position completes (second digits: even positions >= 2), or -1 (also when
// the run stopped at an end-of-text token before reaching p).
std::int32_t state_at(const std::vector<std::int32_t>& t, std::size_t p) {
  if (p < 2 || p >= t.size() || p % 2 != 0 || t[p - 1] > 9 || t[p] > 9) return -1;
  return t[p - 1] * 10 + t[p];
}

void print_run(const cbk_model* m, const Fsm& f, const Run& r, const std::vector<MlpBook>& books,
               std::size_t prompt_len, std::int32_t steered_to) {
  std::printf("  %3s %5s  %-26s", "pos", "token", "state");
  for (const MlpBook& b : books) std::printf(" %-15s", ("L" + std::to_string(b.layer) + " mlp code").c_str());
  std::printf("\n");
  std::int32_t prev = -1;
  for (std::size_t p = 0; p < r.tokens.size(); ++p) {
    const std::int32_t s = state_at(r.tokens, p);
    char what[64] = "";
    if (s >= 0) {
      // the prompt's last state is the one steering replaces: transitions after it count from steered_to
      const std::int32_t from = (p == prompt_len + 1 && steered_to >= 0) ? steered_to : prev;
      if (from < 0)
        std::snprintf(what, sizeof what, "%02d", s);
      else
        std::snprintf(what, sizeof what, "%02d  (%02d -> %02d %s)", s, from, s, f.is_edge(from, s) ? "valid" : "INVALID");
      prev = s;
    }
    std::printf("  %3zu %5s  %-26s", p, r.tokens[p] == kBos ? "BOS" : std::to_string(r.tokens[p]).c_str(), what);
    if (p < r.codes.size())
      for (std::size_t b = 0; b < books.size(); ++b) {
        const std::string label = annotation_label(m, books[b].codebook, 0, r.codes[p][b]);
        const std::string cell = std::to_string(r.codes[p][b]) + (label.empty() ? "" : " (" + label + ")");
        std::printf(" %-15s", cell.c_str());
      }
    std::printf("%s\n", p + 1 == prompt_len ? "   <- end of prompt" : "");
  }
}

int parse_args(const std::vector<std::string>& args, Options* o) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    long long v = 0;
    const bool has = i + 1 < args.size();
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if (a == "--prompt" && has) {
      std::vector<std::int32_t> ids;
      if (!parse_ids(args[++i], &ids) || ids.empty())
        return usage_error("fsm-demo", "--prompt needs comma-separated states", kUsage);
      o->prompt_states = ids;
    } else if (a == "--states" && has) {
      if (!parse_count(args[++i], 1, 60, &v)) return usage_error("fsm-demo", "--states needs 1..60", kUsage);
      o->states = static_cast<std::size_t>(v);
    } else if (a == "--samples" && has) {
      if (!parse_count(args[++i], 0, 100000, &v)) return usage_error("fsm-demo", "--samples needs 0..100000", kUsage);
      o->samples = static_cast<std::size_t>(v);
    } else if (a == "--steer-to" && has) {
      if (!parse_count(args[++i], 0, 99, &v)) return usage_error("fsm-demo", "--steer-to needs a state 0..99", kUsage);
      o->steer_to = static_cast<std::int32_t>(v);
    } else if (a == "--seed" && has) {
      if (!parse_count(args[++i], 0, INT64_MAX, &v)) return usage_error("fsm-demo", "--seed needs an integer", kUsage);
      o->seed = static_cast<std::uint64_t>(v);
    } else if (a == "--mode" && has) {
      const std::string& m = args[++i];
      if (m != "force" && m != "interchange") return usage_error("fsm-demo", "--mode is force or interchange", kUsage);
      o->mode = m == "force" ? Mode::force : Mode::interchange;
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("fsm-demo", "unknown or incomplete option '" + a + "'", kUsage);
    } else if (o->model.empty()) {
      o->model = a;
    } else {
      return usage_error("fsm-demo", "more than one model given", kUsage);
    }
  }
  if (o->model.empty()) return usage_error("fsm-demo", "no model given", kUsage);
  return -1;
}

}  // namespace

int run_fsm_demo(const std::vector<std::string>& args) {
  Options o;
  if (int rc = parse_args(args, &o); rc >= 0) return rc;
  cbk_status st = CBK_STATUS_OK;
  const cbk::model_ptr model = cbk::load_model(o.model.c_str(), nullptr, &st);
  if (!model) return api_failure("fsm-demo", st);
  const cbk_model* m = model.get();
  Fsm f;
  if (!read_fsm_extra(m, o.model, "fsm-demo", &f)) return kExitFailure;
  if (o.prompt_states.empty()) o.prompt_states = {0, f.succ[0][0]};
  for (std::int32_t s : o.prompt_states)
    if (s < 0 || static_cast<std::size_t>(s) >= f.n)
      return usage_error("fsm-demo", "prompt state " + std::to_string(s) + " is not a state of the FSM", kUsage);
  const std::int32_t last = o.prompt_states.back();
  if (o.steer_to < 0)  // a state the prompt neither visits nor can go to next
    for (std::int32_t s = 0; s < static_cast<std::int32_t>(f.n) && o.steer_to < 0; ++s)
      if (!f.is_edge(last, s) &&
          std::find(o.prompt_states.begin(), o.prompt_states.end(), s) == o.prompt_states.end())
        o.steer_to = s;
  if (static_cast<std::size_t>(o.steer_to) >= f.n) return usage_error("fsm-demo", "--steer-to is not a state", kUsage);
  const std::vector<std::int32_t> prompt = state_tokens(o.prompt_states);
  if (prompt.size() + 2 * o.states > 128) return usage_error("fsm-demo", "prompt plus --states exceed 128 tokens", kUsage);

  try {
    cbk_session_params sp = cbk_session_default_params();
    sp.trace = 1;
    sp.max_context = 128;
    const cbk::session_ptr session = cbk::create_session(m, &sp, &st);
    const cbk::session_ptr donor = cbk::create_session(m, &sp, &st);
    if (!session || !donor) return api_failure("fsm-demo", st);
    Steering none;
    none.books = mlp_books(m);
    Steering steer = none;
    steer.mode = o.mode;
    steer.target = o.steer_to;
    steer.forced_codes = annotated_state_codes(m, steer.books, o.steer_to);
    steer.donor = donor.get();
    if (o.mode == Mode::force &&
        std::all_of(steer.forced_codes.begin(), steer.forced_codes.end(), [](std::int32_t c) { return c < 0; })) {
      std::fprintf(stderr, "cbk fsm-demo: no MLP code is annotated \"state %02d\" in %s; use --mode interchange\n",
                   o.steer_to, o.model.c_str());
      return kExitFailure;
    }

    std::printf("prompt: states");
    for (std::int32_t s : o.prompt_states) std::printf(" %02d", s);
    std::printf("; %02d's successors:", last);
    for (std::int32_t s : f.succ[static_cast<std::size_t>(last)]) std::printf(" %02d", s);
    std::printf("\n\n== the model continues the prompt (greedy); state = the state a token completes ==\n");
    const Run plain = continue_prompt(session.get(), prompt, 2 * o.states, 0.0f, o.seed, none);
    print_run(m, f, plain, none.books, prompt.size(), -1);

    std::printf("\n== steered to state %02d: ", o.steer_to);
    if (o.mode == Mode::force) {
      std::printf("state %02d's annotated codes forced at the prompt's last token (", o.steer_to);
      for (std::size_t b = 0; b < steer.books.size(); ++b)
        if (steer.forced_codes[b] >= 0) std::printf(" L%u:%d", steer.books[b].layer, steer.forced_codes[b]);
      std::printf(" ) ==\n");
    } else {
      std::printf("every MLP code from the prompt's last state on taken from a run in state %02d ==\n", o.steer_to);
    }
    std::printf("%02d's successors:", o.steer_to);
    for (std::int32_t s : f.succ[static_cast<std::size_t>(o.steer_to)]) std::printf(" %02d", s);
    std::printf("\n");
    const Run steered = continue_prompt(session.get(), prompt, 2 * o.states, 0.0f, o.seed, steer);
    print_run(m, f, steered, none.books, prompt.size(), o.steer_to);

    if (o.samples > 0) {
      std::size_t follows[2][2] = {{0, 0}, {0, 0}};  // [steered?][successor of last, of steer_to]
      for (std::size_t i = 0; i < o.samples; ++i)
        for (int k = 0; k < 2; ++k) {
          const Run r = continue_prompt(session.get(), prompt, 2, 1.0f, o.seed + 1 + i, k ? steer : none);
          const std::int32_t s = state_at(r.tokens, prompt.size() + 1);
          if (s < 0) continue;
          follows[k][0] += f.is_edge(last, s);
          follows[k][1] += f.is_edge(o.steer_to, s);
        }
      char of_last[32], of_target[32];
      std::snprintf(of_last, sizeof of_last, "successor of %02d", last);
      std::snprintf(of_target, sizeof of_target, "successor of %02d", o.steer_to);
      std::printf("\n== %zu sampled next states (temperature 1) ==\n", o.samples);
      std::printf("  %-12s %-24s %s\n", "", of_last, of_target);
      for (int k = 0; k < 2; ++k)
        std::printf("  %-12s %6zu / %-15zu %6zu / %zu\n", k ? "steered" : "unsteered", follows[k][0], o.samples,
                    follows[k][1], o.samples);
    }
  } catch (const Failed&) {
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace cbk::cli
