// `cbk generate`: run a prompt through the engine, sample new tokens, show or dump the codes.
// Built on the C API only: argument parsing and output formatting.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tools/cli/api_util.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/json_writer.hpp"
#include "tools/cli/sampling.hpp"
#include "tools/cli/steering_flags.hpp"

namespace cbk::cli {
namespace {

constexpr const char* kGenerateUsage =
    "usage: cbk generate MODEL.cbk (-p TEXT | --prompt-ids 10,3,4) [options]\n"
    "  -n N                 new tokens to generate (default: the model's generation defaults)\n"
    "  --seed S             sampling seed\n"
    "  --threads N          threads per session (default 1; results are identical for any N)\n"
    "  --no-mmap            read the model into memory (huge pages: faster decode of large models)\n"
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
  std::uint32_t threads = 1;
  bool no_mmap = false;
  bool ignore_eos = false, show_codes = false, json = false;
  std::string trace_file;
  std::vector<SteerFlag> steering;
};

int usage_error(const std::string& why) { return cbk::cli::usage_error("generate", why, kGenerateUsage); }

int failure(cbk_status st) { return api_failure("generate", st); }

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
      if (!next(&v) || v.find_first_of(" \t\n") != std::string::npos || !parse_ids(v, &a->prompt_ids)) return usage_error("--prompt-ids needs ids like 10,3,4");
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
    } else if (arg == "--threads") {
      if (!next(&v) || !parse_threads(v, &a->threads)) return usage_error(kThreadsError);
    } else if (arg == "--no-mmap") {
      a->no_mmap = true;
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
    } else if (const std::string why = take_model_arg(arg, &a->model); !why.empty()) {
      return usage_error(why);
    }
  }
  if (a->model.empty()) return usage_error("no model file");
  if (a->has_text == a->has_ids) return usage_error("give exactly one of -p TEXT and --prompt-ids");
  return -1;
}

// codes: [{layer, site, group, ids: [[...] per token], scores: [[...] per token]}]
void write_codes(JsonWriter& w, const cbk_session* s, const std::vector<CodebookRef>& books, bool with_scores) {
  w.begin_array();
  for (std::size_t c = 0; c < books.size(); ++c) {
    for (std::uint32_t g = 0; g < books[c].info.groups; ++g) {
      const std::int32_t* ids = nullptr;
      const float* scores = nullptr;
      std::size_t rows = 0, slots = 0;
      cbk_session_trace(s, c, g, &ids, &scores, &rows, &slots);  // cannot fail: tracing, valid indices
      w.begin_object().field("layer", books[c].info.layer).field("site", books[c].site_name)
          .field("group", static_cast<std::uint64_t>(g));
      w.key("ids").begin_array();
      for (std::size_t p = 0; p < rows; ++p) {
        w.begin_array();
        for (std::size_t k = 0; k < slots; ++k)
          if (ids[p * slots + k] != CBK_NO_SLOT) w.value(ids[p * slots + k]);
        w.end_array();
      }
      w.end_array();
      if (with_scores) {
        w.key("scores").begin_array();
        for (std::size_t p = 0; p < rows; ++p) {
          w.begin_array();
          for (std::size_t k = 0; k < slots; ++k)
            if (ids[p * slots + k] != CBK_NO_SLOT) w.value(static_cast<double>(scores[p * slots + k]));
          w.end_array();
        }
        w.end_array();
      }
      w.end_object();
    }
  }
  w.end_array();
}

// n_text_tokens: ids at or above it are padding rows of the embedding, which have no token text.
void print_codes_text(const cbk_model* m, const cbk_session* s, const std::vector<CodebookRef>& books,
                      const std::vector<std::int32_t>& tokens, std::uint32_t n_text_tokens) {
  for (std::size_t p = 0; p < cbk_session_position(s); ++p) {
    const bool padding = static_cast<std::uint32_t>(tokens[p]) >= n_text_tokens;
    std::printf("%4zu %6d %s\n", p, tokens[p],
                padding ? "(padding id: no text)" : json_escape(valid_utf8(token_text(m, tokens[p]))).c_str());
    for (std::size_t c = 0; c < books.size(); ++c) {
      std::printf("       L%u %-17s", books[c].info.layer, books[c].site_name);
      for (std::uint32_t g = 0; g < books[c].info.groups; ++g) {
        const std::int32_t* ids = nullptr;
        std::size_t slots = 0;
        cbk_session_codes(s, c, g, p, &ids, nullptr, &slots);
        std::printf(" %s", g ? "|" : "");
        for (std::size_t k = 0; k < slots; ++k) {
          if (ids[k] == CBK_NO_SLOT) continue;
          std::printf("%d", ids[k]);
          const std::string label = annotation_label(m, c, g, ids[k]);
          if (!label.empty()) std::printf(" (%s)", label.c_str());
          if (k + 1 < slots && ids[k + 1] != CBK_NO_SLOT) std::printf(",");
        }
      }
      std::printf("\n");
    }
  }
}

}  // namespace

