// A Session: one conversation with a PreparedModel — KV cache, scratch, RNG, steering, trace.
//
//   std::shared_ptr<const cbk::PreparedModel> pm;          // PreparedModel::prepare(model, &pm)
//   std::unique_ptr<cbk::Session> s;
//   cbk::SessionOptions opt; opt.trace = true;
//   cbk::Session::create(pm, opt, &s);
//   s->prefill(prompt.data(), prompt.size());            // batched: GEMM, multi-query search
//   int32_t next; s->sample({0.8f, 40, 0.95f}, &next);    // from the last token's logits
//   s->decode(next);                                      // one token, KV cache
//   const int32_t* ids = s->trace_ids(cb, g);             // [position() x trace_slots(cb)]
//
// Lifecycle: empty --prefill--> running --decode/sample--> running; reset() returns to empty.
// Every buffer (KV cache for `max_context` positions, per-chunk scratch, trace, sampler scratch)
// is allocated by create(), whose size is known beforehand (estimate_memory) and can be capped
// (SessionOptions::max_memory_bytes); prefill/decode allocate nothing, so a session that was
// created never runs out of memory later. set_steering allocates (append forces widen the trace;
// keep-mode disables need per-code scratch), under the same cap.
//
// Thread-safety: a Session is single-threaded (one caller at a time; with n_threads > 1 it uses its
// own worker threads inside prefill/decode); different Sessions on one
// PreparedModel may run concurrently. No function throws; allocation failures are reported as
// Status::out_of_memory. Pointers returned by trace_ids/trace_scores/logits stay valid until the
// next non-const call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/engine/prepared_model.hpp"
#include "runtime/engine/sampler.hpp"
#include "runtime/engine/steering.hpp"
#include "runtime/status.hpp"

namespace cbk {

namespace engine_detail {
struct SessionState;
}

struct SessionOptions {
  std::uint32_t max_context = 0;     // tokens the KV cache holds; 0 = the model's max_positions
  std::uint32_t prefill_chunk = 64;  // rows per batched pass (a longer prompt runs in chunks)
  bool trace = false;                // record every token's code ids and scores
  std::uint64_t seed = 0;            // RNG seed for sample()
  // Asked before every prefill chunk (so a long prompt can be stopped between chunks); returning
  // nonzero stops the prefill with Status::cancelled and leaves the session empty, as after
  // reset(). Runs on the thread that called prefill. Optional.
  int (*cancel)(void* user_data) = nullptr;
  void* cancel_user_data = nullptr;
  // Upper bound on the bytes the session's buffers may take (SessionMemory::total(), steering
  // growth included); 0 = no cap. A create() or set_steering() that would exceed it fails with
  // Status::out_of_memory before allocating.
  std::uint64_t max_memory_bytes = 0;
  // Threads for one forward pass: the caller's plus n_threads - 1 workers the session starts at
  // creation and joins when it is destroyed (0 or 1: the caller's only; at most
  // parallel::kMaxThreads). GEMMs/GEMVs (the LM head included), codebook searches and prefill
  // attention are split over them; results are bit-identical for any count. Builds without threads
  // (WebAssembly without pthreads) run on the caller whatever the count.
  std::uint32_t n_threads = 1;
  // For tests: split every operation over the threads however small (normally operations too small
  // to gain from threads stay on the caller). Results are the same either way.
  bool split_small_work = false;
};

// Bytes of a session's buffers by kind (what create() allocates, besides small fixed objects).
struct SessionMemory {
  std::uint64_t kv_cache = 0;  // keys and values: 2 x n_layers x max_context x d_model floats
  std::uint64_t scratch = 0;   // per-chunk activations (prefill_chunk rows), attention row, logits,
                               // sampler, steering tables
  std::uint64_t trace = 0;     // code ids + scores: groups x max_context x k x 8 per codebook
                               // (0 without the trace); allocated whole, it never grows with tokens
  std::uint64_t total() const noexcept { return kv_cache + scratch + trace; }
};

// Trace slot values beyond the ids a token actually used (an append force that was not active
// at that position, or a bypassed group): id kTraceNoSlot and score NaN. A blocked slot (zero
// mode) has id -1 and score NaN.
inline constexpr std::int32_t kTraceNoSlot = -2;

// Activation capture: copies the vector entering a site (before its codebook, if it has one) of
// every token run afterwards into a caller buffer: position p goes to dst + p * width, width =
// site_width(site) floats, for p < rows (later positions are not written). Steered or not, the
// captured value is the codebook's input, so it is what the search saw. All sites are available
// except attn_plus_mlp, which exists as a vector only where the model has a codebook there.
// The caller owns dst and keeps it alive while the capture is installed.
struct ActivationCapture {
  std::uint32_t layer = 0;
  CodebookSite site = CodebookSite::mlp;
  float* dst = nullptr;
  std::size_t rows = 0;
};

// Floats per token at a site: 3 * d_model (qkv), d_mlp (mlp_mid), else d_model.
std::size_t site_width(const Architecture& arch, CodebookSite site) noexcept;

class Session {
 public:
  // Errors: invalid_argument (null model/out, prefill_chunk 0, n_threads above
  // parallel::kMaxThreads), out_of_range (max_context above the model's max_positions),
  // out_of_memory (over options.max_memory_bytes, with the needed and allowed bytes in the message,
  // or an allocation failed, or the system refused to start a worker thread).
  static Error create(std::shared_ptr<const PreparedModel> model, const SessionOptions& options,
                      std::unique_ptr<Session>* out) noexcept;

