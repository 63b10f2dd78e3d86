// Normalisation, activations, rotary embedding and attention, written once for every xsimd arch.
// These are compared with the reference under named tolerances (they use xsimd's exp/erf/tanh and
// a different summation order), unlike the search and linear kernels.
#pragma once

#include <cmath>
#include <cstddef>

#include "simd/detail/scalar_common.hpp"
#include "simd/kernels/dot.hpp"

namespace cbk::simd::detail {
namespace {

template <class A>
using FBatch = xsimd::batch<float, A>;

template <class A>
inline float horizontal_max(FBatch<A> v) noexcept {
  alignas(64) float lanes[FBatch<A>::size];
  v.store_aligned(lanes);
  float m = lanes[0];
  for (size_t i = 1; i < FBatch<A>::size; ++i) m = lanes[i] > m ? lanes[i] : m;
  return m;
}

template <class A>
void layernorm(const float* x, const float* gamma, const float* beta, size_t n, float eps,
                   float* out) noexcept {
  using B = FBatch<A>;
  constexpr size_t L = B::size;
  B sum_v(0.0f);
  size_t i = 0;
  for (; i + L <= n; i += L) sum_v += B::load_unaligned(x + i);
  float sum = xsimd::hadd(sum_v);
  for (; i < n; ++i) sum += x[i];
  const float mean = sum / static_cast<float>(n);
  // Two-pass variance: stable for inputs with a large mean.
  const B mean_v(mean);
  B sq_v(0.0f);
  for (i = 0; i + L <= n; i += L) {
    const B centered = B::load_unaligned(x + i) - mean_v;
    sq_v = xsimd::fma(centered, centered, sq_v);
  }
  float sq = xsimd::hadd(sq_v);
  for (; i < n; ++i) sq += (x[i] - mean) * (x[i] - mean);
  const float rstd = 1.0f / std::sqrt(sq / static_cast<float>(n) + eps);
  const B rstd_v(rstd);
  for (i = 0; i + L <= n; i += L) {
    const B normalized = (B::load_unaligned(x + i) - mean_v) * rstd_v;
    xsimd::fma(normalized, B::load_unaligned(gamma + i), B::load_unaligned(beta + i))
        .store_unaligned(out + i);
  }
  for (; i < n; ++i) out[i] = (x[i] - mean) * rstd * gamma[i] + beta[i];
}

template <class A>
void softmax(float* x, size_t n) noexcept {
  using B = FBatch<A>;
  constexpr size_t L = B::size;
  size_t i = 0;
  float max_value = x[0];
  if (n >= L) {
    B max_v = B::load_unaligned(x);
    for (i = L; i + L <= n; i += L) max_v = xsimd::max(max_v, B::load_unaligned(x + i));
    max_value = horizontal_max<A>(max_v);
  }
  for (; i < n; ++i) max_value = x[i] > max_value ? x[i] : max_value;
  const B max_b(max_value);
  B sum_v(0.0f);
  for (i = 0; i + L <= n; i += L) {
    const B e = xsimd::exp(B::load_unaligned(x + i) - max_b);
    e.store_unaligned(x + i);
    sum_v += e;
  }
  float sum = xsimd::hadd(sum_v);
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - max_value);
    sum += x[i];
  }
  const float inv_sum = 1.0f / sum;
  const B inv_v(inv_sum);
  for (i = 0; i + L <= n; i += L) (B::load_unaligned(x + i) * inv_v).store_unaligned(x + i);
  for (; i < n; ++i) x[i] *= inv_sum;
}

// Applies f (batch) over full vectors and g (scalar) over the tail.
template <class A, class VecFn, class ScalarFn>
inline void map_unary(const float* x, float* out, size_t n, VecFn f, ScalarFn g) noexcept {
  using B = FBatch<A>;
  size_t i = 0;
  for (; i + B::size <= n; i += B::size) f(B::load_unaligned(x + i)).store_unaligned(out + i);
  for (; i < n; ++i) out[i] = g(x[i]);
}

template <class A>
void gelu_erf(const float* x, float* out, size_t n) noexcept {
  using B = FBatch<A>;
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  map_unary<A>(
      x, out, n,
      [](B v) { return B(0.5f) * v * (B(1.0f) + xsimd::erf(v * B(kInvSqrt2))); },
      [](float v) { return 0.5f * v * (1.0f + std::erf(v * kInvSqrt2)); });
}

