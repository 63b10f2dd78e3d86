#include "tools/cli/corpus.hpp"

#include <algorithm>

#include "tools/cli/api_util.hpp"
#include "tools/cli/progress.hpp"

namespace cbk::cli {

bool load_corpus(const cbk_model* model, const std::string& path, bool ids, Corpus* out, std::string* error) {
  std::string text;
  if (!read_file(path, &text)) return *error = "io_error: cannot read '" + path + "'", false;
  if (ids) {
    if (!parse_ids(text, &out->tokens))
      return *error = "invalid_argument: '" + path + "' is not a list of token ids", false;
    return true;
  }
  if (cbk_status st = tokenize(model, text, false, &out->tokens))
    return *error = std::string(cbk_status_string(st)) + ": " + cbk_last_error_message(), false;
  if (out->tokens.empty()) return *error = "invalid_argument: '" + path + "' has no tokens", false;
  return true;
}

std::vector<std::pair<std::size_t, std::size_t>> windows(std::size_t n_tokens, std::size_t context) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (std::size_t b = 0; b < n_tokens; b += context) out.emplace_back(b, std::min(n_tokens, b + context));
  return out;
}

cbk_status run_windows(const cbk_model* model, const Corpus& corpus, std::size_t context, std::uint32_t threads,
                       const char* label, const std::function<void(const cbk_session*, std::size_t)>& visit) {
  cbk_session_params sp = cbk_session_default_params();
  sp.n_threads = threads;
  sp.trace = 1;
  sp.max_context = static_cast<std::uint32_t>(context);
  cbk_status st = CBK_STATUS_OK;
  session_ptr session = create_session(model, &sp, &st);
  if (!session) return st;
  const auto ws = windows(corpus.tokens.size(), context);
  Progress progress(label, ws.size());
  for (std::size_t i = 0; i < ws.size(); ++i) {
    if ((st = cbk_session_reset(session.get()))) return st;
    if ((st = cbk_session_prefill(session.get(), corpus.tokens.data() + ws[i].first, ws[i].second - ws[i].first)))
      return st;
    visit(session.get(), ws[i].first);
    progress.update(i + 1);
  }
  return CBK_STATUS_OK;
}

bool context_size(const cbk_model* model, long long requested, std::size_t* out, std::string* error) {
  cbk_architecture a = sized<cbk_architecture>();
  cbk_model_architecture(model, &a);
  if (requested > static_cast<long long>(a.max_positions))
    return *error = "--context " + std::to_string(requested) + " is above the model's " +
                    std::to_string(a.max_positions), false;
  *out = requested > 0 ? static_cast<std::size_t>(requested) : a.max_positions;
  return true;
}

}  // namespace cbk::cli
