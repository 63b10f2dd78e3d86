// Helpers shared by the verbs built on the C API (cbk.h): error reporting, model loading, codebook
// and token facts, argument parsing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bindings/c/include/cbk.hpp"

namespace cbk::cli {

// A C API output struct, zeroed, with struct_size set.
template <class T>
T sized() {
  T v{};
  v.struct_size = sizeof(T);
  return v;
}

// Prints "cbk VERB: STATUS: MESSAGE" (the C API's last error) and returns kExitFailure.
int api_failure(const char* verb, cbk_status status);
// Prints "cbk VERB: MESSAGE" and returns kExitFailure.
int failure(const char* verb, const std::string& message);
// Prints "cbk VERB: WHY" and the usage text to stderr and returns kExitUsage.
int usage_error(const char* verb, const std::string& why, const char* usage);

struct CodebookRef {
  cbk_codebook_info info;
  const char* site_name;
};
std::vector<CodebookRef> codebooks(const cbk_model* model);

// The label the file's annotations give (codebook, group, code); "" when there is none.
std::string annotation_label(const cbk_model* model, std::size_t codebook, std::uint32_t group, std::int32_t code);

// The bytes of one token ("" when the model has no tokenizer, for a padding id, or an unknown id).
std::string token_text(const cbk_model* model, std::int32_t id);
// Replaces invalid UTF-8 (a token boundary can split a character) with U+FFFD so JSON stays valid.
std::string valid_utf8(const std::string& s);

// Text -> ids with the model's tokenizer (BOS prepended when the model asks for it and add_bos).
cbk_status tokenize(const cbk_model* model, const std::string& text, bool add_bos, std::vector<std::int32_t>* out);
// Ids -> text; padding ids (a padded vocabulary) add nothing. Empty when the model has no tokenizer.
cbk_status detokenize(const cbk_model* model, const std::vector<std::int32_t>& ids, std::string* out);

bool parse_number(const std::string& s, double* out);
bool parse_count(const std::string& s, long long low, long long high, long long* out);
// --threads N: threads per session (cbk_session_params.n_threads), 1..256.
inline constexpr const char* kThreadsError = "--threads needs an integer in [1, 256]";
bool parse_threads(const std::string& s, std::uint32_t* out);

// --no-mmap (generate, eval, bench): read the model into memory instead of mapping it. Large
// buffers get transparent huge pages, which makes decode of big models faster (fewer TLB misses
// stalling the prefetcher); the load takes longer. Returns the default model parameters, with
// use_mmap cleared when no_mmap.
cbk_model_params model_params(bool no_mmap);
// "10,3,4" or any whitespace/comma separated list of integer ids.
bool parse_ids(const std::string& s, std::vector<std::int32_t>* out);

bool read_file(const std::string& path, std::string* out);

// "a,b,,c" split at every `sep` (empty items kept; "" gives one empty item).
std::vector<std::string> split(const std::string& s, char sep);

// The last branch of a verb's argument loop: `arg` is an unknown option or the model file (only one).
// Returns "" when it was taken as *model, else the usage error's text.
std::string take_model_arg(const std::string& arg, std::string* model);

}  // namespace cbk::cli