template <class A>
void gelu_tanh(const float* x, float* out, size_t n) noexcept {
  using B = FBatch<A>;
  constexpr float kSqrt2OverPi = 0.79788456080286536f;
  constexpr float kCubic = 0.044715f;
  map_unary<A>(
      x, out, n,
      [](B v) {
        const B inner = B(kSqrt2OverPi) * (v + B(kCubic) * v * v * v);
        return B(0.5f) * v * (B(1.0f) + xsimd::tanh(inner));
      },
      [](float v) {
        return 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * (v + kCubic * v * v * v)));
      });
}

template <class A>
void relu(const float* x, float* out, size_t n) noexcept {
  using B = FBatch<A>;
  map_unary<A>(
      x, out, n, [](B v) { return xsimd::max(v, B(0.0f)); },
      [](float v) { return v > 0.0f ? v : 0.0f; });
}

// 1 / (1 + exp(-x)); exp overflows to +inf for x < -88, which gives the correct 0.
template <class A>
void sigmoid(const float* x, float* out, size_t n) noexcept {
  using B = FBatch<A>;
  map_unary<A>(
      x, out, n, [](B v) { return B(1.0f) / (B(1.0f) + xsimd::exp(-v)); },
      [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
}

template <class A>
void add(const float* a, const float* b, float* out, size_t n) noexcept {
  using B = FBatch<A>;
  size_t i = 0;
  for (; i + B::size <= n; i += B::size) {
    (B::load_unaligned(a + i) + B::load_unaligned(b + i)).store_unaligned(out + i);
  }
  for (; i < n; ++i) out[i] = a[i] + b[i];
}

template <class A>
void rotary_neox(float* x, size_t n_heads, size_t head_dim, size_t rotary_dims,
                     size_t position, float base) noexcept {
  using B = FBatch<A>;
  float cos_table[kMaxRotaryHalf];
  float sin_table[kMaxRotaryHalf];
  rotary_cos_sin(rotary_dims, position, base, cos_table, sin_table);
  const size_t half = rotary_dims / 2;
  for (size_t h = 0; h < n_heads; ++h) {
    float* first = x + h * head_dim;
    float* second = first + half;
    size_t i = 0;
    for (; i + B::size <= half; i += B::size) {
      const B x1 = B::load_unaligned(first + i);
      const B x2 = B::load_unaligned(second + i);
      const B c = B::load_unaligned(cos_table + i);
      const B s = B::load_unaligned(sin_table + i);
      (x1 * c - x2 * s).store_unaligned(first + i);
      (x2 * c + x1 * s).store_unaligned(second + i);
    }
    for (; i < half; ++i) {
      const float x1 = first[i];
      const float x2 = second[i];
      first[i] = x1 * cos_table[i] - x2 * sin_table[i];
      second[i] = x2 * cos_table[i] + x1 * sin_table[i];
    }
  }
}

template <class A>
void attention_decode(const AttentionShape& shape, const float* q, const float* k_cache,
                          const float* v_cache, size_t position, float* scratch,
                          float* out) noexcept {
  using B = FBatch<A>;
  constexpr size_t L = B::size;
  const size_t first =
      shape.window != 0 && position + 1 > shape.window ? position + 1 - shape.window : 0;
  const size_t n_keys = position + 1 - first;
  const size_t hd = shape.head_dim;
  for (size_t h = 0; h < shape.n_heads; ++h) {
    const float* qh = q + h * hd;
    for_each_row_dot<A, float>(qh, k_cache + first * shape.kv_stride + h * hd, shape.kv_stride, hd,
                               0, n_keys,
                               [&](size_t t, float dot) { scratch[t] = dot * shape.scale; });
    softmax<A>(scratch, n_keys);
    float* oh = out + h * hd;
    size_t i = 0;
    for (; i + L <= hd; i += L) {
      B acc(0.0f);
      for (size_t t = 0; t < n_keys; ++t) {
        const float* vt = v_cache + (first + t) * shape.kv_stride + h * hd;
        acc = ArchOps<A>::madd(B(scratch[t]), B::load_unaligned(vt + i), acc);
      }
      acc.store_unaligned(oh + i);
    }
    for (; i < hd; ++i) {
      float acc = 0.0f;
      for (size_t t = 0; t < n_keys; ++t) {
        acc += scratch[t] * v_cache[(first + t) * shape.kv_stride + h * hd + i];
      }
      oh[i] = acc;
    }
  }
}

template <class A>
void attention_prefill(const AttentionShape& shape, const float* q, size_t n_queries,
                           size_t q_stride, const float* k_cache, const float* v_cache,
                           size_t first_position, float* scratch, float* out,
                           size_t out_stride) noexcept {
  for (size_t i = 0; i < n_queries; ++i) {
    attention_decode<A>(shape, q + i * q_stride, k_cache, v_cache, first_position + i, scratch,
                            out + i * out_stride);
  }
}

}  // namespace
}  // namespace cbk::simd::detail
