// `cbk codes MODEL --layer L --site S --group G --code C CORPUS`: the top contexts of one code over
// a corpus, like the reference webapp's "Code Token Activations": every position where the code is
// active (in the first --top-k-slots slots), best score first, with a token window around it.
// With --promotes N, also (or, without a CORPUS, only) the N tokens whose logits the code's vector
// raises most directly (cbk_model_code_logits).
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <vector>

#include "tools/cli/api_util.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/corpus.hpp"
#include "tools/cli/json_writer.hpp"

namespace cbk::cli {
namespace {

constexpr const char* kCodesUsage =
    "usage: cbk codes MODEL.cbk --layer L --site SITE --group G --code C [CORPUS] [options]\n"
    "  Top contexts of a code: the corpus positions where it is active, best score first.\n"
    "  --promotes N      also the N tokens the code promotes most: its vector through the final\n"
    "                    LayerNorm and unembedding (cbk.h: cbk_model_code_logits); CORPUS optional\n"
    "  --ids             CORPUS holds token ids, not text\n"
    "  --top-k-slots N   active = in the first N slots (default: all k)\n"
    "  --top N           contexts to show (default 20)\n"
    "  --window W        tokens shown on each side (default 8)\n"
    "  --context N       window length of a run (default: the model's context)\n"
    "  --threads N       threads per session (default 1; results are identical for any N)\n"
    "  --json            one JSON object on stdout\n";

struct Activation {
  std::size_t position;
  std::size_t slot;
  float score;
};

struct Promoted {
  std::int32_t token;
  float logit;
};

// The n largest direct logits of a code, descending, ties to the lower token id.
cbk_status promoted_tokens(const cbk_model* m, std::size_t book, std::uint32_t group, std::uint32_t code,
                           std::size_t n, std::vector<Promoted>* out) {
  std::size_t vocab = 0;
  cbk_status st = cbk_model_code_logits(m, book, group, code, nullptr, 0, &vocab);
  if (st != CBK_STATUS_BUFFER_TOO_SMALL) return st;
  std::vector<float> logits(vocab);
  if ((st = cbk_model_code_logits(m, book, group, code, logits.data(), vocab, &vocab))) return st;
  std::vector<std::int32_t> ids(vocab);
  std::iota(ids.begin(), ids.end(), 0);
  n = std::min(n, vocab);
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end(), [&](std::int32_t a, std::int32_t b) {
    return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
  });
  out->clear();
  for (std::size_t i = 0; i < n; ++i) out->push_back({ids[i], logits[static_cast<std::size_t>(ids[i])]});
  return CBK_STATUS_OK;
}

}  // namespace