int run_generate(const std::vector<std::string>& args) {
  Args a;
  if (int rc = parse_args(args, &a); rc >= 0) return rc;

  cbk_status st = CBK_STATUS_OK;
  const cbk_model_params params = model_params(a.no_mmap);
  model_ptr model = load_model(a.model.c_str(), &params, &st);
  if (!model) return failure(st);
  const cbk_model* m = model.get();
  cbk_generation_defaults defaults = sized<cbk_generation_defaults>();
  cbk_tokenizer_info tok = sized<cbk_tokenizer_info>();
  if ((st = cbk_model_generation_defaults(m, &defaults)) || (st = cbk_model_tokenizer_info(m, &tok))) return failure(st);
  const std::vector<CodebookRef> books = codebooks(m);

  std::vector<std::int32_t> tokens = a.prompt_ids;
  if (a.has_text) {
    if (!tok.has_tokenizer) return cbk::cli::failure("generate", "unsupported: the model has no tokenizer; use --prompt-ids");
    if ((st = tokenize(m, a.prompt_text, tok.add_bos != 0, &tokens))) return failure(st);
    if (tokens.empty()) return cbk::cli::failure("generate", "invalid_argument: the prompt encodes to no tokens");
  }

  cbk_session_params sp = cbk_session_default_params();
  sp.trace = a.json || a.show_codes || !a.trace_file.empty();
  sp.seed = a.has_seed ? a.seed : defaults.seed;
  sp.n_threads = a.threads;
  session_ptr session = create_session(m, &sp, &st);
  if (!session) return failure(st);
  cbk_session* s = session.get();
  if ((st = apply_steering(s, a.steering))) return failure(st);

  cbk_sampling_params sampling = cbk_sampling_default_params();
  sampling.temperature = a.has_temp ? a.temp : defaults.temperature;
  sampling.top_k = a.has_top_k ? a.top_k : defaults.top_k;
  sampling.top_p = a.has_top_p ? a.top_p : defaults.top_p;
  const long long n_new = a.n >= 0 ? a.n : static_cast<long long>(defaults.max_new_tokens);

  const std::size_t n_prompt = tokens.size();
  const char* stop = "length";
  const std::int32_t eos = !a.ignore_eos && tok.has_tokenizer ? tok.eos : -1;
  if ((st = sample_continuation(s, sampling, n_new, eos, &tokens, &stop))) return failure(st);

  // Padding ids (a padded vocabulary) decode to nothing; --json keeps them in "tokens".
  std::string text, completion;
  if (tok.has_tokenizer) {
    if ((st = detokenize(m, tokens, &text))) return failure(st);
    if ((st = detokenize(m, std::vector<std::int32_t>(tokens.begin() + static_cast<std::ptrdiff_t>(n_prompt), tokens.end()),
                         &completion)))
      return failure(st);
  }

  if (!a.trace_file.empty()) {
    JsonWriter w;
    w.begin_object().field("format", "cbk-trace-v1").key("tokens").begin_array();
    for (std::int32_t t : tokens) w.value(t);
    w.end_array().field("n_prompt", static_cast<std::uint64_t>(n_prompt)).key("codes");
    write_codes(w, s, books, true);
    w.end_object();
    std::ofstream out(a.trace_file, std::ios::binary);
    out << w.str() << "\n";
    if (!out) return cbk::cli::failure("generate", "io_error: cannot write trace file '" + a.trace_file + "'");
  }

  if (a.json) {
    JsonWriter w;
    w.begin_object().key("tokens").begin_array();
    for (std::int32_t t : tokens) w.value(t);
    w.end_array().field("n_prompt", static_cast<std::uint64_t>(n_prompt));
    if (tok.has_tokenizer) w.field("text", valid_utf8(text)).field("completion", valid_utf8(completion));
    else w.key("text").null().key("completion").null();
    w.field("stop", stop).key("codes");
    write_codes(w, s, books, true);
    w.end_object();
    std::printf("%s\n", w.str().c_str());
    return kExitOk;
  }
  if (tok.has_tokenizer) {
    std::printf("%s\n", text.c_str());
  } else {
    for (std::size_t i = 0; i < tokens.size(); ++i) std::printf("%s%d", i ? "," : "", tokens[i]);
    std::printf("\n");
  }
  if (a.show_codes) print_codes_text(m, s, books, tokens, tok.has_tokenizer ? tok.vocab_size : UINT32_MAX);
  return kExitOk;
}

}  // namespace cbk::cli
