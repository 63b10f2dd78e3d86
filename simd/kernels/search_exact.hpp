// Exact search over a quantized (f16 / int8) table, written once for every ArchOps<A>.
//
// Pass 1 streams the quantized table. Each code gets a proven interval [lower, upper] around the
// score the f32 kernel would report (ScoreBound). The k best lower bounds seen so far bound the
// final k-th score from below, so a code whose upper bound is below that can never enter; the rest
// are kept as candidates in a small fixed buffer. The table is dotted L rows per vector (the f32
// kernel's fold, so each row's sum is the same), and a float version of the upper bound (PreTest)
// drops rows with one compare per vector; the double bound runs only for the rows it keeps.
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

// The float threshold for PreTest: the largest float below `prune`. A code is dropped only when its
// float upper bound is below this, hence strictly below prune, as the exact test requires; with
// prune = -infinity (or NaN) nothing is dropped.
inline float pretest_threshold(double prune) noexcept {
  float t = static_cast<float>(prune);
  if (!(double(t) < prune)) t = std::nextafter(t, -std::numeric_limits<float>::infinity());
  return t;
}

// A cheap conservative version of ScoreBound::upper for L codes at once, in float vector
// arithmetic, so that the double bound runs only for the rare codes it cannot drop. It never drops
// a code the double bound keeps: every term of the double bound is reproduced (or over-estimated),
// and the result is widened by 2^-12 = 4096 u of the magnitudes involved, while the terms left out
// (the 4u |quant_dot| slack term, the bound's own 4u rounding widenings) and the float rounding of
// the dozen operations here (float(query_norm), float(dot_rel_error), the int8 row-scale product,
// ...) each stay within a few u of those magnitudes, so below 64 u together. Absolute terms cover
// the 1e-30 slack floor (1e-29 here) and the absolute rounding errors of subnormal results
// (FLT_MIN; in the inner product, a subnormal error amplified by a later product lands in a term
// that the margin covers: width >= 2 dot_rel_error ||x||, and quant_dot's error times norm_term is
// covered by 1e-29 norm_term; in the Euclidean distance an underflow only raises the upper bound
// toward 0, the largest score). A float overflow proves nothing, so such codes are kept: NaN fails
// the ordered compare, +inf exceeds any threshold, and an inner-product bound of -inf (an
// overflowed quant_dot or score) is excluded explicitly; an overflowed Euclidean distance becomes
// NaN or -inf and so a bound of 0.
template <class A>
struct PreTest {
  using Ops = ArchOps<A>;
  using B = typename Ops::B;
  static constexpr size_t L = Ops::kLanes;
  static constexpr float kMargin = 0x1p-12f;

  Metric metric;
  float query_norm, rel_error, query_sq;

  PreTest(Metric m, const ScoreBound& bound, float sq_norm) noexcept
      : metric(m), query_norm(float(bound.query_norm)), rel_error(float(bound.dot_rel_error)),
        query_sq(sq_norm) {}

  // Bit r set unless code j + r is proven below `reject_below` (dots: the raw quantized dots).
  template <class T>
  CBK_SIMD_INLINE uint32_t survivors(const ExactSearchTable& table, B dots, size_t j,
                                     float reject_below) const noexcept {
    const CodebookView& book = table.quantized;
    const B quant_dot = kDTypeOf<T> == DType::int8 ? dots * Ops::load(book.row_scale + j) : dots;
    const B norm = Ops::load(book.norm_term + j);
    const B error = Ops::load(table.quant_error + j);
    const B qn = Ops::broadcast(query_norm), rel = Ops::broadcast(rel_error);
    const B two = Ops::broadcast(2.0f), margin = Ops::broadcast(kMargin);
    constexpr uint32_t all = L == 32 ? ~0u : (1u << L) - 1;
    B high;
    uint32_t testable = all;
    if (metric == Metric::inner_product) {
      // ScoreBound: (quant_dot + slack) * norm_term, expanded with norm_term * code_norm = 1 (no
      // division). A code with norm_term <= 0 (or NaN) has no bound: always kept.
      const B score = quant_dot * norm;
      const B width = qn * (error * norm * (two + rel) + two * rel) +
                      Ops::broadcast(1e-29f) * norm;
      high = (score + width) + (Ops::abs(score) + width) * margin +
             Ops::broadcast(std::numeric_limits<float>::min());
      testable = Ops::greater_mask(norm, 0.0f) &
                 Ops::greater_mask(high, -std::numeric_limits<float>::max());
    } else {
      // ScoreBound: dist^2 = |x|^2 - 2 (quant_dot + slack) + norm_term less its rounding allowance
      // 4u (|x|^2 + 2 |quant_dot| + 2 slack + norm_term): here less 2^-12 of that sum.
      const B slack = qn * (error * two + rel * (two * Ops::sqrt(norm) + error));
      const B q_sq = Ops::broadcast(query_sq);
      const B size = ((q_sq + norm) + two * Ops::abs(quant_dot)) + two * slack;
      const B dist_sq = (((q_sq - two * quant_dot) + norm) - two * slack) -
                        (size * margin + Ops::broadcast(1e-29f));
      high = -(Ops::sqrt(Ops::positive_or_zero(dist_sq)) * (Ops::broadcast(1.0f) - margin));
    }
    // Dropped: high < reject_below, written as -high > -reject_below so that NaN is kept.
    return all & ~(Ops::greater_mask(-high, -reject_below) & testable);
  }
};

