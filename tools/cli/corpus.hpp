// A corpus for eval/codes/search: a text file tokenized with the model's tokenizer, or a file of
// token ids (whitespace/comma separated). It is run in independent windows of the context length.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bindings/c/include/cbk.hpp"

namespace cbk::cli {

struct Corpus {
  std::vector<std::int32_t> tokens;
};

// On failure returns false with a one-line *error ("io_error: ...").
bool load_corpus(const cbk_model* model, const std::string& path, bool ids, Corpus* out, std::string* error);

// [begin, end) token ranges of at most `context` tokens covering the corpus.
std::vector<std::pair<std::size_t, std::size_t>> windows(std::size_t n_tokens, std::size_t context);

// Runs every window through one traced session (reset between windows) and calls
// visit(session, first token index of the window) after each prefill. Shows progress.
// `threads`: cbk_session_params.n_threads.
cbk_status run_windows(const cbk_model* model, const Corpus& corpus, std::size_t context, std::uint32_t threads,
                       const char* label, const std::function<void(const cbk_session*, std::size_t)>& visit);

// The session context: `requested` (0 = the model's max_positions), refused above it.
bool context_size(const cbk_model* model, long long requested, std::size_t* out, std::string* error);

}  // namespace cbk::cli
