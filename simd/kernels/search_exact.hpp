// Exact search over a quantized (f16 / int8) table, written once for every ArchOps<A>.
//
// Pass 1 streams the quantized table. Each code gets a proven interval [lower, upper] around the
// score the f32 kernel would report (ScoreBound). The k best lower bounds seen so far bound the
// final k-th score from below, so a code whose upper bound is below that can never enter; the rest
// are kept as candidates in a small fixed buffer.
// Pass 2 (also run whenever the buffer fills) rescores candidates in f32 in order of decreasing
// upper bound and stops at the first whose upper bound is below the exact k-th score so far: the
// likely winners are rescored first, so the threshold is tight almost at once and few rows (each a
// random, out-of-cache read of dim floats) are touched. Rows are prefetched one candidate ahead.
// Candidates arrive out of id order, so the exact top-k orders by (score desc, id asc) explicitly,
// which is exactly the f32 kernel's order (ties to the lower id).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "simd/detail/scalar_common.hpp"
#include "simd/kernels/dot.hpp"
#include "simd/kernels/search.hpp"

namespace cbk::simd::detail {
namespace {

// Interval around the f32 kernel's reported score for code j, given the dot of the query with the
// quantized row. Error terms (all inflated 2x for safety):
//  * quantization: |<x, c - c_hat>| <= ||x|| ||c - c_hat||                     (Cauchy-Schwarz)
//  * float rounding of both lane-ordered dots: each lane sums ceil(dim/32) products, then 5 tree
//    levels, so |fl(dot) - dot| <= (dim/32 + 7) u sum|x_i c_i| <= (dim/32 + 7) u ||x|| ||c||
//  * rounding inside finish_score (a few operations): 4u relative.
// Computed in double so the bound itself adds no rounding of consequence.
struct ScoreBound {
  Metric metric;
  double query_norm;    // ||x||
  double query_sq;      // the f32 kernel's own ||x||^2 (float value, reused exactly)
  double dot_rel_error; // 2 (dim/32 + 7) u

  static constexpr double u = 0x1p-24;

  // Largest possible |f32 dot - quant_dot|; infinite for a zero code (no useful bound).
  double dot_slack(double quant_dot, float norm_term, float quant_error) const noexcept {
    const double code_norm = metric == Metric::inner_product ? 1.0 / norm_term
                                                              : std::sqrt(double(norm_term));
    if (!(code_norm < INFINITY)) return INFINITY;
    const double quant_norm = code_norm + quant_error;
    return query_norm * quant_error * 2.0 + dot_rel_error * query_norm * (code_norm + quant_norm) +
           4.0 * u * std::fabs(quant_dot) + 1e-30;
  }

  // The reported score as a function of the f32 dot, widened by its own rounding (toward `up`).
  double score(double dot, double dot_abs_max, float norm_term, bool up) const noexcept {
    const double sign = up ? 1.0 : -1.0;
    if (metric == Metric::inner_product) {
      const double s = dot * norm_term;
      return s + sign * std::fabs(s) * 4.0 * u;
    }
    const double dist_sq = query_sq - 2.0 * dot + norm_term;
    const double rounding = 4.0 * u * (query_sq + 2.0 * dot_abs_max + norm_term);
    const double dist_sq_bound = up ? dist_sq - rounding : dist_sq + rounding;
    const double s = -std::sqrt(dist_sq_bound > 0.0 ? dist_sq_bound : 0.0);
    return s + sign * std::fabs(s) * 4.0 * u;
  }

  // Bounds of the reported score given dot_slack()'s result.
  double upper(double quant_dot, double slack, float norm_term) const noexcept {
    if (!(slack < INFINITY)) return INFINITY;
    return score(quant_dot + slack, std::fabs(quant_dot) + slack, norm_term, true);
  }
  double lower(double quant_dot, double slack, float norm_term) const noexcept {
    if (!(slack < INFINITY)) return -INFINITY;
    return score(quant_dot - slack, std::fabs(quant_dot) + slack, norm_term, false);
  }
};

// The k largest values offered (any order); kth() is -infinity until k have been offered.
struct KBestLowerBounds {
  double values[kMaxTopK];
  size_t k;
  size_t count = 0;

  double kth() const noexcept { return count < k ? -INFINITY : values[k - 1]; }
  void offer(double v) noexcept {
    if (count == k) {
      if (!(v > values[k - 1])) return;
    } else {
      ++count;
    }
    size_t pos = count - 1;
    for (; pos > 0 && values[pos - 1] < v; --pos) values[pos] = values[pos - 1];
    values[pos] = v;
  }
};

// Top-k of (score, id) offered in any order, sorted by score descending then id ascending.
struct OrderedTopK {
  float* scores;
  int32_t* ids;
  size_t k;
  size_t count = 0;

