// The BPE merge step: a table of merges keyed by the pair of token ids, and the loop that applies
// them to one pre-tokenized piece. Internal to runtime/tokenizer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cbk {
namespace tok {

struct Merge {
  int32_t rank;    // position in the merge list: lower merges first
  int32_t result;  // id of the merged token
};

// Open-addressing hash map (left id, right id) -> Merge, built once and then read-only.
class MergeTable {
 public:
  // Prepares for up to n merges (may throw std::bad_alloc).
  void reserve(size_t n);
  // Inserts; returns false (keeping the first) when the pair is already present.
  bool insert(int32_t left, int32_t right, Merge m);
  // The merge for (left, right), or nullptr.
  const Merge* find(int32_t left, int32_t right) const noexcept;
  size_t size() const noexcept { return size_; }

 private:
  struct Slot {
    uint64_t key;  // kEmpty when unused
    Merge merge;
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static uint64_t key_of(int32_t l, int32_t r) noexcept {
    return (uint64_t{static_cast<uint32_t>(l)} << 32) | static_cast<uint32_t>(r);
  }
  static size_t hash(uint64_t k) noexcept {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return static_cast<size_t>(k);
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// Rewrites ids (the byte tokens of one piece) by repeatedly merging the adjacent pair with the
// lowest rank, leftmost first among equal ranks (the Hugging Face BPE order). Pieces longer than
// heap_threshold use a heap over a linked list, O(n log n); shorter ones rescan, which is faster
// when n is small. Both give identical results; the threshold is a parameter for the tests.
void bpe_merge(const MergeTable& merges, std::vector<int32_t>* ids, size_t heap_threshold = 48);

}  // namespace tok
}  // namespace cbk
