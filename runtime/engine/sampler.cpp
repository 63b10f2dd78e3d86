#include "runtime/engine/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace cbk {
namespace {

std::uint64_t splitmix64(std::uint64_t* x) noexcept {
  std::uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

}  // namespace

void Rng::reseed(std::uint64_t seed) noexcept {
  std::uint64_t x = seed;
  for (std::uint64_t& s : s_) s = splitmix64(&x);
}

std::uint64_t Rng::next() noexcept {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

Error check_sampling(const SamplingParams& p) noexcept {
  if (std::isnan(p.temperature))
    return Error(Status::invalid_argument, "temperature is NaN");
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f))  // cbk.h promises a refusal outside (0, 1] (a fuzz finding)
    return Error(Status::invalid_argument, "top_p " + std::to_string(p.top_p) + " must be in (0, 1]");
  return Error();
}

std::int32_t argmax_token(const float* logits, std::size_t vocab) noexcept {
  std::size_t best = 0;
  for (std::size_t i = 1; i < vocab; ++i)
    if (logits[i] > logits[best]) best = i;
  return static_cast<std::int32_t>(best);
}

std::int32_t sample_token(const float* logits, std::size_t vocab, const SamplingParams& params,
                          Rng& rng, SamplerScratch scratch) noexcept {
  if (params.temperature <= 0.0f || params.top_k == 1) return argmax_token(logits, vocab);
  std::int32_t* order = scratch.order;
  double* prob = scratch.prob;
  for (std::size_t i = 0; i < vocab; ++i) order[i] = static_cast<std::int32_t>(i);
  auto better = [logits](std::int32_t a, std::int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };

  std::size_t n = vocab;
  const bool use_top_k = params.top_k > 0 && params.top_k < vocab;
  const bool use_top_p = params.top_p < 1.0f;
  if (use_top_k) {
    n = params.top_k;
    std::partial_sort(order, order + n, order + vocab, better);
  } else if (use_top_p) {
    std::sort(order, order + vocab, better);
  }

  float max_logit = logits[order[0]];
  if (!use_top_k && !use_top_p)
    for (std::size_t i = 1; i < n; ++i) max_logit = std::max(max_logit, logits[i]);
  const double inv_t = 1.0 / static_cast<double>(params.temperature);
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    prob[i] = std::exp((static_cast<double>(logits[order[i]]) - max_logit) * inv_t);
    total += prob[i];
  }
  if (use_top_p) {
    const double target = static_cast<double>(params.top_p) * total;
    double cumulative = 0.0;
    std::size_t keep = 0;
    while (keep < n) {
      cumulative += prob[keep++];
      if (cumulative >= target) break;
    }
    n = keep;
    total = cumulative;
  }
  const double u = rng.uniform() * total;
  double cumulative = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    cumulative += prob[i];
    if (cumulative > u) return order[i];
  }
  return order[n - 1];
}

}  // namespace cbk
