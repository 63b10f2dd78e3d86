// Gather-mean and linear layers, written once for every ArchOps<A>. Linear rows use the same
// lane-ordered dot as the search, so GEMV/GEMM reproduce the reference bit for bit per
// accumulation mode, and GEMM equals GEMV row by row.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd/detail/scalar_common.hpp"
#include "simd/kernels/dot.hpp"

namespace cbk::simd::detail {
namespace {

template <class A, class T>
void gather_mean(const CodebookView& book, const int32_t* ids, size_t n_slots,
                 const float* strength, float* out) noexcept {
  using Ops = ArchOps<A>;
  using B = typename Ops::B;
  constexpr size_t L = Ops::kLanes;
  const size_t dim = book.dim;
  const T* codes = static_cast<const T*>(book.codes);
  const float inv_slots = n_slots > 0 ? 1.0f / static_cast<float>(n_slots) : 0.0f;
  auto factor_of = [&](size_t s) {
    const float scale =
        kDTypeOf<T> == DType::int8 ? book.row_scale[static_cast<size_t>(ids[s])] : 1.0f;
    return strength ? strength[s] * scale : scale;
  };
  size_t i = 0;
  for (; i + L <= dim; i += L) {
    B acc = Ops::zero();
    for (size_t s = 0; s < n_slots; ++s) {
      if (ids[s] < 0) continue;  // ablated slot: zero vector, still counted in n_slots
      acc = Ops::madd(B(factor_of(s)), Ops::load(codes + size_t(ids[s]) * dim + i), acc);
    }
    const B mean = acc * B(inv_slots);
    if constexpr (L == 1) {
      out[i] = mean;
    } else {
      mean.store_unaligned(out + i);
    }
  }
  for (; i < dim; ++i) {
    float acc = 0.0f;
    for (size_t s = 0; s < n_slots; ++s) {
      if (ids[s] < 0) continue;
      acc += factor_of(s) * to_f32(codes[size_t(ids[s]) * dim + i]);
    }
    out[i] = acc * inv_slots;
  }
}

template <class T>
inline float linear_output(float dot, const WeightView& w, const float* bias, size_t o) noexcept {
  const float scaled = kDTypeOf<T> == DType::int8 ? dot * w.row_scale[o] : dot;
  return bias ? scaled + bias[o] : scaled;
}

template <class A, class T>
void linear_gemv(const WeightView& w, const float* bias, const float* x, float* y) noexcept {
  const T* weights = static_cast<const T*>(w.data);
  for_each_row_dot<A, T>(x, weights, w.in_features, w.in_features, 0, w.out_features,
                         [&](size_t o, float dot) { y[o] = linear_output<T>(dot, w, bias, o); });
}

// Weight rows are walked in blocks of about kBlockBytes; each block serves every input row while
// it is cache resident, so the weights are read from memory once per call.
template <class A, class T>
void linear_gemm(const WeightView& w, const float* bias, const float* x, size_t n_rows,
                 size_t x_stride, float* y, size_t y_stride) noexcept {
  constexpr size_t kLinearBlockBytes = 128 * 1024;
  const T* weights = static_cast<const T*>(w.data);
  const size_t row_bytes = w.in_features * sizeof(T) > 0 ? w.in_features * sizeof(T) : 1;
  const size_t block_rows = kLinearBlockBytes / row_bytes > 0 ? kLinearBlockBytes / row_bytes : 1;
  for (size_t begin = 0; begin < w.out_features; begin += block_rows) {
    const size_t end = w.out_features - begin < block_rows ? w.out_features : begin + block_rows;
    for (size_t r = 0; r < n_rows; ++r) {
      float* y_row = y + r * y_stride;
      for_each_row_dot<A, T>(x + r * x_stride, weights, w.in_features, w.in_features, begin, end,
                             [&](size_t o, float dot) {
                               y_row[o] = linear_output<T>(dot, w, bias, o);
                             });
    }
  }
}

}  // namespace
}  // namespace cbk::simd::detail