  static bool ahead(float s, int32_t id, float s2, int32_t id2) noexcept {
    return s > s2 || (s == s2 && id < id2);
  }
  float kth() const noexcept {
    return count < k ? -std::numeric_limits<float>::infinity() : scores[k - 1];
  }
  void offer(float score, int32_t id) noexcept {
    if (count == k) {
      if (!ahead(score, id, scores[k - 1], ids[k - 1])) return;
    } else {
      ++count;
    }
    size_t pos = count - 1;
    for (; pos > 0 && ahead(score, id, scores[pos - 1], ids[pos - 1]); --pos) {
      scores[pos] = scores[pos - 1];
      ids[pos] = ids[pos - 1];
    }
    scores[pos] = score;
    ids[pos] = id;
  }
  size_t finish() noexcept {
    for (size_t i = count; i < k; ++i) {
      scores[i] = -std::numeric_limits<float>::infinity();
      ids[i] = -1;
    }
    return count;
  }
};

struct Candidate {
  float upper;  // the bound rounded up to float (never below the double bound)
  int32_t id;
};

inline float round_up_to_float(double v) noexcept {
  float f = static_cast<float>(v);
  if (double(f) < v) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

inline void prefetch_row(const float* row, size_t dim) noexcept {
  for (size_t i = 0; i < dim; i += 64 / sizeof(float)) __builtin_prefetch(row + i);
}

// 4 KiB of stack; a flush is rare once the k-th lower bound has settled.
constexpr size_t kCandidateCapacity = 512;

template <class A, class T>
size_t codebook_search_exact(const ExactSearchTable& table, const float* query, size_t k,
                             int32_t* ids_out, float* scores_out,
                             ExactSearchStats* stats) noexcept {
  const CodebookView& book = table.quantized;
  const size_t dim = book.dim;
  const float sq_norm = query_sq_norm<A>(book, query);
  double query_sq_exact = 0.0;
  for (size_t i = 0; i < dim; ++i) query_sq_exact += double(query[i]) * query[i];
  const ScoreBound bound{book.metric, std::sqrt(query_sq_exact), double(sq_norm),
                         2.0 * (double(dim / kDotLanes) + 8.0) * ScoreBound::u};

  const float query_norm_f = float(bound.query_norm), rel_error_f = float(bound.dot_rel_error);
  OrderedTopK top{scores_out, ids_out, k};
  KBestLowerBounds lows{{}, k};
  Candidate candidates[kCandidateCapacity];
  size_t n_candidates = 0;
  size_t rescored = 0;
  // Every code with upper < prune() is proven out: k codes already score at least that much.
  const auto prune = [&]() noexcept { return std::max(lows.kth(), double(top.kth())); };

  // Drops the candidates proven out since they were kept (the k-th lower bound has risen).
  const auto compact = [&]() noexcept {
    const double limit = prune();
    size_t kept = 0;
    for (size_t i = 0; i < n_candidates; ++i) {
      if (!(double(candidates[i].upper) < limit)) candidates[kept++] = candidates[i];
    }
    n_candidates = kept;
  };
  // Rescores the candidates, likeliest first, until the rest are proven out.
  const auto rescore = [&]() noexcept {
    compact();  // most early candidates are out by now: sort only the rest
    std::sort(candidates, candidates + n_candidates, [](const Candidate& a, const Candidate& b) {
      return a.upper > b.upper || (a.upper == b.upper && a.id < b.id);
    });
    for (size_t i = 0; i < n_candidates; ++i) {
      if (double(candidates[i].upper) < prune()) break;
      if (i + 1 < n_candidates) {
        prefetch_row(table.exact_codes + size_t(candidates[i + 1].id) * dim, dim);
      }
      const size_t j = size_t(candidates[i].id);
      const float exact_dot = dot_one<A, float>(query, table.exact_codes + j * dim, dim);
      top.offer(finish_score(book.metric, exact_dot, 1.0f, sq_norm, book.norm_term[j]),
                candidates[i].id);
      ++rescored;
    }
    n_candidates = 0;
  };

  const T* codes = static_cast<const T*>(book.codes);
  for_each_row_dot<A, T>(query, codes, dim, dim, 0, book.n_codes, [&](size_t j, float dot) {
    const double quant_dot =
        kDTypeOf<T> == DType::int8 ? double(dot) * book.row_scale[j] : double(dot);
    const float norm_term = book.norm_term[j];
    if (book.metric == Metric::inner_product && norm_term > 0.0f) {
      // Cheap float pre-test, no division: (quant_dot + slack) * norm_term expanded with
      // norm_term * code_norm = 1. The 2^-12 margin covers this float arithmetic's own rounding
      // and the small terms left out, so it never rejects a code the double bound would keep.
      const float score = float(quant_dot) * norm_term;
      const float width = query_norm_f * (table.quant_error[j] * norm_term * (2.0f + rel_error_f) +
                                          2.0f * rel_error_f) +
                          1e-29f * norm_term;
      const float high = score + width + (std::fabs(score) + width) * 0x1p-12f;
      if (double(high) < prune()) return;
    }
    const double slack = bound.dot_slack(quant_dot, norm_term, table.quant_error[j]);
    const double upper = bound.upper(quant_dot, slack, norm_term);
    if (upper < prune()) return;
    lows.offer(bound.lower(quant_dot, slack, norm_term));
    if (n_candidates == kCandidateCapacity) {
      compact();
      if (n_candidates > kCandidateCapacity / 2) rescore();  // compacting freed too little
    }
    candidates[n_candidates++] = Candidate{round_up_to_float(upper), static_cast<int32_t>(j)};
  });
  rescore();
  if (stats) stats->rescored = rescored;
  return top.finish();
}

}  // namespace
}  // namespace cbk::simd::detail
