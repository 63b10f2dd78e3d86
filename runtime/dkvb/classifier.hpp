// A DKVB classifier: runs input vectors through a PreparedDkvb and holds one caller's steering.
//
// Per input row: z = encoder(x); q = projection z (or z itself); per head c the searchable key
// nearest q_c by squared L2 (ties to the lower pair id), unless a key is forced for the head; then
// voting: logits = mean over heads of value[c][id_c] (one gather-mean over the heads * pairs value
// rows), or linear: logits = W concat_c(value[c][id_c]) + b.
//
// Steering (this classifier only; the model is never modified): force a head's key, exclude pairs
// from a head's search (mask), switch the file's used-pair mask off, override a value row. A
// classifier is used by one thread at a time; classifiers on one model are independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/dkvb/prepared_dkvb.hpp"

namespace cbk::dkvb {

class Classifier {
 public:
  // Allocates the scratch and steering state. Errors: invalid_argument (null), out_of_memory.
  static Error create(std::shared_ptr<const PreparedDkvb> model, std::unique_ptr<Classifier>* out) noexcept;

  const PreparedDkvb& model() const noexcept { return *model_; }

  // `rows` inputs of input_dim floats each (row-major) -> the picked pair id of every head
  // (keys_out [rows x heads], may be null) and the logits (logits_out [rows x classes], may be null).
  // Errors: non_finite_value (an input is NaN or infinite; the message names row and column), and
  // then nothing is written.
  Error classify(const float* inputs, std::size_t rows, std::int32_t* keys_out, float* logits_out) noexcept;

  // Forces pair `key` of `head` for every input (the search is skipped; a forced pair is used even
  // when masked); key -1 lets the head search again. Errors: out_of_range (head, key).
  Error force_key(std::size_t head, std::int32_t key) noexcept;
  std::int32_t forced_key(std::size_t head) const noexcept { return forced_[head]; }

  // Excludes (masked = true) or re-admits pairs keys[0..n) of `head` (head = -1: every head) from
  // the search. All or nothing: out_of_range (head or a key), invalid_argument (a change that would
  // leave a head with no searchable pair), out_of_memory; on error nothing changes.
  Error mask_pairs(std::int64_t head, const std::int32_t* keys, std::size_t n, bool masked) noexcept;
  // Applies (default) or ignores the file's used-pair mask. Errors as mask_pairs.
  Error use_file_mask(bool enabled) noexcept;
  bool file_mask_enabled() const noexcept { return file_mask_; }
  // Whether the search of `head` may pick `key` now (both masks applied). Indices must be in range.
  bool searchable(std::size_t head, std::size_t key) const noexcept;

  // Replaces the value row of (head, key) with value_dim floats for this classifier. Errors:
  // out_of_range, non_finite_value, out_of_memory (the first override copies the value table).
  Error set_value(std::size_t head, std::size_t key, const float* value) noexcept;
  // The value row (value_dim floats) this classifier uses for (head, key). Indices must be in range.
  const float* value(std::size_t head, std::size_t key) const noexcept;

  // Back to the file's behaviour: no forced keys, no masked pairs, the file's mask on, the file's values.
  void clear_steering() noexcept;

 private:
  // A head whose search excludes some pairs searches a compacted copy of its searchable keys.
  struct LiveKeys {
    std::vector<float> keys;          // [n_live x key_dim]
    std::vector<float> norms;         // [n_live]
    std::vector<std::int32_t> ids;    // pair id of each live row; empty: the head searches every pair
  };

  explicit Classifier(std::shared_ptr<const PreparedDkvb> model) : model_(std::move(model)) {}
  bool live(std::size_t head, std::size_t key, const std::vector<std::uint8_t>& masked, bool file_mask) const noexcept;
  // The searchable keys of `head` under (masked, file_mask); invalid_argument when there are none.
  Error build_live(std::size_t head, const std::vector<std::uint8_t>& masked, bool file_mask, LiveKeys* out) const;
  Error apply_masks(std::vector<std::uint8_t> masked, bool file_mask, std::int64_t only_head) noexcept;
  std::int32_t search_head(std::size_t head, const float* query) const noexcept;
  const float* value_table() const noexcept { return values_.empty() ? model_->values() : values_.data(); }
  void run_row(const float* x, std::int32_t* keys_out, float* logits_out) noexcept;

  std::shared_ptr<const PreparedDkvb> model_;
  std::vector<std::int32_t> forced_;    // [heads], -1 = search
  std::vector<std::uint8_t> masked_;    // [heads x pairs], 1 = excluded by steering
  bool file_mask_ = true;
  std::vector<LiveKeys> live_;          // [heads]
  std::vector<float> values_;           // the value table once overridden (copy on write), else empty
  // Scratch for one row.
  std::vector<float> hidden_a_, hidden_b_, queries_, concat_;
  std::vector<std::int32_t> rows_;      // global value rows c * pairs + id_c
};

}  // namespace cbk::dkvb