  // What create() with these options would allocate, without allocating. Errors as create()'s
  // argument checks (invalid_argument, out_of_range); max_memory_bytes is not applied.
  static Error estimate_memory(const PreparedModel& model, const SessionOptions& options,
                               SessionMemory* out) noexcept;
  // The bytes this session's buffers take now (the estimate, plus steering growth).
  std::uint64_t memory_bytes() const noexcept;
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs the prompt ids[0..n) at positions 0..n-1; afterwards logits() holds the last token's
  // logits. all_logits, when not null, receives [n x vocab] logits of every prompt token.
  // Errors: wrong_state (a prompt was already run: reset() first), invalid_argument (n == 0 or
  // null ids), out_of_range (a token id outside the vocabulary), context_full (n > capacity()),
  // cancelled (SessionOptions::cancel asked to stop; the session is then empty again).
  Error prefill(const std::int32_t* ids, std::size_t n, float* all_logits = nullptr) noexcept;

  // Runs one more token at position position(). Errors: wrong_state (no prefill yet),
  // out_of_range (bad id), context_full (position() == capacity()). On error nothing changes.
  Error decode(std::int32_t id) noexcept;

  // Logits [vocab] of the last token run; nullptr before the first prefill.
  const float* logits() const noexcept;

  // Samples the next token from logits() with the session RNG (see sampler.hpp).
  // Errors: wrong_state before prefill, invalid_argument for bad params.
  Error sample(const SamplingParams& params, std::int32_t* token) noexcept;
  void reseed(std::uint64_t seed) noexcept;

  // Back to the empty state; steering, trace switch and RNG state are kept, the trace is cleared.
  void reset() noexcept;

  // Replaces the steering (validated against the model first; on error the old one stays).
  // May be called at any time; it affects tokens run afterwards. Errors: out_of_range naming
  // the bad layer/site/group/code/slot, invalid_argument (wrong interchange length, non-finite
  // strength), out_of_memory (an allocation failed, or append forces / keep-mode scratch would take
  // the session past options.max_memory_bytes).
  Error set_steering(const Steering& steering) noexcept;
  const Steering& steering() const noexcept;

  // Replaces the activation captures (see ActivationCapture; an empty list turns capturing off,
  // and then the forward pass does no extra work). Errors: out_of_range (layer or site),
  // invalid_argument (null dst with rows > 0), out_of_memory. On error the old list stays.
  Error set_captures(const std::vector<ActivationCapture>& captures) noexcept;

  std::size_t position() const noexcept;       // tokens run so far
  std::size_t prompt_length() const noexcept;  // 0 before prefill
  std::size_t capacity() const noexcept;       // max_context
  const PreparedModel& model() const noexcept;

  // ---- trace (only when SessionOptions::trace) ----
  bool tracing() const noexcept;
  // Slots per token recorded for a codebook: k plus the number of append forces targeting it.
  std::size_t trace_slots(std::size_t codebook) const noexcept;
  // [position() x trace_slots(codebook)] row-major, slot 0 = most similar code; nullptr when not
  // tracing or codebook/group is out of range. Scores are the similarity of each slot's code to
  // the group's normalized input (for forced codes too).
  const std::int32_t* trace_ids(std::size_t codebook, std::size_t group) const noexcept;
  const float* trace_scores(std::size_t codebook, std::size_t group) const noexcept;

 private:
  explicit Session(std::unique_ptr<engine_detail::SessionState> state) noexcept;
  std::unique_ptr<engine_detail::SessionState> st_;
};

}  // namespace cbk
