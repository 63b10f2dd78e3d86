// `cbk steer-eval MODEL.cbk`: topic steering as in the paper's Table 3b. For each topic of the
// file (steer_topics.hpp), the share of sampled continuations that mention the topic without and
// with its codes forced at every position, and the readability of both sample sets (mean loss of
// their continuation tokens under the unsteered model).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "tools/cli/api_util.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/json_writer.hpp"
#include "tools/cli/progress.hpp"
#include "tools/cli/steer_eval.hpp"

namespace cbk::cli {
namespace {

constexpr const char* kUsage =
    "usage: cbk steer-eval MODEL.cbk [options]\n"
    "  Topic steering (the paper's Table 3b): per topic, the share of sampled continuations whose\n"
    "  text (prompt + continuation) matches the topic's regex, without steering and with the topic's\n"
    "  codes forced into slots -1, -2, ... of their heads at every position; and the mean loss (nats\n"
    "  per continuation token) of both sample sets under the unsteered model. Topics come from the\n"
    "  file: code annotations labelled 'topic: NAME' and metadata 'topic.NAME.regex'.\n"
    "  --topics a,b,c|all        topics to steer toward (default all: those with codes and a regex)\n"
    "  --samples N               samples per prompt (default 10)\n"
    "  --prompts 'P1|P2|...'     the prompts (default: \"\", \"Once upon a time,\", \"Once there was a\",\n"
    "                            \"One day,\"); or --prompt TEXT, repeated\n"
    "  --new-tokens N            tokens to sample per continuation (default 200; stops at end-of-text)\n"
    "  --temperature T           sampling temperature (default 1; no top-k / top-p)\n"
    "  --seed S                  sample i uses seed S + i, steered or not (default 0)\n"
    "  --max-codes-per-head K    force at most K codes per head (default: the codebook's k)\n"
    "  --threads N               worker threads, one session each (default 2; results do not depend on it)\n"
    "  --show-samples N          also print the first N baseline and steered samples (with --json: include them)\n"
    "  --json                    one JSON object on stdout\n";

struct Args {
  std::string model;
  std::vector<std::string> topics;
  steer::Options opt;
  bool has_prompts = false;
  std::uint32_t max_per_head = UINT32_MAX;
  std::size_t show = 0;
  bool json = false;
};

int usage_error(const std::string& why) { return cbk::cli::usage_error("steer-eval", why, kUsage); }

// Returns -1 when parsing succeeded, else the exit code.
int parse_args(const std::vector<std::string>& args, Args* a) {
  a->opt.threads = std::max(1u, std::min(2u, std::thread::hardware_concurrency()));
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string v;
    long long n = 0;
    double num = 0.0;
    auto next = [&] { return i + 1 < args.size() ? (v = args[++i], true) : false; };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if (arg == "--topics") {
      if (!next() || v.empty()) return usage_error("--topics needs a comma-separated list of topic names or all");
      a->topics = split(v, ',');
      if (std::find(a->topics.begin(), a->topics.end(), "") != a->topics.end())
        return usage_error("--topics '" + v + "': an empty topic name");
    } else if (arg == "--samples") {
      if (!next() || !parse_count(v, 1, 100000, &n)) return usage_error("--samples needs an integer in [1, 100000]");
      a->opt.samples_per_prompt = static_cast<std::size_t>(n);
    } else if (arg == "--prompts" || arg == "--prompt") {
      if (!next()) return usage_error(arg + " needs a value");
      if (!a->has_prompts) a->opt.prompts.clear();
      a->has_prompts = true;
      for (const std::string& p : arg == "--prompts" ? split(v, '|') : std::vector<std::string>{v})
        a->opt.prompts.push_back(p);
    } else if (arg == "--new-tokens") {
      if (!next() || !parse_count(v, 1, 1000000, &n)) return usage_error("--new-tokens needs an integer in [1, 1000000]");
      a->opt.new_tokens = n;
    } else if (arg == "--temperature") {
      if (!next() || !parse_number(v, &num) || !(num >= 0 && num <= 1e6))
        return usage_error("--temperature needs a number >= 0 (0 = greedy)");
      a->opt.temperature = static_cast<float>(num);
    } else if (arg == "--seed") {
      char* end = nullptr;
      if (!next() || v.empty() || v[0] == '-' ||
          (a->opt.seed = std::strtoull(v.c_str(), &end, 10), end != v.c_str() + v.size()))
        return usage_error("--seed needs an unsigned integer");
    } else if (arg == "--max-codes-per-head") {
      if (!next() || !parse_count(v, 1, 1 << 20, &n)) return usage_error("--max-codes-per-head needs an integer >= 1");
      a->max_per_head = static_cast<std::uint32_t>(n);
    } else if (arg == "--threads") {
      std::uint32_t t = 0;
      if (!next() || !parse_threads(v, &t)) return usage_error(kThreadsError);
      a->opt.threads = t;
    } else if (arg == "--show-samples") {
      if (!next() || !parse_count(v, 0, 100000000, &n)) return usage_error("--show-samples needs an integer >= 0");
      a->show = static_cast<std::size_t>(n);
    } else if (arg == "--json") {
      a->json = true;
    } else if (const std::string why = take_model_arg(arg, &a->model); !why.empty()) {
      return usage_error(why);
    }
  }
  if (a->model.empty()) return usage_error("no model file");
  if (!a->has_prompts) a->opt.prompts = {"", "Once upon a time,", "Once there was a", "One day,"};
  return -1;
}

// The regex verdicts: on[c][t][i] = sample i of condition c mentions topics[t]. Baseline samples
// (c = 0) are scored for every topic, a steered condition only for its own.
struct Verdicts {
  std::vector<std::vector<std::vector<bool>>> on;
  bool failed = false;  // a match overran std::regex's limits (counted as no match)
};

Verdicts judge(const std::vector<Topic>& topics, const steer::Run& run) {
  Verdicts v;
  v.on.resize(run.conditions.size(), std::vector<std::vector<bool>>(topics.size()));
  for (std::size_t c = 0; c < run.conditions.size(); ++c)
    for (std::size_t t = 0; t < topics.size(); ++t) {
      if (c != 0 && c != t + 1) continue;
      for (const steer::Sample& x : run.conditions[c]) v.on[c][t].push_back(mentions(topics[t], x.text, &v.failed));
    }
  return v;
}

std::size_t count(const std::vector<bool>& on) { return static_cast<std::size_t>(std::count(on.begin(), on.end(), true)); }

double percent(std::size_t k, std::size_t n) { return n ? 100.0 * static_cast<double>(k) / static_cast<double>(n) : 0.0; }

std::string model_name(const cbk_model* m) {
  const char* name = nullptr;
  return cbk_model_metadata(m, "name", &name) == CBK_STATUS_OK && name ? name : "";
}

void write_sample(JsonWriter& w, const steer::Sample& x, const Args& a) {
  w.begin_object().field("prompt", a.opt.prompts[x.prompt]).field("seed", x.seed).key("tokens").begin_array();
  for (std::int32_t t : x.tokens) w.value(t);
  w.end_array().field("n_prompt", static_cast<std::uint64_t>(x.n_prompt)).field("stop", x.stop).field("text", x.text)
      .field("loss", x.loss()).field("loss_tokens", static_cast<std::uint64_t>(x.loss_tokens));
}

void write_json(const Args& a, const cbk_model* m, const std::vector<Topic>& topics, const steer::Run& run,
                const Verdicts& v, double seconds) {
  const std::size_t per = run.conditions[0].size();
  std::size_t base_tokens = 0;
  const double base_loss = steer::mean_loss(run.conditions[0], &base_tokens);
  JsonWriter w;
  w.begin_object().field("model", a.model).field("name", model_name(m)).key("prompts").begin_array();
  for (const std::string& p : a.opt.prompts) w.value(p);
  w.end_array().field("samples_per_prompt", static_cast<std::uint64_t>(a.opt.samples_per_prompt))
      .field("samples", static_cast<std::uint64_t>(per)).field("new_tokens", static_cast<std::int64_t>(a.opt.new_tokens))
      .field("temperature", static_cast<double>(a.opt.temperature)).field("seed", a.opt.seed)
      .field("seed_last", a.opt.seed + per - 1).field("scored_text", "prompt + continuation")
      .field("regex_failures", v.failed).key("baseline").begin_object().field("loss", base_loss)
      .field("loss_tokens", static_cast<std::uint64_t>(base_tokens)).end_object();
  w.key("topics").begin_array();
  for (std::size_t t = 0; t < topics.size(); ++t) {
    const Topic& topic = topics[t];
    std::size_t steered_tokens = 0;
    const double steered_loss = steer::mean_loss(run.conditions[1 + t], &steered_tokens);
    const std::size_t kb = count(v.on[0][t]), ks = count(v.on[1 + t][t]);
    w.begin_object().field("name", topic.name).field("regex", topic.pattern).key("codes").begin_array();
    for (const TopicCode& c : topic.codes)
      w.begin_object().field("codebook", static_cast<std::uint64_t>(c.codebook)).field("layer", c.layer)
          .field("site", cbk_site_name(c.site)).field("group", c.group).field("code", c.code).field("slot", c.slot)
          .end_object();
    w.end_array().field("dropped_codes", static_cast<std::uint64_t>(topic.dropped))
        .field("baseline_count", static_cast<std::uint64_t>(kb)).field("steered_count", static_cast<std::uint64_t>(ks))
        .field("samples", static_cast<std::uint64_t>(per))
        .field("baseline_share", per ? static_cast<double>(kb) / static_cast<double>(per) : 0.0)
        .field("steered_share", per ? static_cast<double>(ks) / static_cast<double>(per) : 0.0)
        .field("baseline_loss", base_loss).field("steered_loss", steered_loss)
        .field("steered_loss_tokens", static_cast<std::uint64_t>(steered_tokens));
    if (a.show > 0) {
      w.key("baseline_samples").begin_array();
      for (std::size_t i = 0; i < std::min(a.show, per); ++i) {
        write_sample(w, run.conditions[0][i], a);
        w.field("on_topic", static_cast<bool>(v.on[0][t][i])).end_object();
      }
      w.end_array().key("steered_samples").begin_array();
      for (std::size_t i = 0; i < std::min(a.show, per); ++i) {
        write_sample(w, run.conditions[1 + t][i], a);
        w.field("on_topic", static_cast<bool>(v.on[1 + t][t][i])).end_object();
      }
      w.end_array();
    }
    w.end_object();
  }
  w.end_array().key("run").begin_object().field("threads", a.opt.threads).field("elapsed_s", seconds).end_object();
  w.end_object();
  std::printf("%s\n", w.str().c_str());
}

void print_samples(const char* title, const std::vector<steer::Sample>& xs, const std::vector<bool>& on, const Args& a) {
  for (std::size_t i = 0; i < std::min(a.show, xs.size()); ++i) {
    const steer::Sample& x = xs[i];
    std::printf("--- %s sample %zu (seed %llu, stop %s, loss %.3f, on topic: %s)\n%s\n", title, i,
                static_cast<unsigned long long>(x.seed), x.stop, x.loss(), on[i] ? "yes" : "no", x.text.c_str());
  }
}

void write_text(const Args& a, const cbk_model* m, const std::vector<Topic>& topics, const steer::Run& run,
                const Verdicts& v, double seconds) {
  const std::size_t per = run.conditions[0].size();
  std::size_t base_tokens = 0;
  const double base_loss = steer::mean_loss(run.conditions[0], &base_tokens);
  const std::string name = model_name(m);
  std::printf("steer-eval %s%s%s%s: %zu prompts x %zu samples, %lld new tokens, temperature %g, seeds %llu-%llu, "
              "%u threads, %.1f s\n",
              a.model.c_str(), name.empty() ? "" : " (", name.c_str(), name.empty() ? "" : ")", a.opt.prompts.size(),
              a.opt.samples_per_prompt, a.opt.new_tokens, static_cast<double>(a.opt.temperature),
              static_cast<unsigned long long>(a.opt.seed), static_cast<unsigned long long>(a.opt.seed + per - 1),
              a.opt.threads, seconds);
  std::size_t wname = 5;
  for (const Topic& t : topics) wname = std::max(wname, t.name.size());
  const int w = static_cast<int>(wname);
  std::printf("%-*s | codes | baseline %%         | steered %%          | loss (unsteered samples) | loss (steered samples)\n",
              w, "topic");
  for (std::size_t t = 0; t < topics.size(); ++t) {
    std::size_t steered_tokens = 0;
    const double steered_loss = steer::mean_loss(run.conditions[1 + t], &steered_tokens);
    const std::size_t kb = count(v.on[0][t]), ks = count(v.on[1 + t][t]);
    char base[96], steered[96];
    std::snprintf(base, sizeof base, "%5.1f (%zu/%zu)", percent(kb, per), kb, per);
    std::snprintf(steered, sizeof steered, "%5.1f (%zu/%zu)", percent(ks, per), ks, per);
    std::printf("%-*s | %5zu | %-18s | %-18s | %24.3f | %22.3f\n", w, topics[t].name.c_str(), topics[t].codes.size(),
                base, steered, base_loss, steered_loss);
  }
  for (const Topic& t : topics)
    if (t.dropped)
      std::printf("note: %s: %zu annotated codes left out (at most %s codes per head)\n", t.name.c_str(), t.dropped,
                  a.max_per_head == UINT32_MAX ? "k" : std::to_string(a.max_per_head).c_str());
  if (v.failed) std::printf("note: a regex match overran std::regex's limits; counted as no match\n");
  if (a.show == 0) return;
  for (std::size_t t = 0; t < topics.size(); ++t) {
    std::printf("\n=== %s (regex %s)\n", topics[t].name.c_str(), topics[t].pattern.c_str());
    print_samples("baseline", run.conditions[0], v.on[0][t], a);
    print_samples("steered", run.conditions[1 + t], v.on[1 + t][t], a);
  }
}

}  // namespace

