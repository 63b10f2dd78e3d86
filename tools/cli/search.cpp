// `cbk search MODEL REGEX CORPUS`: which codes stand for a pattern, ranked as the reference's code
// browser does (codebook-semantics §5.2). Matched positions M = the tokens containing the start of
// regex group 1 (the whole match when the pattern has no group; empty groups are skipped). Per
// codebook group, for every code active (in the first --top-k-slots slots) on M:
// recall = hits on M / |M| (kept when > 0.01), precision = hits / all its activations in the
// corpus; sorted by precision. The regex is std::regex ECMAScript over the corpus bytes.
#include <algorithm>
#include <cstdio>
#include <map>
#include <regex>
#include <unordered_map>

#include "tools/cli/api_util.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/corpus.hpp"
#include "tools/cli/json_writer.hpp"

namespace cbk::cli {
namespace {

constexpr const char* kSearchUsage =
    "usage: cbk search MODEL.cbk REGEX CORPUS [options]\n"
    "  Codes ranked by precision on the positions REGEX matches (recall > 0.01).\n"
    "  --ids               CORPUS holds token ids, not text (decoded to text for the regex)\n"
    "  --top-k-slots N     count a code when it is in the first N slots (default: all k)\n"
    "  --min-precision P   drop codes below precision P (default 0)\n"
    "  --top N             codes kept per codebook group (default 8)\n"
    "  --context N         window length (default: the model's context)\n"
    "  --threads N         threads per session (default 1; results are identical for any N)\n"
    "  --json              one JSON object on stdout\n";

struct Hit {
  std::uint32_t layer;
  const char* site;
  std::uint32_t group;
  std::int32_t code;
  std::uint64_t hits, activations;
  double precision, recall;
};

}  // namespace

int run_search(const std::vector<std::string>& args) {
  std::vector<std::string> pos;
  bool ids = false, json = false;
  long long top_k_slots = 0, top = 8, context = 0;
  double min_precision = 0.0;
  std::uint32_t threads = 1;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool has_value = i + 1 < args.size();
    if (arg == "-h" || arg == "--help") { std::fputs(kSearchUsage, stdout); return kExitOk; }
    else if (arg == "--ids") ids = true;
    else if (arg == "--json") json = true;
    else if (arg == "--top-k-slots") {
      if (!has_value || !parse_count(args[++i], 1, 1 << 20, &top_k_slots))
        return usage_error("search", "--top-k-slots needs an integer >= 1", kSearchUsage);
    } else if (arg == "--top") {
      if (!has_value || !parse_count(args[++i], 1, 1ll << 31, &top))
        return usage_error("search", "--top needs an integer >= 1", kSearchUsage);
    } else if (arg == "--context") {
      if (!has_value || !parse_count(args[++i], 1, 1ll << 31, &context))
        return usage_error("search", "--context needs an integer >= 1", kSearchUsage);
    } else if (arg == "--threads") {
      if (!has_value || !parse_threads(args[++i], &threads)) return usage_error("search", kThreadsError, kSearchUsage);
    } else if (arg == "--min-precision") {
      if (!has_value || !parse_number(args[++i], &min_precision) || !(min_precision >= 0 && min_precision <= 1))
        return usage_error("search", "--min-precision needs a number in [0, 1]", kSearchUsage);
    } else if (arg.size() > 1 && arg[0] == '-' && arg[1] == '-') {
      return usage_error("search", "unknown option '" + arg + "'", kSearchUsage);
    } else {
      pos.push_back(arg);  // a REGEX may start with '-'
    }
  }
  if (pos.size() != 3) return usage_error("search", "expected MODEL.cbk, REGEX and CORPUS", kSearchUsage);
  std::regex re;
  try {
    re = std::regex(pos[1], std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return usage_error("search", "bad regex '" + pos[1] + "': " + e.what(), kSearchUsage);
  }

  cbk_status st = CBK_STATUS_OK;
  model_ptr model = load_model(pos[0].c_str(), nullptr, &st);
  if (!model) return api_failure("search", st);
  const cbk_model* m = model.get();
  std::string error;
  Corpus corpus;
  std::size_t ctx = 0;
  if (!context_size(m, context, &ctx, &error)) return usage_error("search", error, kSearchUsage);
  if (!load_corpus(m, pos[2], ids, &corpus, &error)) return failure("search", error);

  // The corpus text as the tokens spell it, and where each token starts in it.
  const std::size_t n = corpus.tokens.size();
  std::string text;
  std::vector<std::size_t> starts(n);
  for (std::size_t i = 0; i < n; ++i) {
    starts[i] = text.size();
    text += token_text(m, corpus.tokens[i]);
  }
  std::vector<bool> matched(n, false);
  const bool has_group = re.mark_count() > 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
    const std::size_t g = has_group ? 1 : 0;
    if (!(*it)[g].matched || (*it)[g].length() == 0) continue;
    const std::size_t offset = static_cast<std::size_t>(it->position(g));
    // The token whose span contains the offset: the last token starting at or before it.
    const std::size_t t = static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), offset) - starts.begin()) - 1;
    matched[t] = true;
  }
  const std::size_t n_matched = static_cast<std::size_t>(std::count(matched.begin(), matched.end(), true));

  const std::vector<CodebookRef> books = codebooks(m);
  // counts[codebook][group][code] = {hits on M, activations}
  std::vector<std::vector<std::unordered_map<std::int32_t, std::pair<std::uint64_t, std::uint64_t>>>> counts(books.size());
  for (std::size_t c = 0; c < books.size(); ++c) counts[c].resize(books[c].info.groups);
  st = run_windows(m, corpus, ctx, threads, "cbk search", [&](const cbk_session* s, std::size_t first) {
    for (std::size_t c = 0; c < books.size(); ++c)
      for (std::uint32_t g = 0; g < books[c].info.groups; ++g) {
        const std::int32_t* trace = nullptr;
        std::size_t rows = 0, slots = 0;
        if (cbk_session_trace(s, c, g, &trace, nullptr, &rows, &slots) != CBK_STATUS_OK) continue;
        const std::size_t use = top_k_slots > 0 ? std::min<std::size_t>(slots, static_cast<std::size_t>(top_k_slots)) : slots;
        for (std::size_t p = 0; p < rows; ++p)
          for (std::size_t k = 0; k < use; ++k) {
            const std::int32_t code = trace[p * slots + k];
            if (code < 0) continue;  // blocked or unfilled slot
            auto& e = counts[c][g][code];
            e.second += 1;
            e.first += matched[first + p] ? 1 : 0;
          }
      }
  });
  if (st != CBK_STATUS_OK) return api_failure("search", st);

  std::vector<Hit> results;
  for (std::size_t c = 0; c < books.size() && n_matched > 0; ++c)
    for (std::uint32_t g = 0; g < books[c].info.groups; ++g) {
      std::vector<Hit> group;
      for (const auto& [code, e] : counts[c][g]) {
        if (e.first == 0) continue;
        const double recall = static_cast<double>(e.first) / static_cast<double>(n_matched);
        const double precision = static_cast<double>(e.first) / static_cast<double>(e.second);
        if (recall > 0.01 && precision >= min_precision)
          group.push_back({books[c].info.layer, books[c].site_name, g, code, e.first, e.second, precision, recall});
      }
      std::sort(group.begin(), group.end(), [](const Hit& a, const Hit& b) {
        return a.precision != b.precision ? a.precision > b.precision
                                          : a.recall != b.recall ? a.recall > b.recall : a.code < b.code;
      });
      if (group.size() > static_cast<std::size_t>(top)) group.resize(static_cast<std::size_t>(top));
      results.insert(results.end(), group.begin(), group.end());
    }
  std::stable_sort(results.begin(), results.end(), [](const Hit& a, const Hit& b) { return a.precision > b.precision; });

  if (json) {
    JsonWriter j;
    j.begin_object().field("regex", pos[1]).field("tokens", static_cast<std::uint64_t>(n))
        .field("matched", static_cast<std::uint64_t>(n_matched)).key("codes").begin_array();
    for (const Hit& h : results)
      j.begin_object().field("layer", h.layer).field("site", h.site).field("group", h.group).field("code", h.code)
          .field("precision", h.precision).field("recall", h.recall).field("hits", h.hits)
          .field("activations", h.activations).end_object();
    j.end_array().end_object();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("%zu of %zu tokens match /%s/\n", n_matched, n, pos[1].c_str());
    std::printf("%5s %-17s %5s %7s %9s %7s %8s\n", "layer", "site", "group", "code", "precision", "recall", "hits");
    for (const Hit& h : results)
      std::printf("%5u %-17s %5u %7d %9.4f %7.4f %8llu\n", h.layer, h.site, h.group, h.code, h.precision, h.recall,
                  static_cast<unsigned long long>(h.hits));
  }
  return kExitOk;
}

}  // namespace cbk::cli
