// Sampling a continuation and scoring tokens, shared by generate, eval and steer-eval (C API only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bindings/c/include/cbk.h"

namespace cbk::cli {

// Prefills *tokens (the prompt, non-empty) into the empty session `s`, then samples up to n_new
// tokens with `sampling` and the session's RNG, running and appending each. Stops early after
// `eos` (when >= 0) or when the context is full. *stop: "length", "eos" or "context_full".
cbk_status sample_continuation(cbk_session* s, const cbk_sampling_params& sampling, long long n_new,
                               std::int32_t eos, std::vector<std::int32_t>* tokens, const char** stop);

// -log softmax(row)[target] over `vocab` logits, in double (log-sum-exp shifted by the maximum).
// *best (when not NULL) receives the first index of the largest logit.
double token_nll(const float* row, std::size_t vocab, std::int32_t target, std::size_t* best = nullptr);

}  // namespace cbk::cli
