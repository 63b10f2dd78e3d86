/* cbk_web.c — the few entry points the JavaScript API (web/src/cbk.js) needs beyond cbk.h.
 *
 * JavaScript calls the cbk_* functions of cbk.h directly. This file adds only what it cannot do
 * well itself:
 *  - 64-byte aligned buffers for models borrowed in place (CBK_MEMORY_BORROW needs the alignment);
 *  - 64-bit seeds passed as two 32-bit halves (no BigInt integration needed);
 *  - the prefill cancel callback, which asks JavaScript through cbk_web_js_should_cancel;
 *  - sample + decode in one call (one boundary crossing per generated token);
 *  - a DKVB classifier's whole value table in one call (in-page training writes it every step);
 *  - sizeof of every struct the JS side lays out, so a test can compare it with cbk.js's layouts.
 * Every function here follows cbk.h's conventions (status returns, outputs on success only). */
#include <emscripten/emscripten.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "cbk.h"

/* Asks the JavaScript side whether the operation with this cancel id should stop. A throwing
 * JS check counts as "stop" (an exception must never unwind through the library's frames). */
EM_JS(int, cbk_web_js_should_cancel, (uint32_t cancel_id), {
  var checks = Module['cbkCancelChecks'];
  var check = checks && checks.get(cancel_id);
  if (!check) return 0;
  try { return check() ? 1 : 0; } catch (e) { return 1; }
});

static int cancel_trampoline(void* user_data) {
  return cbk_web_js_should_cancel((uint32_t)(uintptr_t)user_data);
}

static uint64_t join_u64(uint32_t lo, uint32_t hi) { return ((uint64_t)hi << 32) | lo; }

/* `size` bytes (rounded up to 64) aligned to 64 bytes, or NULL (size 0, or out of memory).
 * Free with cbk_web_free. */
EMSCRIPTEN_KEEPALIVE void* cbk_web_alloc(size_t size) {
  if (size == 0 || size > SIZE_MAX - 63) return NULL;
  return aligned_alloc(64, (size + 63) & ~(size_t)63);
}

EMSCRIPTEN_KEEPALIVE void cbk_web_free(void* p) { free(p); }

/* Loads a model that borrows `data` (from cbk_web_alloc): the caller keeps `data` alive until the
 * model and all its sessions are freed. */
EMSCRIPTEN_KEEPALIVE cbk_status cbk_web_model_load(const void* data, size_t size, int verify_checksum,
                                                   cbk_model** model_out) {
  cbk_model_params mp = cbk_model_default_params();
  mp.verify_checksum = verify_checksum;
  return cbk_model_load_memory(data, size, CBK_MEMORY_BORROW, &mp, model_out);
}

/* cbk_session_create with the params as arguments. cancel_id != 0 installs the cancel callback,
 * which asks cbk_web_js_should_cancel(cancel_id) before every prefill chunk. */
EMSCRIPTEN_KEEPALIVE cbk_status cbk_web_session_create(const cbk_model* model, uint32_t max_context,
                                                       uint32_t prefill_chunk, int trace, uint32_t seed_lo,
                                                       uint32_t seed_hi, uint32_t cancel_id,
                                                       cbk_session** session_out) {
  cbk_session_params sp = cbk_session_default_params();
  sp.max_context = max_context;
  sp.prefill_chunk = prefill_chunk;
  sp.trace = trace;
  sp.seed = join_u64(seed_lo, seed_hi);
  if (cancel_id != 0) {
    sp.cancel = cancel_trampoline;
    sp.cancel_user_data = (void*)(uintptr_t)cancel_id;
  }
  return cbk_session_create(model, &sp, session_out);
}

EMSCRIPTEN_KEEPALIVE cbk_status cbk_web_session_set_seed(cbk_session* session, uint32_t seed_lo, uint32_t seed_hi) {
  return cbk_session_set_seed(session, join_u64(seed_lo, seed_hi));
}

static cbk_sampling_params sampling(float temperature, uint32_t top_k, float top_p) {
  cbk_sampling_params p = cbk_sampling_default_params();
  p.temperature = temperature;
  p.top_k = top_k;
  p.top_p = top_p;
  return p;
}

