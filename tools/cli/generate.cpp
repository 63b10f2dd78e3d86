// `cbk generate`: run a prompt through the engine, sample new tokens, show or dump the codes.
// Thin over runtime/engine: argument parsing and output formatting only.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/engine/prepared_model.hpp"
#include "runtime/engine/session.hpp"
#include "runtime/loader/load_model.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/json_writer.hpp"
#include "tools/cli/steering_flags.hpp"

namespace cbk::cli {
namespace {

constexpr const char* kGenerateUsage =
    "usage: cbk generate MODEL.cbk (-p TEXT | --prompt-ids 10,3,4) [options]\n"
    "  -n N                 new tokens to generate (default: the model's generation defaults)\n"
    "  --seed S             sampling seed\n"
    "  --temp T             temperature (0 = greedy)\n"
    "  --top-k K            keep the K most likely tokens (0 = off)\n"
    "  --top-p P            nucleus sampling (1 = off)\n"
    "  --ignore-eos         keep generating after the end-of-text token\n"
    "  --show-codes         print every token's code ids per codebook group\n"
    "  --json               print one JSON object: tokens, text, codes\n"
    "  --trace FILE         write the full code trace (ids and scores) as JSON to FILE\n"
    "  --force LAYER:SITE:GROUP:CODE[@POSITIONS][/SLOT|/all|/append][*STRENGTH]\n"
    "  --disable LAYER:SITE:GROUP:CODE[,CODE|topN...][@POSITIONS][/keep|/zero]\n"
    "  --bypass LAYER:SITE[:GROUP]\n"
    "  GROUP: index or *; POSITIONS: all | generated | P,A-B,... (absolute, inclusive ranges)\n";

struct Args {
  std::string model;
  std::string prompt_text;
  bool has_text = false;
  std::vector<std::int32_t> prompt_ids;
  bool has_ids = false;
  long long n = -1;
  bool has_seed = false;
  std::uint64_t seed = 0;
  bool has_temp = false, has_top_k = false, has_top_p = false;
  float temp = 1.0f, top_p = 1.0f;
  std::uint32_t top_k = 0;
  bool ignore_eos = false, show_codes = false, json = false;
  std::string trace_file;
  Steering steering;
};

int usage_error(const std::string& why) {
  std::fprintf(stderr, "cbk generate: %s\n%s", why.c_str(), kGenerateUsage);
  return kExitUsage;
}

int failure(const Error& e) {
  std::fprintf(stderr, "cbk generate: %s: %s\n", status_name(e.status), e.message.c_str());
  return kExitFailure;
}

bool parse_number(const std::string& s, double* out) {
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

bool parse_ids(const std::string& s, std::vector<std::int32_t>* out) {
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    const std::string item = s.substr(start, comma - start);
    char* end = nullptr;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || end != item.c_str() + item.size() || v < -2147483647ll || v > 2147483647ll) return false;
    out->push_back(static_cast<std::int32_t>(v));
    start = comma + 1;
  }
  return !out->empty();
}

// Returns -1 when parsing succeeded, else the exit code.
int parse_args(const std::vector<std::string>& args, Args* a) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto next = [&](std::string* v) {
      if (i + 1 >= args.size()) return false;
      *v = args[++i];
      return true;
    };
    std::string v, err;
    double num = 0.0;
    if (arg == "-h" || arg == "--help") {
      std::fputs(kGenerateUsage, stdout);
      return kExitOk;
    } else if (arg == "-p" || arg == "--prompt") {
      if (!next(&a->prompt_text)) return usage_error(arg + " needs a value");
      a->has_text = true;
    } else if (arg == "--prompt-ids") {
      if (!next(&v) || !parse_ids(v, &a->prompt_ids)) return usage_error("--prompt-ids needs ids like 10,3,4");
      a->has_ids = true;
    } else if (arg == "-n") {
      if (!next(&v) || !parse_number(v, &num) || num < 0 || num > 1e9 || num != static_cast<long long>(num))
        return usage_error("-n needs a non-negative integer");
      a->n = static_cast<long long>(num);
    } else if (arg == "--seed") {
      char* end = nullptr;
      if (!next(&v) || v.empty() || (a->seed = std::strtoull(v.c_str(), &end, 10), end != v.c_str() + v.size()))
        return usage_error("--seed needs an unsigned integer");
      a->has_seed = true;
    } else if (arg == "--temp") {
      if (!next(&v) || !parse_number(v, &num) || num < 0) return usage_error("--temp needs a number >= 0");
      a->temp = static_cast<float>(num);
      a->has_temp = true;
    } else if (arg == "--top-k") {
      if (!next(&v) || !parse_number(v, &num) || num < 0 || num > 4e9 || num != static_cast<long long>(num))
        return usage_error("--top-k needs a non-negative integer");
      a->top_k = static_cast<std::uint32_t>(num);
      a->has_top_k = true;
    } else if (arg == "--top-p") {
      if (!next(&v) || !parse_number(v, &num) || !(num > 0 && num <= 1)) return usage_error("--top-p needs a number in (0, 1]");
      a->top_p = static_cast<float>(num);
      a->has_top_p = true;
    } else if (arg == "--ignore-eos") {
      a->ignore_eos = true;
    } else if (arg == "--show-codes") {
      a->show_codes = true;
    } else if (arg == "--json") {
      a->json = true;
    } else if (arg == "--trace") {
      if (!next(&a->trace_file)) return usage_error("--trace needs a file name");
    } else if (arg == "--force" || arg == "--disable" || arg == "--bypass") {
      if (!next(&v)) return usage_error(arg + " needs a value");
      const bool ok = arg == "--force"     ? parse_force_flag(v, &a->steering, &err)
                      : arg == "--disable" ? parse_disable_flag(v, &a->steering, &err)
                                           : parse_bypass_flag(v, &a->steering, &err);
      if (!ok) return usage_error(err);
    } else if (!arg.empty() && arg[0] == '-') {
      return usage_error("unknown option '" + arg + "'");
    } else if (a->model.empty()) {
      a->model = arg;
    } else {
      return usage_error("only one model file, got '" + arg + "' too");
    }
  }
  if (a->model.empty()) return usage_error("no model file");
  if (a->has_text == a->has_ids) return usage_error("give exactly one of -p TEXT and --prompt-ids");
  return -1;
}

