// Codebook search fused with top-k, written once for every ArchOps<A>. One pass over the table in
// blocks of L rows (one vector's lanes): the rows are dotted G at a time, their lanes folded
// together into one vector of L raw dots (ArchOps::fold, each row's halving tree unchanged), turned
// into L scores with vector arithmetic, and compared with the current k-th score at once; only a
// block with a survivor is offered to the running top-k row by row (rare once the top-k is full).
// No temporary proportional to the number of codes.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "simd/detail/scalar_common.hpp"
#include "simd/kernels/dot.hpp"

namespace cbk::simd::detail {
namespace {

template <class A>
inline float query_sq_norm(const CodebookView& book, const float* query) noexcept {
  return book.metric == Metric::euclidean ? dot_one<A, float>(query, query, book.dim) : 0.0f;
}

constexpr size_t log2_of(size_t n) noexcept { return n <= 1 ? 0 : 1 + log2_of(n / 2); }

// One vector folded from N lane vectors (N a power of two): fold step log2(N) on the two halves.
template <class A, size_t N>
CBK_SIMD_INLINE typename ArchOps<A>::B fold_tree(const typename ArchOps<A>::B* v) noexcept {
  if constexpr (N == 1) {
    return v[0];
  } else {
    return ArchOps<A>::template fold<log2_of(N)>(fold_tree<A, N / 2>(v),
                                                 fold_tree<A, N / 2>(v + N / 2));
  }
}

// out[q] = the raw dots of xs[q] with slots [s0, s0 + N) of a block of L rows (row r at
// rows + r * dim), folded to tree step log2(N), R rows at a time; with N = L, lane r holds the dot
// of row r.
template <class A, class T, size_t Q, size_t R, size_t N>
CBK_SIMD_INLINE void fold_slots(const float* const* xs, const T* rows, size_t dim, size_t s0,
                                typename ArchOps<A>::B* out) noexcept {
  using Ops = ArchOps<A>;
  if constexpr (N <= R) {
    const T* group[N];
    for (size_t g = 0; g < N; ++g) group[g] = rows + Ops::slot_row(s0 + g) * dim;
    typename Ops::B lanes[Q][N];
    dot_tile_lanes<A, T, Q, N>(xs, group, dim, lanes);
    unrolled<Q>([&](auto q) CBK_SIMD_LAMBDA_INLINE { out[q] = fold_tree<A, N>(lanes[q]); });
  } else {
    typename Ops::B low[Q], high[Q];
    fold_slots<A, T, Q, R, N / 2>(xs, rows, dim, s0, low);
    fold_slots<A, T, Q, R, N / 2>(xs, rows, dim, s0 + N / 2, high);
    unrolled<Q>([&](auto q) CBK_SIMD_LAMBDA_INLINE {
      out[q] = Ops::template fold<log2_of(N)>(low[q], high[q]);
    });
  }
}

// finish_score for L codes at once (the same operations in the same order, so the same bits).
template <class A, class T>
CBK_SIMD_INLINE typename ArchOps<A>::B finish_scores(const CodebookView& book,
                                                     typename ArchOps<A>::B dot, float sq_norm,
                                                     size_t j) noexcept {
  using Ops = ArchOps<A>;
  if constexpr (kDTypeOf<T> == DType::int8) dot = dot * Ops::load(book.row_scale + j);
  const typename Ops::B norm = Ops::load(book.norm_term + j);
  if (book.metric == Metric::inner_product) return dot * norm;
  const typename Ops::B dist_sq = (Ops::broadcast(sq_norm) - Ops::broadcast(2.0f) * dot) + norm;
  return -Ops::sqrt(Ops::positive_or_zero(dist_sq));
}

// Offers the L scores of rows [j, j + L) to `top`: one compare with the k-th score, then only the
// survivors, in increasing row order (ties go to the lower id; rows below the old threshold cannot
// beat the new one).
template <class A>
CBK_SIMD_INLINE void offer_block(typename ArchOps<A>::B scores, size_t j,
                                 RunningTopK& top) noexcept {
  using Ops = ArchOps<A>;
  uint32_t survivors = Ops::greater_mask(scores, top.threshold());
  if (survivors == 0) return;
  float lane[Ops::kLanes];
  Ops::store(lane, scores);
  for (; survivors != 0; survivors &= survivors - 1) {
    const size_t r = static_cast<size_t>(__builtin_ctz(survivors));
    top.offer(lane[r], static_cast<int32_t>(j + r));
  }
}

// Offers codes [begin, end) to tops[q] for the Q queries xs[q], R rows x Q queries at a time.
template <class A, class T, size_t Q, size_t R>
inline void scan_codes(const CodebookView& book, const float* const* xs, const float* sq_norms,
                       size_t begin, size_t end, RunningTopK* const* tops) noexcept {
  using Ops = ArchOps<A>;
  constexpr size_t L = Ops::kLanes;
  const T* codes = static_cast<const T*>(book.codes);
  const size_t dim = book.dim;
  size_t j = begin;
  for (; end - j >= L; j += L) {
    typename Ops::B dots[Q];
    fold_slots<A, T, Q, R, L>(xs, codes + j * dim, dim, 0, dots);
    unrolled<Q>([&](auto q) CBK_SIMD_LAMBDA_INLINE {
      offer_block<A>(finish_scores<A, T>(book, dots[q], sq_norms[q], j), j, *tops[q]);
    });
  }
  if (j == end) return;
  const Metric metric = book.metric;
  const float* norm_term = book.norm_term;
  const float* row_scale = book.row_scale;
  for (size_t q = 0; q < Q; ++q) {
    for_each_row_dot<A, T>(xs[q], codes, dim, dim, j, end, [&](size_t i, float dot) {
      const float scale = kDTypeOf<T> == DType::int8 ? row_scale[i] : 1.0f;
      tops[q]->offer(finish_score(metric, dot, scale, sq_norms[q], norm_term[i]),
                     static_cast<int32_t>(i));
    });
  }
}

template <class A, class T>
size_t codebook_search(const CodebookView& book, const float* query, size_t k, int32_t* ids_out,
                       float* scores_out) noexcept {
  RunningTopK top{scores_out, ids_out, k};
  RunningTopK* const tops[1] = {&top};
  const float sq_norm = query_sq_norm<A>(book, query);
  scan_codes<A, T, 1, DotShape<A>::kGroup>(book, &query, &sq_norm, 0, book.n_codes, tops);
  return top.finish();
}

// Queries are taken kQueryTile at a time; the table is walked in blocks of about kBlockBytes and
// each block is scored for every query of the tile while it is still in cache, kTileQueries
// queries per pass (each code load serving all of them), the rest one by one.
constexpr size_t kQueryTile = 32;
constexpr size_t kBlockBytes = 32 * 1024;
// The tile's queries are copied to cache-line-aligned rows when they fit (dim <= 128 for a full
// tile): callers' activation rows are usually only 16-byte aligned, so every 64-byte query load
// would straddle two cache lines, and the query loads outnumber the code loads in the tile.
constexpr size_t kAlignedQueryFloats = 4096;  // 16 KiB of stack

template <class A, class T>
void codebook_search_multi(const CodebookView& book, const float* queries, size_t n_queries,
                           size_t query_stride, size_t k, int32_t* ids_out,
                           float* scores_out) noexcept {
  constexpr size_t TQ = DotShape<A>::kTileQueries;
  constexpr size_t TR = DotShape<A>::kTileRows;
  constexpr size_t G = DotShape<A>::kGroup;
  const size_t row_bytes = book.dim * sizeof(T) > 0 ? book.dim * sizeof(T) : 1;
  // A whole number of L-row blocks, so that only the table's last rows take the row-by-row path.
  constexpr size_t L = ArchOps<A>::kLanes;
  const size_t block_rows = (kBlockBytes / row_bytes / L > 0 ? kBlockBytes / row_bytes / L : 1) * L;
  for (size_t t0 = 0; t0 < n_queries; t0 += kQueryTile) {
    const size_t tile = n_queries - t0 < kQueryTile ? n_queries - t0 : kQueryTile;
    RunningTopK tops[kQueryTile] = {};
    RunningTopK* top_of[kQueryTile];
    const float* xs[kQueryTile];
    float sq_norms[kQueryTile] = {};
    alignas(64) float aligned[kAlignedQueryFloats];
    const size_t aligned_stride = (book.dim + 15) / 16 * 16;
    const bool copy = tile * aligned_stride <= kAlignedQueryFloats;
    for (size_t t = 0; t < tile; ++t) {
      tops[t] = RunningTopK{scores_out + (t0 + t) * k, ids_out + (t0 + t) * k, k};
      top_of[t] = &tops[t];
      xs[t] = queries + (t0 + t) * query_stride;
      if (copy) {
        std::memcpy(aligned + t * aligned_stride, xs[t], book.dim * sizeof(float));
        xs[t] = aligned + t * aligned_stride;
      }
      sq_norms[t] = query_sq_norm<A>(book, xs[t]);
    }
    for (size_t begin = 0; begin < book.n_codes; begin += block_rows) {
      const size_t end = book.n_codes - begin < block_rows ? book.n_codes : begin + block_rows;
      size_t t = 0;
      for (; tile - t >= TQ; t += TQ) {
        scan_codes<A, T, TQ, TR>(book, xs + t, sq_norms + t, begin, end, top_of + t);
      }
      for (; t < tile; ++t) {
        scan_codes<A, T, 1, G>(book, xs + t, sq_norms + t, begin, end, top_of + t);
      }
    }
    for (size_t t = 0; t < tile; ++t) tops[t].finish();
  }
}

}  // namespace
}  // namespace cbk::simd::detail
