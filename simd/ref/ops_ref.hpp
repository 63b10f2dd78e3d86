// Reference (spec) versions of the non-search kernels. Plain loops, same signatures as the table
// entries (see simd/simd.hpp for each contract). Linear layers use the lane-ordered dot product of
// search_ref.hpp so that GEMV results are reproducible per accumulation mode.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd/simd.hpp"

namespace cbk::simd::ref {

void gather_mean(const CodebookView& book, const int32_t* ids, size_t n_slots,
                 const float* strength, float* out) noexcept;
void linear_gemv(const WeightView& w, const float* bias, const float* x, float* y,
                 Accumulation mode) noexcept;
void linear_gemm(const WeightView& w, const float* bias, const float* x, size_t n_rows,
                 size_t x_stride, float* y, size_t y_stride, Accumulation mode) noexcept;
void layernorm(const float* x, const float* gamma, const float* beta, size_t n, float eps,
               float* out) noexcept;
void softmax(float* x, size_t n) noexcept;
void gelu_erf(const float* x, float* out, size_t n) noexcept;
void gelu_tanh(const float* x, float* out, size_t n) noexcept;
void relu(const float* x, float* out, size_t n) noexcept;
void sigmoid(const float* x, float* out, size_t n) noexcept;
void add(const float* a, const float* b, float* out, size_t n) noexcept;
void rotary_neox(float* x, size_t n_heads, size_t head_dim, size_t rotary_dims, size_t position,
                 float base) noexcept;
void attention_decode(const AttentionShape& shape, const float* q, const float* k_cache,
                      const float* v_cache, size_t position, float* scratch, float* out) noexcept;
void attention_prefill(const AttentionShape& shape, const float* q, size_t n_queries,
                       size_t q_stride, const float* k_cache, const float* v_cache,
                       size_t first_position, float* scratch, float* out,
                       size_t out_stride) noexcept;

}  // namespace cbk::simd::ref
