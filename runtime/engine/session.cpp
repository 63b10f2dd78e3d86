// The public Session: state checks and the no-throw boundary around the forward pass.
#include "runtime/engine/session.hpp"

#include <algorithm>
#include <cstdint>
#include <new>
#include <string>
#include <system_error>
#include <utility>

#include "runtime/engine/session_state.hpp"

namespace cbk {

using engine_detail::SessionState;

namespace {

Error out_of_memory(const char* what) {
  return Error(Status::out_of_memory, std::string(what) + ": out of memory");
}

Error check_ids(const std::int32_t* ids, std::size_t n, std::uint32_t vocab) {
  for (std::size_t i = 0; i < n; ++i)
    if (ids[i] < 0 || static_cast<std::uint32_t>(ids[i]) >= vocab)
      return Error(Status::out_of_range, "token id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                                             " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
  return Error();
}

// The argument checks of create() and estimate_memory(); on success the context and chunk sizes.
Error check_options(const PreparedModel& model, const SessionOptions& options, std::size_t* capacity,
                    std::size_t* chunk) {
  if (options.prefill_chunk == 0) return Error(Status::invalid_argument, "prefill_chunk must be at least 1");
  if (options.n_threads > parallel::kMaxThreads)
    return Error(Status::invalid_argument, "n_threads " + std::to_string(options.n_threads) + " exceeds the limit of " +
                                               std::to_string(parallel::kMaxThreads));
  const std::uint32_t max_pos = model.arch().max_positions;
  if (options.max_context > max_pos)
    return Error(Status::out_of_range, "max_context " + std::to_string(options.max_context) +
                                           " exceeds the model's max_positions " + std::to_string(max_pos));
  *capacity = options.max_context == 0 ? max_pos : options.max_context;
  *chunk = std::min<std::size_t>(options.prefill_chunk, *capacity);
  return Error();
}

// Threads that get scratch: n_threads where this build has threads, else 1.
std::size_t worker_count(const SessionOptions& options) {
  if (CBK_PARALLEL_INLINE_ONLY || options.n_threads <= 1) return 1;
  return options.n_threads;
}

std::string memory_breakdown(const SessionMemory& m) {
  return std::to_string(m.total()) + " bytes (KV cache " + std::to_string(m.kv_cache) + ", scratch " +
         std::to_string(m.scratch) + ", trace " + std::to_string(m.trace) + ")";
}

}  // namespace

Session::Session(std::unique_ptr<SessionState> state) noexcept : st_(std::move(state)) {}
Session::~Session() = default;

Error Session::estimate_memory(const PreparedModel& model, const SessionOptions& options,
                               SessionMemory* out) noexcept {
  if (out == nullptr) return Error(Status::invalid_argument, "Session::estimate_memory: null output");
  try {
    std::size_t capacity = 0, chunk = 0;
    if (Error e = check_options(model, options, &capacity, &chunk); !e.ok()) return e;
    *out = engine_detail::plan_memory(model, capacity, chunk, options.trace, worker_count(options));
    return Error();
  } catch (const std::bad_alloc&) {
    return out_of_memory("Session::estimate_memory");
  }
}

Error Session::create(std::shared_ptr<const PreparedModel> model, const SessionOptions& options,
                      std::unique_ptr<Session>* out) noexcept {
  if (!model || out == nullptr) return Error(Status::invalid_argument, "Session::create: null model or output");
  SessionMemory need;
  try {
    std::size_t capacity = 0, chunk = 0;
    if (Error e = check_options(*model, options, &capacity, &chunk); !e.ok()) return e;
    need = engine_detail::plan_memory(*model, capacity, chunk, options.trace, worker_count(options));
    if (options.max_memory_bytes != 0 && need.total() > options.max_memory_bytes)
      return Error(Status::out_of_memory, "Session::create: the session needs " + memory_breakdown(need) +
                                              " but max_memory_bytes allows " + std::to_string(options.max_memory_bytes) +
                                              "; lower max_context (now " + std::to_string(capacity) +
                                              ") or prefill_chunk, or turn the trace off");
    // Beyond half the address space no allocation can succeed (and sizes would not fit size_t).
    if (need.total() > static_cast<std::uint64_t>(PTRDIFF_MAX))
      return Error(Status::out_of_memory, "Session::create: the session needs " + memory_breakdown(need) +
                                              ", more than this platform can address; lower max_context (now " +
                                              std::to_string(capacity) + ")");
    auto st = std::make_unique<SessionState>();
    st->pm = std::move(model);
    st->kern = &st->pm->kernels();
    st->options = options;
    st->capacity = capacity;
    st->chunk = chunk;
    st->trace = options.trace;
    st->rng.reseed(options.seed);
    st->split_small_work = options.split_small_work;
    st->helpers.resize(worker_count(options) - 1);
    engine_detail::allocate_state(*st);
    if (st->helpers.size() > 0) {
      try {
        st->pool = std::make_unique<parallel::ThreadPool>(options.n_threads);
      } catch (const std::system_error& e) {
        return Error(Status::out_of_memory, "Session::create: could not start " + std::to_string(st->helpers.size()) +
                                                " worker threads (" + e.what() + "); lower n_threads");
      }
    }
    out->reset(new Session(std::move(st)));
    return Error();
  } catch (const std::bad_alloc&) {
    return Error(Status::out_of_memory, "Session::create: allocating the session's " + std::to_string(need.total()) +
                                            " bytes failed (out of memory)");
  } catch (...) {
    return Error(Status::internal, "Session::create: unexpected exception");
  }
}

std::uint64_t Session::memory_bytes() const noexcept { return st_->memory_bytes; }

Error Session::prefill(const std::int32_t* ids, std::size_t n, float* all_logits) noexcept {
  SessionState& st = *st_;
  if (st.started) return Error(Status::wrong_state, "prefill: a prompt was already run (reset() first)");
  if (ids == nullptr || n == 0) return Error(Status::invalid_argument, "prefill: empty prompt");
  if (Error e = check_ids(ids, n, st.pm->arch().vocab_size); !e.ok()) return e;
  if (n > st.capacity)
    return Error(Status::context_full, "prefill: " + std::to_string(n) + " prompt tokens exceed the context of " +
                                           std::to_string(st.capacity));
  st.started = true;
  st.n_prompt = n;
  const std::size_t vocab = st.pm->arch().vocab_size;
  for (std::size_t done = 0; done < n;) {
    if (st.options.cancel != nullptr && st.options.cancel(st.options.cancel_user_data) != 0) {
      reset();
      return Error(Status::cancelled, "prefill: cancelled after " + std::to_string(done) + " of " +
                                          std::to_string(n) + " prompt tokens");
    }
    const std::size_t rows = std::min(st.chunk, n - done);
    engine_detail::run_chunk(st, ids + done, rows, done, all_logits ? all_logits + done * vocab : nullptr);
    done += rows;
    st.position = done;
  }
  return Error();
}

Error Session::decode(std::int32_t id) noexcept {
  SessionState& st = *st_;
  if (!st.started) return Error(Status::wrong_state, "decode: no prompt has been run (call prefill first)");
  if (Error e = check_ids(&id, 1, st.pm->arch().vocab_size); !e.ok()) return e;
  if (st.position >= st.capacity)
    return Error(Status::context_full, "decode: the context of " + std::to_string(st.capacity) + " tokens is full");
  engine_detail::run_chunk(st, &id, 1, st.position, nullptr);
  ++st.position;
  return Error();
}

const float* Session::logits() const noexcept { return st_->has_logits ? st_->logits.data() : nullptr; }

Error Session::sample(const SamplingParams& params, std::int32_t* token) noexcept {
  SessionState& st = *st_;
  if (token == nullptr) return Error(Status::invalid_argument, "sample: null output");
  if (!st.has_logits) return Error(Status::wrong_state, "sample: no logits yet (call prefill first)");
  if (Error e = check_sampling(params); !e.ok()) return e;
  *token = sample_token(st.logits.data(), st.logits.size(), params, st.rng,
                        SamplerScratch{st.sample_order.data(), st.sample_prob.data()});
  return Error();
}

void Session::reseed(std::uint64_t seed) noexcept { st_->rng.reseed(seed); }

void Session::reset() noexcept {
  SessionState& st = *st_;
  st.started = false;
  st.position = 0;
  st.n_prompt = 0;
  st.has_logits = false;
  engine_detail::clear_trace(st);
}

Error Session::set_steering(const Steering& steering) noexcept {
  try {
    return engine_detail::install_steering(*st_, steering);
  } catch (const std::bad_alloc&) {
    return out_of_memory("set_steering");
  } catch (...) {
    return Error(Status::internal, "set_steering: unexpected exception");
  }
}

const Steering& Session::steering() const noexcept { return st_->steering; }

std::size_t site_width(const Architecture& arch, CodebookSite site) noexcept {
  if (site == CodebookSite::qkv) return std::size_t{3} * arch.d_model;
  if (site == CodebookSite::mlp_mid) return arch.d_mlp;
  return arch.d_model;
}

Error Session::set_captures(const std::vector<ActivationCapture>& captures) noexcept {
  SessionState& st = *st_;
  const Architecture& a = st.pm->arch();
  for (std::size_t i = 0; i < captures.size(); ++i) {
    const ActivationCapture& c = captures[i];
    const auto site = static_cast<std::size_t>(c.site);
    if (c.layer >= a.n_layers || site >= kSiteCount)
      return Error(Status::out_of_range, "capture " + std::to_string(i) + ": no layer " + std::to_string(c.layer) +
                                             " or bad site");
    if (c.site == CodebookSite::attn_plus_mlp && st.pm->layers()[c.layer].site_codebook[site] < 0)
      return Error(Status::out_of_range, "capture " + std::to_string(i) +
                                             ": attn_plus_mlp is only a vector where the model has a codebook there");
    if (c.dst == nullptr && c.rows > 0)
      return Error(Status::invalid_argument, "capture " + std::to_string(i) + ": null buffer");
  }
  try {
    st.captures = captures;
    return Error();
  } catch (const std::bad_alloc&) {
    return out_of_memory("set_captures");
  }
}
std::size_t Session::position() const noexcept { return st_->position; }
std::size_t Session::prompt_length() const noexcept { return st_->n_prompt; }
std::size_t Session::capacity() const noexcept { return st_->capacity; }
const PreparedModel& Session::model() const noexcept { return *st_->pm; }
bool Session::tracing() const noexcept { return st_->trace; }

std::size_t Session::trace_slots(std::size_t codebook) const noexcept {
  if (!st_->trace || codebook >= st_->traces.size()) return 0;
  return st_->traces[codebook].slots;
}

const std::int32_t* Session::trace_ids(std::size_t codebook, std::size_t group) const noexcept {
  const SessionState& st = *st_;
  if (!st.trace || codebook >= st.traces.size() || group >= st.pm->codebooks()[codebook].groups) return nullptr;
  const auto& t = st.traces[codebook];
  return t.ids.data() + group * st.capacity * t.slots;
}

const float* Session::trace_scores(std::size_t codebook, std::size_t group) const noexcept {
  const SessionState& st = *st_;
  if (!st.trace || codebook >= st.traces.size() || group >= st.pm->codebooks()[codebook].groups) return nullptr;
  const auto& t = st.traces[codebook];
  return t.scores.data() + group * st.capacity * t.slots;
}

}  // namespace cbk
