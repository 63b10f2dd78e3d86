// Token sampling with a seeded random stream that is identical on every platform.
//
// RNG: xoshiro256** (Blackman & Vigna), state seeded by four successive splitmix64 outputs of the
// 64-bit seed. A uniform double in [0, 1) is (next() >> 11) * 2^-53. No std:: distributions are
// used (their output differs between standard libraries).
//
// sample_token(logits, vocab, params, rng), in this exact order:
//  1. Greedy when temperature <= 0 or top_k == 1: the largest logit; ties -> the lowest id.
//     Greedy draws nothing from the RNG.
//  2. Candidates = every id, ranked by (logit descending, id ascending).
//  3. top_k > 0: keep the first top_k candidates of that ranking.
//  4. Temperature: z_i = (logit_i - max_logit) * (1 / temperature), p_i = exp(z_i) / sum_j exp(z_j)
//     over the kept candidates (double precision).
//  5. top_p < 1: keep the shortest prefix of the ranking whose cumulative probability is >= top_p
//     (always at least one candidate), then renormalise over that prefix.
//  6. Draw u = uniform double in [0, 1); return the first candidate (in ranking order) whose
//     cumulative probability exceeds u * total (the last candidate if rounding leaves none).
//     Exactly one RNG draw per sampled token. When neither top_k nor top_p removes anything, the
//     candidates are walked in id order instead (no sort is needed for plain temperature sampling).
// Temperature scaling does not change the ranking, so applying it before or after top-k is the
// same; it does change which prefix top-p keeps (it is applied before top-p, as in Hugging Face).
// Values that are exactly equal keep id order, so results are reproducible bit for bit given the
// same logits (exp() may differ in the last ulp between C libraries).
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/status.hpp"

namespace cbk {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) noexcept { reseed(seed); }
  void reseed(std::uint64_t seed) noexcept;
  std::uint64_t next() noexcept;
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t s_[4];
};

struct SamplingParams {
  float temperature = 1.0f;  // <= 0: greedy
  std::uint32_t top_k = 0;   // 0: off
  float top_p = 1.0f;        // >= 1: off; must be > 0
};

// Checks the parameters: invalid_argument for a NaN temperature or top_p outside (0, 1]
// (values above 1 are treated as 1).
Error check_sampling(const SamplingParams& params) noexcept;

// Scratch for sample_token: `vocab` ids and `vocab` doubles, owned by the caller so that sampling
// never allocates.
struct SamplerScratch {
  std::int32_t* order = nullptr;
  double* prob = nullptr;
};

// Samples one id from logits[vocab] as documented above. params must have passed
// check_sampling; vocab >= 1.
std::int32_t sample_token(const float* logits, std::size_t vocab, const SamplingParams& params,
                          Rng& rng, SamplerScratch scratch) noexcept;

// The greedy choice: the largest logit, ties to the lowest id.
std::int32_t argmax_token(const float* logits, std::size_t vocab) noexcept;

}  // namespace cbk
