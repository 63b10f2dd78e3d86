#include "runtime/tokenizer/bpe_merge.hpp"

#include <algorithm>
#include <climits>
#include <queue>

namespace cbk {
namespace tok {

void MergeTable::reserve(size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap <<= 1;  // load factor <= 0.5 keeps probe runs short
  slots_.assign(cap, Slot{kEmpty, Merge{0, 0}});
  mask_ = cap - 1;
  size_ = 0;
}

bool MergeTable::insert(int32_t left, int32_t right, Merge m) {
  if ((size_ + 1) * 2 > slots_.size()) {
    std::vector<Slot> old;
    old.swap(slots_);
    reserve(std::max<size_t>(16, old.size()));
    for (const Slot& s : old) {
      if (s.key != kEmpty) insert(static_cast<int32_t>(s.key >> 32), static_cast<int32_t>(s.key), s.merge);
    }
  }
  const uint64_t k = key_of(left, right);
  for (size_t i = hash(k) & mask_;; i = (i + 1) & mask_) {
    if (slots_[i].key == k) return false;
    if (slots_[i].key == kEmpty) {
      slots_[i] = Slot{k, m};
      ++size_;
      return true;
    }
  }
}

const Merge* MergeTable::find(int32_t left, int32_t right) const noexcept {
  if (slots_.empty()) return nullptr;
  const uint64_t k = key_of(left, right);
  for (size_t i = hash(k) & mask_;; i = (i + 1) & mask_) {
    if (slots_[i].key == k) return &slots_[i].merge;
    if (slots_[i].key == kEmpty) return nullptr;
  }
}

namespace {

void merge_rescan(const MergeTable& merges, std::vector<int32_t>* ids) {
  std::vector<int32_t>& v = *ids;
  while (v.size() > 1) {
    int32_t best_rank = INT32_MAX;
    size_t best = 0;
    int32_t result = 0;
    for (size_t i = 0; i + 1 < v.size(); ++i) {
      const Merge* m = merges.find(v[i], v[i + 1]);
      if (m != nullptr && m->rank < best_rank) {
        best_rank = m->rank;
        best = i;
        result = m->result;
      }
    }
    if (best_rank == INT32_MAX) break;
    v[best] = result;
    v.erase(v.begin() + static_cast<std::ptrdiff_t>(best) + 1);
  }
}

struct Candidate {
  int32_t rank;
  int32_t pos;    // index of the left symbol
  int32_t left;   // ids the pair had when pushed; a mismatch at pop time means it is stale
  int32_t right;
  bool operator>(const Candidate& o) const noexcept {
    return rank != o.rank ? rank > o.rank : pos > o.pos;
  }
};

void merge_heap(const MergeTable& merges, std::vector<int32_t>* ids) {
  std::vector<int32_t>& id = *ids;
  const int32_t n = static_cast<int32_t>(id.size());
  std::vector<int32_t> prev(static_cast<size_t>(n));
  std::vector<int32_t> next(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    prev[static_cast<size_t>(i)] = i - 1;
    next[static_cast<size_t>(i)] = i + 1 < n ? i + 1 : -1;
  }
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
  auto push = [&](int32_t pos) {
    if (pos < 0) return;
    const int32_t nx = next[static_cast<size_t>(pos)];
    if (nx < 0) return;
    const int32_t l = id[static_cast<size_t>(pos)];
    const int32_t r = id[static_cast<size_t>(nx)];
    if (const Merge* m = merges.find(l, r)) heap.push(Candidate{m->rank, pos, l, r});
  };
  for (int32_t i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    const size_t p = static_cast<size_t>(c.pos);
    const int32_t nx = next[p];
    if (id[p] != c.left || nx < 0 || id[static_cast<size_t>(nx)] != c.right) continue;
    id[p] = merges.find(c.left, c.right)->result;
    id[static_cast<size_t>(nx)] = -1;  // removed; ids of live symbols are never negative
    const int32_t nn = next[static_cast<size_t>(nx)];
    next[p] = nn;
    if (nn >= 0) prev[static_cast<size_t>(nn)] = c.pos;
    push(prev[p]);
    push(c.pos);
  }
  id.erase(std::remove(id.begin(), id.end(), -1), id.end());
}

}  // namespace

void bpe_merge(const MergeTable& merges, std::vector<int32_t>* ids, size_t heap_threshold) {
  if (ids->size() > heap_threshold) {
    merge_heap(merges, ids);
  } else {
    merge_rescan(merges, ids);
  }
}

}  // namespace tok
}  // namespace cbk
