#include "tools/cli/sampling.hpp"

#include <cmath>

namespace cbk::cli {

cbk_status sample_continuation(cbk_session* s, const cbk_sampling_params& sampling, long long n_new,
                               std::int32_t eos, std::vector<std::int32_t>* tokens, const char** stop) {
  *stop = "length";
  if (cbk_status st = cbk_session_prefill(s, tokens->data(), tokens->size())) return st;
  for (long long i = 0; i < n_new; ++i) {
    if (cbk_session_position(s) >= cbk_session_context_size(s)) {
      *stop = "context_full";
      break;
    }
    std::int32_t next = -1;
    if (cbk_status st = cbk_session_sample(s, &sampling, &next)) return st;
    if (cbk_status st = cbk_session_decode(s, next)) return st;
    tokens->push_back(next);
    if (eos >= 0 && next == eos) {
      *stop = "eos";
      break;
    }
  }
  return CBK_STATUS_OK;
}

double token_nll(const float* row, std::size_t vocab, std::int32_t target, std::size_t* best) {
  std::size_t top = 0;
  for (std::size_t v = 1; v < vocab; ++v) top = row[v] > row[top] ? v : top;
  double sum = 0.0;
  for (std::size_t v = 0; v < vocab; ++v) sum += std::exp(static_cast<double>(row[v]) - row[top]);
  if (best) *best = top;
  return std::log(sum) + row[top] - row[target];
}

}  // namespace cbk::cli
