// The elementwise/attention entries of an xsimd arch's table (see table.hpp).
#pragma once

#include "simd/kernels/ops.hpp"

namespace cbk::simd::detail {
namespace {

template <class A>
struct XsimdElementwise {
  using Arch = A;
  static constexpr LayerNormFn f32_layernorm = &layernorm<A>;
  static constexpr SoftmaxFn f32_softmax = &softmax<A>;
  static constexpr UnaryFn f32_gelu_erf = &gelu_erf<A>;
  static constexpr UnaryFn f32_gelu_tanh = &gelu_tanh<A>;
  static constexpr UnaryFn f32_relu = &relu<A>;
  static constexpr UnaryFn f32_sigmoid = &sigmoid<A>;
  static constexpr BinaryFn f32_add = &add<A>;
  static constexpr RotaryFn f32_rotary_neox = &rotary_neox<A>;
  static constexpr AttentionDecodeFn f32_attention_decode = &attention_decode<A>;
  static constexpr AttentionPrefillFn f32_attention_prefill = &attention_prefill<A>;
};

}  // namespace
}  // namespace cbk::simd::detail