int run_steer_eval(const std::vector<std::string>& args) {
  Args a;
  if (int rc = parse_args(args, &a); rc >= 0) return rc;
  const auto start = std::chrono::steady_clock::now();
  cbk_status st = CBK_STATUS_OK;
  const cbk_model_params params = model_params(false);
  model_ptr model = load_model(a.model.c_str(), &params, &st);
  if (!model) return api_failure("steer-eval", st);
  cbk_tokenizer_info tok = sized<cbk_tokenizer_info>();
  if ((st = cbk_model_tokenizer_info(model.get(), &tok))) return api_failure("steer-eval", st);
  if (!tok.has_tokenizer)
    return failure("steer-eval", "unsupported: the model has no tokenizer (the samples are decoded to match the topic regexes)");
  std::vector<Topic> topics;
  std::string error;
  if (!select_topics(model.get(), a.topics, a.max_per_head, &topics, &error)) return failure("steer-eval", error);

  steer::Run run;
  if (ApiError e = steer::run(model.get(), topics, a.opt, stderr_is_terminal(), &run); !e.ok())
    return failure("steer-eval", std::string(cbk_status_string(e.status)) + ": " + e.message);
  const Verdicts v = judge(topics, run);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (a.json) write_json(a, model.get(), topics, run, v, seconds);
  else write_text(a, model.get(), topics, run, v, seconds);
  return kExitOk;
}

}  // namespace cbk::cli
