// Internal: the state behind a Session and the forward-pass functions that work on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/engine/code_selection.hpp"
#include "runtime/engine/prepared_model.hpp"
#include "runtime/engine/sampler.hpp"
#include "runtime/engine/session.hpp"
#include "runtime/engine/steering.hpp"
#include "runtime/parallel/thread_pool.hpp"

namespace cbk::engine_detail {

// One codebook's trace: [group][capacity][slots] ids and scores.
struct TraceBook {
  std::size_t slots = 0;
  std::vector<std::int32_t> ids;
  std::vector<float> scores;
};

// The scratch one pool worker needs besides the shared chunk buffers (worker 0, the calling
// thread, uses SessionState's own x_hat / top_ids / top_scores / attention_scratch / selection).
struct WorkerScratch {
  std::vector<float> x_hat;
  std::vector<std::int32_t> top_ids;
  std::vector<float> top_scores;
  std::vector<float> attention_scratch;
  SelectionScratch selection;
};

// Pointers to one worker's scratch.
struct WorkerBuffers {
  float* x_hat;
  std::int32_t* top_ids;
  float* top_scores;
  float* attention_scratch;
  SelectionScratch* selection;
};

struct SessionState {
  std::shared_ptr<const PreparedModel> pm;
  const simd::Kernels* kern = nullptr;
  SessionOptions options;
  std::size_t capacity = 0;
  std::size_t chunk = 0;

  std::size_t position = 0;
  std::size_t n_prompt = 0;
  bool started = false;

  // KV cache: [layer][position][d_model]; keys after rotary.
  std::vector<float> k_cache, v_cache;

  // Per-chunk activations, `chunk` rows each.
  std::vector<float> x, ln_out, qkv, q, z, attn_out, mlp_in, mid, mlp_out, resid;
  std::vector<float> x_hat;               // codebook LayerNorm outputs [chunk x max group dim]
  std::vector<std::int32_t> top_ids;      // [chunk x max k]
  std::vector<float> top_scores;
  std::vector<float> attention_scratch;   // capacity floats
  std::vector<float> final_row;           // d_model
  std::vector<float> logits;              // vocab
  bool has_logits = false;

  Rng rng;
  std::vector<std::int32_t> sample_order;
  std::vector<double> sample_prob;

  Steering steering;
  std::vector<std::vector<GroupSteering>> group_steering;  // [codebook][group]
  std::vector<bool> codebook_steered;
  SelectionScratch selection;

  bool trace = false;
  std::vector<TraceBook> traces;  // [codebook]

  std::vector<ActivationCapture> captures;  // empty = off (the common case)

  // Threads (SessionOptions::n_threads): null for one thread. helpers[w - 1] is worker w's scratch.
  std::unique_ptr<parallel::ThreadPool> pool;
  std::vector<WorkerScratch> helpers;
  bool split_small_work = false;

  // plan_memory() at creation, plus what steering has grown since (trace slots, selection scratch);
  // options.max_memory_bytes caps it.
  std::uint64_t memory_bytes = 0;
};

// The session's buffers, computed from the model and the options before anything is allocated
// (64-bit arithmetic: the loader's caps on widths, layers, positions and codes keep every product
// far below 2^64). allocate_state() allocates exactly the buffers counted here.
// `workers` threads each get their own codebook and attention scratch.
SessionMemory plan_memory(const PreparedModel& pm, std::size_t capacity, std::size_t chunk, bool trace,
                          std::size_t workers) noexcept;

// Worker w's scratch (w < the pool's threads).
WorkerBuffers worker_buffers(SessionState& st, unsigned worker) noexcept;

// Trace entries (ids, and as many scores) of one codebook: groups x capacity x slots.
inline std::uint64_t trace_entries(const PreparedCodebook& cb, std::size_t capacity, std::size_t slots) noexcept {
  return std::uint64_t{cb.groups} * capacity * slots;
}

// Allocates every buffer plan_memory() counts (throws std::bad_alloc) for st.helpers.size() + 1
// workers. The caller has checked that the plan fits the address space.
void allocate_state(SessionState& st);

// Runs tokens ids[0..n) at positions p0.. (n <= chunk); leaves the last token's logits in
// st.logits; when all_logits is set also writes [n x vocab] there.
void run_chunk(SessionState& st, const std::int32_t* ids, std::size_t n, std::size_t p0,
               float* all_logits) noexcept;

// Applies codebook `cb` in place to n rows of `width` floats (row r is position p0 + r).
void apply_codebook(SessionState& st, int cb, float* data, std::size_t n, std::size_t width,
                    std::size_t p0) noexcept;

// Validates `steering` against the model (see Session::set_steering) and, if valid, installs it:
// resolves per-group lists, sizes the selection scratch and re-strides traces for appends.
// Throws std::bad_alloc.
Error install_steering(SessionState& st, const Steering& steering);

// Clears the trace contents (ids -> kTraceNoSlot, scores -> NaN).
void clear_trace(SessionState& st) noexcept;

}  // namespace cbk::engine_detail