// Replaces invalid UTF-8 (a token boundary can split a character) with U+FFFD so JSON stays valid.
std::string valid_utf8(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t j = 1; ok && j < len; ++j) ok = (static_cast<unsigned char>(s[i + j]) & 0xC0) == 0x80;
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

// codes: [{layer, site, group, ids: [[...] per token], scores: [[...] per token]}]
void write_codes(JsonWriter& w, const Session& s, bool with_scores) {
  const auto& books = s.model().codebooks();
  w.begin_array();
  for (std::size_t c = 0; c < books.size(); ++c) {
    const std::size_t slots = s.trace_slots(c);
    for (std::size_t g = 0; g < books[c].groups; ++g) {
      const std::int32_t* ids = s.trace_ids(c, g);
      const float* scores = s.trace_scores(c, g);
      w.begin_object().field("layer", books[c].layer).field("site", to_string(books[c].site)).field("group", static_cast<std::uint64_t>(g));
      w.key("ids").begin_array();
      for (std::size_t p = 0; p < s.position(); ++p) {
        w.begin_array();
        for (std::size_t k = 0; k < slots; ++k)
          if (ids[p * slots + k] != kTraceNoSlot) w.value(ids[p * slots + k]);
        w.end_array();
      }
      w.end_array();
      if (with_scores) {
        w.key("scores").begin_array();
        for (std::size_t p = 0; p < s.position(); ++p) {
          w.begin_array();
          for (std::size_t k = 0; k < slots; ++k)
            if (ids[p * slots + k] != kTraceNoSlot) w.value(static_cast<double>(scores[p * slots + k]));
          w.end_array();
        }
        w.end_array();
      }
      w.end_object();
    }
  }
  w.end_array();
}

void print_codes_text(const Session& s, const Tokenizer* tok, const std::vector<std::int32_t>& tokens) {
  const auto& books = s.model().codebooks();
  for (std::size_t p = 0; p < s.position(); ++p) {
    std::string text;
    if (tok == nullptr || !tok->token_text(tokens[p], &text).ok()) text = "";
    std::printf("%4zu %6d %s\n", p, tokens[p], json_escape(valid_utf8(text)).c_str());
    for (std::size_t c = 0; c < books.size(); ++c) {
      const std::size_t slots = s.trace_slots(c);
      std::printf("       L%u %-17s", books[c].layer, to_string(books[c].site));
      for (std::size_t g = 0; g < books[c].groups; ++g) {
        const std::int32_t* ids = s.trace_ids(c, g) + p * slots;
        std::printf(" %s", g ? "|" : "");
        for (std::size_t k = 0; k < slots; ++k)
          if (ids[k] != kTraceNoSlot) std::printf("%d%s", ids[k], k + 1 < slots && ids[k + 1] != kTraceNoSlot ? "," : "");
      }
      std::printf("\n");
    }
  }
}

}  // namespace

