// C API: sessions — prefill, decode, sampling, logits and the code trace.
#include <cstddef>
#include <cstdint>

#include "bindings/c/cbk_c_internal.hpp"

using cbk::Status;
using cbk::capi::fail;
using cbk::capi::guarded;
using cbk::capi::null_argument;
using cbk::capi::report;

namespace {

// Validates the (codebook, group) of a trace read; on success *slots is the row stride.
cbk_status check_trace(const cbk_session* session, size_t codebook, uint32_t group, const char* fn, size_t* slots) {
  auto* s = const_cast<cbk_session*>(session);  // only its last_error changes
  if (!session->session->tracing())
    return fail(s, Status::wrong_state, fn, "the session records no codes (create it with params.trace = 1)");
  const auto& books = session->prepared->codebooks();
  if (codebook >= books.size())
    return fail(s, Status::out_of_range, fn, "codebook " + std::to_string(codebook) +
                                                 " is out of range (the model has " + std::to_string(books.size()) + ")");
  if (group >= books[codebook].groups)
    return fail(s, Status::out_of_range, fn, "group " + std::to_string(group) + " is out of range (codebook " +
                                                 std::to_string(codebook) + " has " +
                                                 std::to_string(books[codebook].groups) + ")");
  *slots = session->session->trace_slots(codebook);
  return CBK_STATUS_OK;
}

// cbk_session_params as API versions 1-3 had it (before max_memory_bytes).
constexpr std::size_t kSessionParamsV3Size = offsetof(cbk_session_params, max_memory_bytes);

cbk::SessionOptions session_options(const cbk_session_params& p) {
  cbk::SessionOptions options;
  options.max_context = p.max_context;
  options.prefill_chunk = p.prefill_chunk;
  options.trace = p.trace != 0;
  options.seed = p.seed;
  options.cancel = p.cancel;  // asked by the engine before every prefill chunk
  options.cancel_user_data = p.cancel_user_data;
  options.max_memory_bytes = p.max_memory_bytes;
  options.n_threads = p.n_threads;
  return options;
}

}  // namespace

