#include "simd/prepare.hpp"

#include <cmath>
#include <cstring>

#include "simd/detail/scalar_common.hpp"

namespace cbk::simd {
namespace {

// The smallest float >= value, so a stored error bound never understates the double result.
float round_up_to_float(double value) noexcept {
  float f = static_cast<float>(value);
  if (static_cast<double>(f) < value) f = std::nextafter(f, INFINITY);
  return f;
}

}  // namespace

uint16_t f32_to_f16(float value) noexcept {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits >= 0x7f800000u) {  // inf or nan
    return static_cast<uint16_t>(sign | 0x7c00u | (abs_bits > 0x7f800000u ? 0x200u : 0u));
  }
  float magnitude;
  std::memcpy(&magnitude, &abs_bits, 4);
  if (magnitude >= 65520.0f) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to inf
  if (magnitude < 0x1p-14f) {
    // Subnormal half: multiples of 2^-24; lrint rounds half to even in the default mode.
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(std::lrint(magnitude * 0x1p24f)));
  }
  // Normal: drop 13 mantissa bits with round-to-nearest-even, then rebias the exponent.
  const uint32_t mantissa_round = abs_bits + 0xfffu + ((abs_bits >> 13) & 1u);
  return static_cast<uint16_t>(sign | ((mantissa_round - (112u << 23)) >> 13));
}

float f16_to_f32(uint16_t bits) noexcept { return detail::f16_to_f32(bits); }

void compute_norm_terms(const float* codes, size_t n_codes, size_t dim, Metric metric,
                        float* norm_term_out) noexcept {
  auto finish = [&](size_t j, double sq) {
    if (metric == Metric::euclidean) {
      norm_term_out[j] = static_cast<float>(sq);
    } else {
      norm_term_out[j] = sq > 0.0 ? static_cast<float>(1.0 / std::sqrt(sq)) : 0.0f;
    }
  };
  // Eight codes at a time: eight independent sums instead of one long chain of dependent adds
  // (model preparation runs this over every code table at load). Each code's sum still adds its
  // elements in order, so the result is bit-identical to one code at a time.
  constexpr size_t kBlock = 8;
  size_t j = 0;
  for (; j + kBlock <= n_codes; j += kBlock) {
    double sq[kBlock] = {};
    for (size_t i = 0; i < dim; ++i) {
      for (size_t b = 0; b < kBlock; ++b) {
        const double v = codes[(j + b) * dim + i];
        sq[b] += v * v;
      }
    }
    for (size_t b = 0; b < kBlock; ++b) finish(j + b, sq[b]);
  }
  for (; j < n_codes; ++j) {
    double sq = 0.0;
    for (size_t i = 0; i < dim; ++i) sq += double(codes[j * dim + i]) * codes[j * dim + i];
    finish(j, sq);
  }
}

void quantize_f16(const float* codes, size_t n_codes, size_t dim, uint16_t* codes_out,
                  float* quant_error_out) noexcept {
  for (size_t j = 0; j < n_codes; ++j) {
    double err_sq = 0.0;
    for (size_t i = 0; i < dim; ++i) {
      const uint16_t h = f32_to_f16(codes[j * dim + i]);
      codes_out[j * dim + i] = h;
      const double diff = double(codes[j * dim + i]) - double(detail::f16_to_f32(h));
      err_sq += diff * diff;
    }
    quant_error_out[j] = round_up_to_float(std::sqrt(err_sq));
  }
}

void quantize_int8(const float* codes, size_t n_codes, size_t dim, int8_t* codes_out,
                   float* row_scale_out, float* quant_error_out) noexcept {
  for (size_t j = 0; j < n_codes; ++j) {
    const float* row = codes + j * dim;
    float max_abs = 0.0f;
    for (size_t i = 0; i < dim; ++i) max_abs = std::fmax(max_abs, std::fabs(row[i]));
    const float scale = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
    row_scale_out[j] = scale;
    double err_sq = 0.0;
    for (size_t i = 0; i < dim; ++i) {
      long q = std::lrint(row[i] / scale);
      q = q > 127 ? 127 : (q < -127 ? -127 : q);
      codes_out[j * dim + i] = static_cast<int8_t>(q);
      const double diff = double(row[i]) - double(scale) * double(q);
      err_sq += diff * diff;
    }
    quant_error_out[j] = round_up_to_float(std::sqrt(err_sq));
  }
}

void compute_quant_error(const CodebookView& quantized, const float* exact,
                         float* quant_error_out) noexcept {
  const size_t dim = quantized.dim;
  for (size_t j = 0; j < quantized.n_codes; ++j) {
    double err_sq = 0.0;
    for (size_t i = 0; i < dim; ++i) {
      const size_t at = j * dim + i;
      double value;
      switch (quantized.dtype) {
        case DType::f16:
          value = double(detail::f16_to_f32(static_cast<const uint16_t*>(quantized.codes)[at]));
          break;
        case DType::int8:
          value = double(quantized.row_scale[j]) * double(static_cast<const int8_t*>(quantized.codes)[at]);
          break;
        default:
          value = double(static_cast<const float*>(quantized.codes)[at]);
          break;
      }
      const double diff = double(exact[at]) - value;
      err_sq += diff * diff;
    }
    quant_error_out[j] = round_up_to_float(std::sqrt(err_sq));
  }
}

void prepare_conv_transpose_weight(const float* torch_weight, size_t in_channels,
                                   size_t out_channels, size_t kernel, float* gemm_out) noexcept {
  const size_t taps = kernel * kernel;
  for (size_t c = 0; c < in_channels; ++c) {
    for (size_t o = 0; o < out_channels; ++o) {
      for (size_t t = 0; t < taps; ++t) {
        gemm_out[(o * taps + t) * in_channels + c] = torch_weight[(c * out_channels + o) * taps + t];
      }
    }
  }
}

}  // namespace cbk::simd