int run_generate(const std::vector<std::string>& args) {
  Args a;
  if (int rc = parse_args(args, &a); rc >= 0) return rc;

  std::shared_ptr<const Model> model;
  if (Error e = load_model_file(a.model, LoadOptions{}, &model); !e.ok()) return failure(e);
  std::shared_ptr<const PreparedModel> pm;
  if (Error e = PreparedModel::prepare(model, &pm); !e.ok()) return failure(e);
  const GenerationDefaults& defaults = model->generation();
  const Tokenizer* tok = pm->tokenizer();

  std::vector<std::int32_t> tokens = a.prompt_ids;
  if (a.has_text) {
    if (tok == nullptr) return failure(Error(Status::unsupported, "the model has no tokenizer; use --prompt-ids"));
    if (Error e = tok->encode(a.prompt_text, &tokens); !e.ok()) return failure(e);
    if (model->tokenizer().add_bos && model->tokenizer().bos_id >= 0) tokens.insert(tokens.begin(), model->tokenizer().bos_id);
    if (tokens.empty()) return failure(Error(Status::invalid_argument, "the prompt encodes to no tokens"));
  }

  SessionOptions opt;
  opt.trace = a.json || a.show_codes || !a.trace_file.empty();
  opt.seed = a.has_seed ? a.seed : defaults.seed;
  std::unique_ptr<Session> s;
  if (Error e = Session::create(pm, opt, &s); !e.ok()) return failure(e);
  if (Error e = s->set_steering(a.steering); !e.ok()) return failure(e);

  SamplingParams sp;
  sp.temperature = a.has_temp ? a.temp : defaults.temperature;
  sp.top_k = a.has_top_k ? a.top_k : defaults.top_k;
  sp.top_p = a.has_top_p ? a.top_p : defaults.top_p;
  const long long n_new = a.n >= 0 ? a.n : static_cast<long long>(defaults.max_new_tokens);

  if (Error e = s->prefill(tokens.data(), tokens.size()); !e.ok()) return failure(e);
  const std::size_t n_prompt = tokens.size();
  const std::int32_t eos = model->tokenizer().eos_id;
  std::string stop = "length";
  for (long long i = 0; i < n_new; ++i) {
    if (s->position() >= s->capacity()) {
      stop = "context_full";
      break;
    }
    std::int32_t next = -1;
    if (Error e = s->sample(sp, &next); !e.ok()) return failure(e);
    if (Error e = s->decode(next); !e.ok()) return failure(e);
    tokens.push_back(next);
    if (!a.ignore_eos && model->has_tokenizer() && next == eos) {
      stop = "eos";
      break;
    }
  }

  std::string text, completion;
  if (tok != nullptr) {
    if (Error e = tok->decode(tokens.data(), tokens.size(), &text); !e.ok()) return failure(e);
    if (Error e = tok->decode(tokens.data() + n_prompt, tokens.size() - n_prompt, &completion); !e.ok())
      return failure(e);
  }

  if (!a.trace_file.empty()) {
    JsonWriter w;
    w.begin_object().field("format", "cbk-trace-v1").key("tokens").begin_array();
    for (std::int32_t t : tokens) w.value(t);
    w.end_array().field("n_prompt", static_cast<std::uint64_t>(n_prompt)).key("codes");
    write_codes(w, *s, true);
    w.end_object();
    std::ofstream out(a.trace_file, std::ios::binary);
    out << w.str() << "\n";
    if (!out) return failure(Error(Status::io_error, "cannot write trace file '" + a.trace_file + "'"));
  }

  if (a.json) {
    JsonWriter w;
    w.begin_object().key("tokens").begin_array();
    for (std::int32_t t : tokens) w.value(t);
    w.end_array().field("n_prompt", static_cast<std::uint64_t>(n_prompt));
    if (tok != nullptr) w.field("text", valid_utf8(text)).field("completion", valid_utf8(completion));
    else w.key("text").null().key("completion").null();
    w.field("stop", stop).key("codes");
    write_codes(w, *s, true);
    w.end_object();
    std::printf("%s\n", w.str().c_str());
    return kExitOk;
  }
  if (tok != nullptr) {
    std::printf("%s\n", text.c_str());
  } else {
    for (std::size_t i = 0; i < tokens.size(); ++i) std::printf("%s%d", i ? "," : "", tokens[i]);
    std::printf("\n");
  }
  if (a.show_codes) print_codes_text(*s, tok, tokens);
  return kExitOk;
}

}  // namespace cbk::cli
