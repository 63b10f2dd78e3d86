// Load-time helpers that produce what the kernels consume: per-code norm terms, f16 / int8 copies
// of a table and their per-code quantization error. Run once per model (not on the hot path);
// computed in double precision.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd/simd.hpp"

namespace cbk::simd {

// IEEE binary16 <-> binary32 (round to nearest even; overflow to infinity).
uint16_t f32_to_f16(float value) noexcept;
float f16_to_f32(uint16_t bits) noexcept;

// norm_term_out[j] = 1/||c_j|| (inner_product; 0 for an all-zero code) or ||c_j||^2 (euclidean).
void compute_norm_terms(const float* codes, size_t n_codes, size_t dim, Metric metric,
                        float* norm_term_out) noexcept;

// codes_out = f16(codes); quant_error_out[j] = ||c_j - f16(c_j)|| (rounded up to float).
void quantize_f16(const float* codes, size_t n_codes, size_t dim, uint16_t* codes_out,
                  float* quant_error_out) noexcept;

// Symmetric per-row int8: scale_j = max|c_j| / 127, q = round(c / scale) clamped to [-127, 127].
// quant_error_out[j] = ||c_j - scale_j q_j|| (rounded up to float). An all-zero row gets scale 1.
void quantize_int8(const float* codes, size_t n_codes, size_t dim, int8_t* codes_out,
                   float* row_scale_out, float* quant_error_out) noexcept;

// For a quantized table given by a file next to its f32 originals: quant_error_out[j] =
// ||exact_j - dequant(quantized_j)|| (rounded up to float), what ExactSearchTable::quant_error needs.
// quantized.dtype is f16 or int8 (an f32 table gets the exact difference too).
void compute_quant_error(const CodebookView& quantized, const float* exact,
                         float* quant_error_out) noexcept;

// PyTorch ConvTranspose2d weight [in x out x k x k] -> the GEMM layout the conv_transpose2d
// kernel reads, [out x k x k x in].
void prepare_conv_transpose_weight(const float* torch_weight, size_t in_channels,
                                   size_t out_channels, size_t kernel, float* gemm_out) noexcept;

}  // namespace cbk::simd
