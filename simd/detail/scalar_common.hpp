// Scalar pieces shared by the reference kernels and every ISA body: element decoding, the final
// score formula, the running top-k and the rotary angle table. They are the spec of those steps, so
// reference and SIMD code use the very same lines.
//
// Everything here has internal linkage (anonymous namespace): each ISA translation unit is compiled
// with its own -m flags, and an external inline function would be merged by the linker with a copy
// that may contain AVX-512 instructions.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "simd/simd.hpp"

namespace cbk::simd::detail {
namespace {

// Logical lanes of every dot product (see simd/ref/dot_ref.hpp).
constexpr size_t kDotLanes = 32;

// Exact binary16 -> binary32: shift exponent+mantissa into place and rebias by multiplying with
// 2^112 (exact for normals and subnormals); exponent 31 (inf/nan) maps to 255.
inline float f16_to_f32(uint16_t h) noexcept {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp_mant = static_cast<uint32_t>(h & 0x7fffu) << 13;
  float magnitude;
  if ((h & 0x7c00u) == 0x7c00u) {
    const uint32_t bits = exp_mant | 0x7f800000u;
    std::memcpy(&magnitude, &bits, 4);
  } else {
    std::memcpy(&magnitude, &exp_mant, 4);
    magnitude *= 0x1p112f;
  }
  uint32_t bits;
  std::memcpy(&bits, &magnitude, 4);
  bits |= sign;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

inline float to_f32(float v) noexcept { return v; }
inline float to_f32(uint16_t v) noexcept { return f16_to_f32(v); }
inline float to_f32(int8_t v) noexcept { return static_cast<float>(v); }

// Turns a raw dot <x, stored row> into the reported score. For int8 rows the dot is taken with the
// unscaled integers, so the row scale is applied here first. Written with separate operations so
// that every ISA rounds identically (-ffp-contract=off for the whole library).
inline float finish_score(Metric metric, float dot, float row_scale, float query_sq_norm,
                          float norm_term) noexcept {
  const float scaled = dot * row_scale;
  if (metric == Metric::inner_product) return scaled * norm_term;
  const float dist_sq = (query_sq_norm - 2.0f * scaled) + norm_term;
  return -std::sqrt(dist_sq > 0.0f ? dist_sq : 0.0f);
}

// Running top-k over codes offered in increasing id order: sorted by descending score, ties keep
// the earlier (lower) id ahead. Storage is the caller's output arrays.
struct RunningTopK {
  float* scores;
  int32_t* ids;
  size_t k;
  size_t count = 0;

  // Scores strictly above this may enter (a tie loses to the lower id already held).
  float threshold() const noexcept {
    return count < k ? -std::numeric_limits<float>::infinity() : scores[k - 1];
  }
  bool full() const noexcept { return count == k; }

  // Inlined into the kernels' survivor loops (a call per survivor costs more than the compare).
  __attribute__((always_inline)) void offer(float score, int32_t id) noexcept {
    if (count == k) {
      if (!(score > scores[k - 1])) return;
    } else {
      ++count;
    }
    size_t pos = count - 1;
    while (pos > 0 && scores[pos - 1] < score) {
      scores[pos] = scores[pos - 1];
      ids[pos] = ids[pos - 1];
      --pos;
    }
    scores[pos] = score;
    ids[pos] = id;
  }

  // Pads the unused tail and returns the number of valid entries.
  size_t finish() noexcept {
    for (size_t i = count; i < k; ++i) {
      scores[i] = -std::numeric_limits<float>::infinity();
      ids[i] = -1;
    }
    return count;
  }
};

// GPT-NeoX / HF rotary angles, computed in float32 like the PyTorch reference:
// inv_freq_i = 1 / base^(2i / rotary_dims), angle = position * inv_freq_i.
inline void rotary_cos_sin(size_t rotary_dims, size_t position, float base, float* cos_out,
                           float* sin_out) noexcept {
  const size_t half = rotary_dims / 2;
  for (size_t i = 0; i < half; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(rotary_dims);
    const float inv_freq = 1.0f / std::pow(base, exponent);
    const float angle = static_cast<float>(position) * inv_freq;
    cos_out[i] = std::cos(angle);
    sin_out[i] = std::sin(angle);
  }
}

constexpr size_t kMaxRotaryHalf = 512;  // rotary_dims <= 1024

}  // namespace
}  // namespace cbk::simd::detail