// 4 KiB of stack; a flush is rare once the k-th lower bound has settled.
constexpr size_t kCandidateCapacity = 512;

template <class A, class T>
size_t codebook_search_exact(const ExactSearchTable& table, const float* query, size_t k,
                             int32_t* ids_out, float* scores_out,
                             ExactSearchStats* stats) noexcept {
  const CodebookView& book = table.quantized;
  const size_t dim = book.dim;
  if (stats) stats->rescored = 0;
  if (k == 0) return 0;  // nothing to write, as in the f32 kernel
  const float sq_norm = query_sq_norm<A>(book, query);
  double query_sq_exact = 0.0;
  for (size_t i = 0; i < dim; ++i) query_sq_exact += double(query[i]) * query[i];
  const ScoreBound bound{book.metric, std::sqrt(query_sq_exact), double(sq_norm),
                         2.0 * (double(dim / kDotLanes) + 8.0) * ScoreBound::u};

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

  // The exact test of one code (the proven bound in double); survivors become candidates.
  const auto consider = [&](size_t j, float dot) noexcept {
    const double quant_dot =
        kDTypeOf<T> == DType::int8 ? double(dot) * book.row_scale[j] : double(dot);
    const float norm_term = book.norm_term[j];
    const double slack = bound.dot_slack(quant_dot, norm_term, table.quant_error[j]);
    const double upper = bound.upper(quant_dot, slack, norm_term);
    if (upper < prune()) return;
    lows.offer(bound.lower(quant_dot, slack, norm_term));
    if (n_candidates == kCandidateCapacity) {
      compact();
      if (n_candidates > kCandidateCapacity / 2) rescore();  // compacting freed too little
    }
    candidates[n_candidates++] = Candidate{round_up_to_float(upper), static_cast<int32_t>(j)};
  };

  using Ops = ArchOps<A>;
  constexpr size_t L = Ops::kLanes;
  const T* codes = static_cast<const T*>(book.codes);
  const PreTest<A> pre{book.metric, bound, sq_norm};
  float reject_below = pretest_threshold(prune());
  size_t j = 0;
  for (; book.n_codes - j >= L; j += L) {
    typename Ops::B dots;
    const float* query_of[1] = {query};
    fold_slots<A, T, 1, DotShape<A>::kGroup, L>(query_of, codes + j * dim, dim, 0, &dots);
    uint32_t survivors = pre.template survivors<T>(table, dots, j, reject_below);
    if (survivors == 0) continue;
    float lane[L];
    Ops::store(lane, dots);
    for (; survivors != 0; survivors &= survivors - 1) {
      const size_t r = static_cast<size_t>(__builtin_ctz(survivors));
      consider(j + r, lane[r]);
    }
    reject_below = pretest_threshold(prune());
  }
  for_each_row_dot<A, T>(query, codes, dim, dim, j, book.n_codes, consider);
  rescore();
  if (stats) stats->rescored = rescored;
  return top.finish();
}

}  // namespace
}  // namespace cbk::simd::detail