int run_codes(const std::vector<std::string>& args) {
  std::vector<std::string> pos;
  bool ids = false, json = false;
  long long layer = -1, group = -1, code = -1, top_k_slots = 0, top = 20, window = 8, context = 0, promotes = 0;
  std::string site_name;
  std::uint32_t threads = 1;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool has_value = i + 1 < args.size();
    auto count = [&](long long low, long long* out) { return has_value && parse_count(args[++i], low, 1ll << 31, out); };
    if (arg == "-h" || arg == "--help") { std::fputs(kCodesUsage, stdout); return kExitOk; }
    else if (arg == "--ids") ids = true;
    else if (arg == "--json") json = true;
    else if (arg == "--layer") { if (!count(0, &layer)) return usage_error("codes", "--layer needs an integer >= 0", kCodesUsage); }
    else if (arg == "--group") { if (!count(0, &group)) return usage_error("codes", "--group needs an integer >= 0", kCodesUsage); }
    else if (arg == "--code") { if (!count(0, &code)) return usage_error("codes", "--code needs an integer >= 0", kCodesUsage); }
    else if (arg == "--top-k-slots") { if (!count(1, &top_k_slots)) return usage_error("codes", "--top-k-slots needs an integer >= 1", kCodesUsage); }
    else if (arg == "--top") { if (!count(1, &top)) return usage_error("codes", "--top needs an integer >= 1", kCodesUsage); }
    else if (arg == "--promotes") { if (!count(1, &promotes)) return usage_error("codes", "--promotes needs an integer >= 1", kCodesUsage); }
    else if (arg == "--window") { if (!count(0, &window)) return usage_error("codes", "--window needs an integer >= 0", kCodesUsage); }
    else if (arg == "--context") { if (!count(1, &context)) return usage_error("codes", "--context needs an integer >= 1", kCodesUsage); }
    else if (arg == "--threads") { if (!has_value || !parse_threads(args[++i], &threads)) return usage_error("codes", kThreadsError, kCodesUsage); }
    else if (arg == "--site") {
      if (!has_value) return usage_error("codes", "--site needs a site name", kCodesUsage);
      site_name = args[++i];
    } else if (!arg.empty() && arg[0] == '-') return usage_error("codes", "unknown option '" + arg + "'", kCodesUsage);
    else pos.push_back(arg);
  }
  const bool with_corpus = pos.size() == 2;
  if (!with_corpus && !(pos.size() == 1 && promotes > 0))
    return usage_error("codes", "expected MODEL.cbk and CORPUS (CORPUS may be left out with --promotes)", kCodesUsage);
  if (layer < 0 || group < 0 || code < 0 || site_name.empty())
    return usage_error("codes", "--layer, --site, --group and --code are required", kCodesUsage);
  cbk_site site;
  if (cbk_site_from_name(site_name.c_str(), &site) != CBK_STATUS_OK)
    return usage_error("codes", "unknown site '" + site_name + "'", kCodesUsage);

  cbk_status st = CBK_STATUS_OK;
  model_ptr model = load_model(pos[0].c_str(), nullptr, &st);
  if (!model) return api_failure("codes", st);
  const cbk_model* m = model.get();
  std::size_t book = 0;
  if ((st = cbk_model_find_codebook(m, static_cast<std::uint32_t>(layer), site, &book))) return api_failure("codes", st);
  cbk_codebook_info info = sized<cbk_codebook_info>();
  cbk_model_codebook_info(m, book, &info);
  if (group >= info.groups) return failure("codes", "out_of_range: group " + std::to_string(group) + " (the codebook has " + std::to_string(info.groups) + ")");
  if (code >= info.codes) return failure("codes", "out_of_range: code " + std::to_string(code) + " (the codebook has " + std::to_string(info.codes) + ")");
  std::vector<Promoted> promoted;
  if (promotes > 0 && (st = promoted_tokens(m, book, static_cast<std::uint32_t>(group), static_cast<std::uint32_t>(code),
                                            static_cast<std::size_t>(promotes), &promoted)))
    return api_failure("codes", st);

  std::string error;
  Corpus corpus;
  std::vector<Activation> found;
  std::size_t n_active = 0;
  if (with_corpus) {
    std::size_t ctx = 0;
    if (!context_size(m, context, &ctx, &error)) return usage_error("codes", error, kCodesUsage);
    if (!load_corpus(m, pos[1], ids, &corpus, &error)) return failure("codes", error);
    st = run_windows(m, corpus, ctx, threads, "cbk codes", [&](const cbk_session* s, std::size_t first) {
      const std::int32_t* trace = nullptr;
      const float* scores = nullptr;
      std::size_t rows = 0, slots = 0;
      if (cbk_session_trace(s, book, static_cast<std::uint32_t>(group), &trace, &scores, &rows, &slots)) return;
      const std::size_t use = top_k_slots > 0 ? std::min<std::size_t>(slots, static_cast<std::size_t>(top_k_slots)) : slots;
      for (std::size_t p = 0; p < rows; ++p)
        for (std::size_t k = 0; k < use; ++k)
          if (trace[p * slots + k] == code) found.push_back({first + p, k, scores[p * slots + k]});
    });
    if (st != CBK_STATUS_OK) return api_failure("codes", st);
    n_active = found.size();
    std::stable_sort(found.begin(), found.end(), [](const Activation& a, const Activation& b) { return a.score > b.score; });
    if (found.size() > static_cast<std::size_t>(top)) found.resize(static_cast<std::size_t>(top));
  }

  const std::size_t n = corpus.tokens.size();
  const std::size_t w = static_cast<std::size_t>(window);
  JsonWriter j;
  if (json) {
    j.begin_object().field("layer", static_cast<std::uint64_t>(layer)).field("site", cbk_site_name(site))
        .field("group", static_cast<std::uint64_t>(group)).field("code", static_cast<std::uint64_t>(code));
    if (with_corpus)
      j.field("tokens", static_cast<std::uint64_t>(n)).field("active", static_cast<std::uint64_t>(n_active))
          .key("contexts").begin_array();
  } else if (with_corpus) {
    std::printf("L%lld %s group %lld code %lld: active at %zu of %zu tokens\n", layer, cbk_site_name(site), group, code,
                n_active, n);
  }
  for (const Activation& a : found) {
    const std::size_t begin = a.position > w ? a.position - w : 0, end = std::min(n, a.position + w + 1);
    if (json) {
      j.begin_object().field("position", static_cast<std::uint64_t>(a.position))
          .field("slot", static_cast<std::uint64_t>(a.slot)).field("score", static_cast<double>(a.score))
          .field("start", static_cast<std::uint64_t>(begin)).field("highlight", static_cast<std::uint64_t>(a.position - begin));
      j.key("tokens").begin_array();
      for (std::size_t p = begin; p < end; ++p) j.value(corpus.tokens[p]);
      j.end_array().key("texts").begin_array();
      for (std::size_t p = begin; p < end; ++p) j.value(valid_utf8(token_text(m, corpus.tokens[p])));
      j.end_array().end_object();
    } else {
      std::string line;
      for (std::size_t p = begin; p < end; ++p) {
        const std::string t = json_escape(valid_utf8(token_text(m, corpus.tokens[p])));
        line += p == a.position ? "[[" + t + "]]" : t;
      }
      std::printf("%8zu %9.4f  %s\n", a.position, static_cast<double>(a.score), line.c_str());
    }
  }
  if (json && with_corpus) j.end_array();
  if (promotes > 0) {
    if (json) j.key("promotes").begin_array();
    else std::printf("L%lld %s group %lld code %lld promotes (direct logit effect):\n", layer, cbk_site_name(site), group, code);
    for (const Promoted& p : promoted) {
      const std::string text = valid_utf8(token_text(m, p.token));
      if (json)
        j.begin_object().field("token", static_cast<std::int64_t>(p.token)).field("logit", static_cast<double>(p.logit))
            .field("text", text).end_object();
      else
        std::printf("%8d %9.4f  %s\n", p.token, static_cast<double>(p.logit), json_escape(text).c_str());
    }
    if (json) j.end_array();
  }
  if (json) {
    j.end_object();
    std::printf("%s\n", j.str().c_str());
  }
  return kExitOk;
}

}  // namespace cbk::cli