extern "C" {

cbk_session_params cbk_session_default_params(void) {
  cbk_session_params p;
  p.struct_size = sizeof(p);
  p.max_context = 0;
  p.prefill_chunk = 64;
  p.trace = 0;
  p.seed = 0;
  p.cancel = nullptr;
  p.cancel_user_data = nullptr;
  p.max_memory_bytes = 0;
  p.n_threads = 1;
  return p;
}

cbk_sampling_params cbk_sampling_default_params(void) {
  cbk_sampling_params p;
  p.struct_size = sizeof(p);
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  return p;
}

cbk_status cbk_session_create(const cbk_model* model, const cbk_session_params* params, cbk_session** session_out) {
  static const char* fn = "cbk_session_create";
  return guarded(fn, [&] {
    if (session_out == nullptr) return null_argument(fn, "session_out");
    if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
    cbk_session_params p;
    if (cbk_status st = cbk::capi::read_params(params, cbk_session_default_params(), fn, &p, nullptr,
                                               kSessionParamsV3Size))
      return st;
    const cbk::SessionOptions options = session_options(p);
    auto handle = std::make_unique<cbk_session>();
    handle->prepared = model->prepared;
    if (cbk::Error e = cbk::Session::create(model->prepared, options, &handle->session); !e.ok())
      return fail(e.status, fn, e.message);
    *session_out = handle.release();
    return CBK_STATUS_OK;
  });
}

void cbk_session_free(cbk_session* session) { delete session; }

cbk_status cbk_session_memory_estimate(const cbk_model* model, const cbk_session_params* params, uint64_t* bytes_out) {
  static const char* fn = "cbk_session_memory_estimate";
  return guarded(fn, [&] {
    if (bytes_out == nullptr) return null_argument(fn, "bytes_out");
    if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
    cbk_session_params p;
    if (cbk_status st = cbk::capi::read_params(params, cbk_session_default_params(), fn, &p, nullptr,
                                               kSessionParamsV3Size))
      return st;
    cbk::SessionMemory memory;
    if (cbk::Error e = cbk::Session::estimate_memory(*model->prepared, session_options(p), &memory); !e.ok())
      return fail(e.status, fn, e.message);
    *bytes_out = memory.total();
    return CBK_STATUS_OK;
  });
}

uint64_t cbk_session_memory(const cbk_session* session) {
  return session == nullptr ? 0 : session->session->memory_bytes();
}

const char* cbk_session_last_error(const cbk_session* session) {
  return session == nullptr ? "" : session->last_error.c_str();
}

cbk_status cbk_session_prefill(cbk_session* session, const int32_t* tokens, size_t n) {
  static const char* fn = "cbk_session_prefill";
  if (session == nullptr) return null_argument(fn, "session");
  return guarded(session, fn, [&] {
    if (tokens == nullptr) return null_argument(session, fn, "tokens");
    return report(session, fn, session->session->prefill(tokens, n));
  });
}

cbk_status cbk_session_prefill_logits(cbk_session* session, const int32_t* tokens, size_t n, float* logits,
                                      size_t capacity) {
  static const char* fn = "cbk_session_prefill_logits";
  if (session == nullptr) return null_argument(fn, "session");
  return guarded(session, fn, [&] {
    if (tokens == nullptr) return null_argument(session, fn, "tokens");
    if (logits == nullptr) return null_argument(session, fn, "logits");
    const size_t vocab = session->prepared->arch().vocab_size;
    if (n != 0 && capacity / n < vocab)
      return fail(session, Status::buffer_too_small, fn,
                  "logits holds " + std::to_string(capacity) + " floats; " + std::to_string(n) + " tokens need " +
                      std::to_string(n) + " x " + std::to_string(vocab));
    return report(session, fn, session->session->prefill(tokens, n, logits));
  });
}

cbk_status cbk_session_decode(cbk_session* session, int32_t token) {
  static const char* fn = "cbk_session_decode";
  if (session == nullptr) return null_argument(fn, "session");
  return guarded(session, fn, [&] { return report(session, fn, session->session->decode(token)); });
}

cbk_status cbk_session_logits(const cbk_session* session, const float** logits_out, size_t* n_vocab_out) {
  static const char* fn = "cbk_session_logits";
  if (session == nullptr) return null_argument(fn, "session");
  auto* s = const_cast<cbk_session*>(session);
  return guarded(s, fn, [&] {
    if (logits_out == nullptr || n_vocab_out == nullptr) return null_argument(s, fn, "logits_out/n_vocab_out");
    const float* logits = session->session->logits();
    if (logits == nullptr) return fail(s, Status::wrong_state, fn, "no logits yet (call cbk_session_prefill first)");
    *logits_out = logits;
    *n_vocab_out = session->prepared->arch().vocab_size;
    return CBK_STATUS_OK;
  });
}

cbk_status cbk_session_sample(cbk_session* session, const cbk_sampling_params* params, int32_t* token_out) {
  static const char* fn = "cbk_session_sample";
  if (session == nullptr) return null_argument(fn, "session");
  return guarded(session, fn, [&] {
    if (token_out == nullptr) return null_argument(session, fn, "token_out");
    cbk_sampling_params p;
    if (cbk_status st = cbk::capi::read_params(params, cbk_sampling_default_params(), fn, &p, session)) return st;
    cbk::SamplingParams sp;
    sp.temperature = p.temperature;
    sp.top_k = p.top_k;
    sp.top_p = p.top_p;
    return report(session, fn, session->session->sample(sp, token_out));
  });
}

cbk_status cbk_session_set_seed(cbk_session* session, uint64_t seed) {
  if (session == nullptr) return null_argument("cbk_session_set_seed", "session");
  session->session->reseed(seed);
  return CBK_STATUS_OK;
}

cbk_status cbk_session_reset(cbk_session* session) {
  if (session == nullptr) return null_argument("cbk_session_reset", "session");
  session->session->reset();
  return CBK_STATUS_OK;
}

size_t cbk_session_position(const cbk_session* session) {
  return session == nullptr ? 0 : session->session->position();
}
size_t cbk_session_prompt_length(const cbk_session* session) {
  return session == nullptr ? 0 : session->session->prompt_length();
}
size_t cbk_session_context_size(const cbk_session* session) {
  return session == nullptr ? 0 : session->session->capacity();
}

cbk_status cbk_session_codes(const cbk_session* session, size_t codebook, uint32_t group, size_t position,
                             const int32_t** ids_out, const float** scores_out, size_t* n_slots_out) {
  static const char* fn = "cbk_session_codes";
  if (session == nullptr) return null_argument(fn, "session");
  auto* s = const_cast<cbk_session*>(session);
  return guarded(s, fn, [&] {
    if (ids_out == nullptr || n_slots_out == nullptr) return null_argument(s, fn, "ids_out/n_slots_out");
    size_t slots = 0;
    if (cbk_status st = check_trace(session, codebook, group, fn, &slots)) return st;
    const size_t rows = session->session->position();
    if (position >= rows)
      return fail(s, Status::out_of_range, fn, "position " + std::to_string(position) +
                                                   " is out of range (the session has run " + std::to_string(rows) +
                                                   " tokens)");
    *ids_out = session->session->trace_ids(codebook, group) + position * slots;
    if (scores_out != nullptr) *scores_out = session->session->trace_scores(codebook, group) + position * slots;
    *n_slots_out = slots;
    return CBK_STATUS_OK;
  });
}

cbk_status cbk_session_trace(const cbk_session* session, size_t codebook, uint32_t group, const int32_t** ids_out,
                             const float** scores_out, size_t* n_rows_out, size_t* n_slots_out) {
  static const char* fn = "cbk_session_trace";
  if (session == nullptr) return null_argument(fn, "session");
  auto* s = const_cast<cbk_session*>(session);
  return guarded(s, fn, [&] {
    if (ids_out == nullptr || n_rows_out == nullptr || n_slots_out == nullptr)
      return null_argument(s, fn, "ids_out/n_rows_out/n_slots_out");
    size_t slots = 0;
    if (cbk_status st = check_trace(session, codebook, group, fn, &slots)) return st;
    *ids_out = session->session->trace_ids(codebook, group);
    if (scores_out != nullptr) *scores_out = session->session->trace_scores(codebook, group);
    *n_rows_out = session->session->position();
    *n_slots_out = slots;
    return CBK_STATUS_OK;
  });
}

}  // extern "C"
