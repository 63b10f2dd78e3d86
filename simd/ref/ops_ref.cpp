#include "simd/ref/ops_ref.hpp"

#include <cmath>

#include "simd/detail/scalar_common.hpp"
#include "simd/ref/search_ref.hpp"

namespace cbk::simd::ref {
namespace {

float element(const void* data, DType dtype, size_t index) noexcept {
  switch (dtype) {
    case DType::f32: return static_cast<const float*>(data)[index];
    case DType::f16: return detail::f16_to_f32(static_cast<const uint16_t*>(data)[index]);
    case DType::int8: return static_cast<float>(static_cast<const int8_t*>(data)[index]);
  }
  return 0.0f;
}

float weight_row_dot(const WeightView& w, size_t row, const float* x, Accumulation mode) noexcept {
  const size_t offset = row * w.in_features;
  switch (w.dtype) {
    case DType::f32:
      return dot_lanes(x, static_cast<const float*>(w.data) + offset, w.in_features, mode);
    case DType::f16:
      return dot_lanes(x, static_cast<const uint16_t*>(w.data) + offset, w.in_features, mode);
    case DType::int8:
      return dot_lanes(x, static_cast<const int8_t*>(w.data) + offset, w.in_features, mode) *
             w.row_scale[row];
  }
  return 0.0f;
}

}  // namespace

void gather_mean(const CodebookView& book, const int32_t* ids, size_t n_slots,
                 const float* strength, float* out) noexcept {
  for (size_t i = 0; i < book.dim; ++i) out[i] = 0.0f;
  if (n_slots == 0) return;
  for (size_t s = 0; s < n_slots; ++s) {
    if (ids[s] < 0) continue;  // an ablated slot: contributes zero, still counts below
    const size_t row = static_cast<size_t>(ids[s]);
    const float scale = book.dtype == DType::int8 ? book.row_scale[row] : 1.0f;
    const float factor = strength ? strength[s] * scale : scale;
    for (size_t i = 0; i < book.dim; ++i) {
      out[i] += factor * element(book.codes, book.dtype, row * book.dim + i);
    }
  }
  const float inv_slots = 1.0f / static_cast<float>(n_slots);
  for (size_t i = 0; i < book.dim; ++i) out[i] *= inv_slots;
}

void linear_gemv(const WeightView& w, const float* bias, const float* x, float* y,
                 Accumulation mode) noexcept {
  for (size_t o = 0; o < w.out_features; ++o) {
    const float dot = weight_row_dot(w, o, x, mode);
    y[o] = bias ? dot + bias[o] : dot;
  }
}

void linear_gemm(const WeightView& w, const float* bias, const float* x, size_t n_rows,
                 size_t x_stride, float* y, size_t y_stride, Accumulation mode) noexcept {
  for (size_t r = 0; r < n_rows; ++r) linear_gemv(w, bias, x + r * x_stride, y + r * y_stride, mode);
}

void layernorm(const float* x, const float* gamma, const float* beta, size_t n, float eps,
               float* out) noexcept {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += x[i];
  const double mean = sum / static_cast<double>(n);
  double sq = 0.0;
  for (size_t i = 0; i < n; ++i) sq += (x[i] - mean) * (x[i] - mean);
  const double rstd = 1.0 / std::sqrt(sq / static_cast<double>(n) + eps);
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<float>((x[i] - mean) * rstd * gamma[i] + beta[i]);
  }
}

void softmax(float* x, size_t n) noexcept {
  float max_value = x[0];
  for (size_t i = 1; i < n; ++i) max_value = std::fmax(max_value, x[i]);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max_value);
    sum += x[i];
  }
  const float inv_sum = static_cast<float>(1.0 / sum);
  for (size_t i = 0; i < n; ++i) x[i] *= inv_sum;
}

void gelu_erf(const float* x, float* out, size_t n) noexcept {
  for (size_t i = 0; i < n; ++i) {
    const double v = x[i];
    out[i] = static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
  }
}

void gelu_tanh(const float* x, float* out, size_t n) noexcept {
  const double k = std::sqrt(2.0 / 3.14159265358979323846);
  for (size_t i = 0; i < n; ++i) {
    const double v = x[i];
    out[i] = static_cast<float>(0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v))));
  }
}

void relu(const float* x, float* out, size_t n) noexcept {
  for (size_t i = 0; i < n; ++i) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void sigmoid(const float* x, float* out, size_t n) noexcept {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(1.0 / (1.0 + std::exp(-double(x[i]))));
}

void add(const float* a, const float* b, float* out, size_t n) noexcept {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void rotary_neox(float* x, size_t n_heads, size_t head_dim, size_t rotary_dims, size_t position,
                 float base) noexcept {
  float cos_table[detail::kMaxRotaryHalf];
  float sin_table[detail::kMaxRotaryHalf];
  detail::rotary_cos_sin(rotary_dims, position, base, cos_table, sin_table);
  const size_t half = rotary_dims / 2;
  for (size_t h = 0; h < n_heads; ++h) {
    float* head = x + h * head_dim;
    for (size_t i = 0; i < half; ++i) {
      // rotate_half: (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin)
      const float x1 = head[i];
      const float x2 = head[i + half];
      head[i] = x1 * cos_table[i] - x2 * sin_table[i];
      head[i + half] = x2 * cos_table[i] + x1 * sin_table[i];
    }
  }
}

void attention_decode(const AttentionShape& shape, const float* q, const float* k_cache,
                      const float* v_cache, size_t position, float* scratch, float* out) noexcept {
  const size_t first = shape.window != 0 && position + 1 > shape.window
                           ? position + 1 - shape.window : 0;
  const size_t hd = shape.head_dim;
  for (size_t h = 0; h < shape.n_heads; ++h) {
    const float* qh = q + h * hd;
    for (size_t t = first; t <= position; ++t) {
      const float* kt = k_cache + t * shape.kv_stride + h * hd;
      double dot = 0.0;
      for (size_t i = 0; i < hd; ++i) dot += static_cast<double>(qh[i]) * kt[i];
      scratch[t - first] = static_cast<float>(dot) * shape.scale;
    }
    softmax(scratch, position + 1 - first);
    float* oh = out + h * hd;
    for (size_t i = 0; i < hd; ++i) {
      double acc = 0.0;
      for (size_t t = first; t <= position; ++t) {
        acc += static_cast<double>(scratch[t - first]) * v_cache[t * shape.kv_stride + h * hd + i];
      }
      oh[i] = static_cast<float>(acc);
    }
  }
}

void attention_prefill(const AttentionShape& shape, const float* q, size_t n_queries,
                       size_t q_stride, const float* k_cache, const float* v_cache,
                       size_t first_position, float* scratch, float* out,
                       size_t out_stride) noexcept {
  for (size_t i = 0; i < n_queries; ++i) {
    attention_decode(shape, q + i * q_stride, k_cache, v_cache, first_position + i, scratch,
                     out + i * out_stride);
  }
}

}  // namespace cbk::simd::ref