EMSCRIPTEN_KEEPALIVE cbk_status cbk_web_sample(cbk_session* session, float temperature, uint32_t top_k,
                                               float top_p, int32_t* token_out) {
  const cbk_sampling_params p = sampling(temperature, top_k, top_p);
  return cbk_session_sample(session, &p, token_out);
}

/* Samples the next token and runs it; *token_out is written only when both succeed. */
EMSCRIPTEN_KEEPALIVE cbk_status cbk_web_step(cbk_session* session, float temperature, uint32_t top_k,
                                             float top_p, int32_t* token_out) {
  const cbk_sampling_params p = sampling(temperature, top_k, top_p);
  int32_t token = -1;
  cbk_status st = cbk_session_sample(session, &p, &token);
  if (st == CBK_STATUS_OK) st = cbk_session_decode(session, token);
  if (st == CBK_STATUS_OK) *token_out = token;
  return st;
}

/* Sets every value row of a DKVB classifier from table[heads x pairs x value_dim] (n floats), one
 * cbk_dkvb_set_value per row. All or nothing for non-finite entries: the table is checked first, and
 * a bad row is passed alone to cbk_dkvb_set_value so that the library reports it (and changes
 * nothing). heads, pairs and value_dim must be the model's (cbk_model_dkvb_info); an index beyond
 * them fails with OUT_OF_RANGE at the first such row. */
EMSCRIPTEN_KEEPALIVE cbk_status cbk_web_dkvb_set_values(cbk_dkvb* dkvb, uint32_t heads, uint32_t pairs,
                                                        uint32_t value_dim, const float* table, size_t n) {
  if (table == NULL || (uint64_t)heads * pairs * value_dim != n) return CBK_STATUS_INVALID_ARGUMENT;
  for (size_t row = 0; row < (size_t)heads * pairs; ++row) {
    for (uint32_t j = 0; j < value_dim; ++j) {
      if (!isfinite(table[row * value_dim + j])) {
        return cbk_dkvb_set_value(dkvb, (uint32_t)(row / pairs), (int32_t)(row % pairs), table + row * value_dim, value_dim);
      }
    }
  }
  for (size_t row = 0; row < (size_t)heads * pairs; ++row) {
    const cbk_status st = cbk_dkvb_set_value(dkvb, (uint32_t)(row / pairs), (int32_t)(row % pairs),
                                             table + row * value_dim, value_dim);
    if (st != CBK_STATUS_OK) return st;
  }
  return CBK_STATUS_OK;
}

/* The value table a DKVB classifier uses (overrides included) into out[n], n = heads x pairs x
 * value_dim, one cbk_dkvb_value per row. */
EMSCRIPTEN_KEEPALIVE cbk_status cbk_web_dkvb_values(const cbk_dkvb* dkvb, uint32_t heads, uint32_t pairs,
                                                    uint32_t value_dim, float* out, size_t n) {
  if (out == NULL || (uint64_t)heads * pairs * value_dim != n) return CBK_STATUS_INVALID_ARGUMENT;
  for (size_t row = 0; row < (size_t)heads * pairs; ++row) {
    const cbk_status st = cbk_dkvb_value(dkvb, (uint32_t)(row / pairs), (int32_t)(row % pairs),
                                         out + row * value_dim, value_dim);
    if (st != CBK_STATUS_OK) return st;
  }
  return CBK_STATUS_OK;
}

/* sizeof of the structs cbk.js lays out, by name index (see STRUCTS in web/src/layout.js);
 * 0 for an unknown index. */
EMSCRIPTEN_KEEPALIVE size_t cbk_web_sizeof(int which) {
  switch (which) {
    case 0: return sizeof(cbk_architecture);
    case 1: return sizeof(cbk_codebook_info);
    case 2: return sizeof(cbk_code_annotation);
    case 3: return sizeof(cbk_code_context);
    case 4: return sizeof(cbk_tokenizer_info);
    case 5: return sizeof(cbk_file_info);
    case 6: return sizeof(cbk_parameter_counts);
    case 7: return sizeof(cbk_tensor_info);
    case 8: return sizeof(cbk_generation_defaults);
    case 9: return sizeof(cbk_target);
    case 10: return sizeof(cbk_positions);
    case 11: return sizeof(cbk_dkvb_info);
    case 12: return sizeof(cbk_protonet_info);
    default: return 0;
  }
}
