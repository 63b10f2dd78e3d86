// Shared helpers for the kernel tests: seeded inputs, the ISA loop, table preparation.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "simd/prepare.hpp"
#include "simd/simd.hpp"

namespace cbk::simd::test {

// Named tolerances: |got - ref| <= (|ref| + 1) * tol.
constexpr float kTolExactArith = 1e-6f;     // one rounding apart (add, relu, rotary)
constexpr float kTolTranscendental = 4e-6f; // xsimd exp/erf/tanh vs libm in double
constexpr float kTolReduction = 2e-5f;      // float accumulators vs double reference (n <= 4096)

inline bool close(float got, float ref, float tol) {
  return std::fabs(got - ref) <= (std::fabs(ref) + 1.0f) * tol;
}

// Logs, once per program, the ISAs that the loop below skips.
inline void log_skipped_isas() {
  static bool logged = false;
  if (logged) return;
  logged = true;
  for (int i = 0; i < kIsaCount; ++i) {
    if (!isa_supported(static_cast<Isa>(i))) {
      std::printf("[kernels] skipping ISA %s: not supported here\n", isa_name(static_cast<Isa>(i)));
    }
  }
}

// Calls fn(kernels) for every ISA this build and host support.
template <class Fn>
void for_each_supported_isa(Fn&& fn) {
  log_skipped_isas();
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (!isa_supported(isa)) continue;
    INFO("isa = " << isa_name(isa));
    fn(kernels_for(isa));
  }
}

inline std::vector<float> random_floats(size_t n, uint32_t seed, float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> out(n);
  for (float& v : out) v = dist(rng);
  return out;
}

// An f32 code table with its f16 and int8 copies and every precomputed term.
struct PreparedTable {
  size_t n_codes = 0, dim = 0;
  Metric metric = Metric::inner_product;
  std::vector<float> codes;
  std::vector<float> norm_term;
  std::vector<uint16_t> codes_f16;
  std::vector<float> error_f16;
  std::vector<int8_t> codes_q8;
  std::vector<float> scale_q8;
  std::vector<float> error_q8;
  std::vector<float> norm_term_f16;  // of the dequantized copies (for the approximate mode)
  std::vector<float> norm_term_q8;

  PreparedTable(std::vector<float> values, size_t n, size_t d, Metric m)
      : n_codes(n), dim(d), metric(m), codes(std::move(values)) {
    // +1 so that data() is never null for empty tables.
    norm_term.resize(n + 1);
    codes_f16.resize(n * d + 1);
    error_f16.resize(n + 1);
    codes_q8.resize(n * d + 1);
    scale_q8.resize(n + 1);
    error_q8.resize(n + 1);
    codes.resize(n * d + 1);
    compute_norm_terms(codes.data(), n, d, m, norm_term.data());
    quantize_f16(codes.data(), n, d, codes_f16.data(), error_f16.data());
    quantize_int8(codes.data(), n, d, codes_q8.data(), scale_q8.data(), error_q8.data());
    std::vector<float> dequant(n * d + 1);
    for (size_t i = 0; i < n * d; ++i) dequant[i] = f16_to_f32(codes_f16[i]);
    norm_term_f16.resize(n + 1);
    compute_norm_terms(dequant.data(), n, d, m, norm_term_f16.data());
    for (size_t j = 0; j < n; ++j) {
      for (size_t i = 0; i < d; ++i) dequant[j * d + i] = scale_q8[j] * codes_q8[j * d + i];
    }
    norm_term_q8.resize(n + 1);
    compute_norm_terms(dequant.data(), n, d, m, norm_term_q8.data());
  }

  CodebookView view(DType dtype) const {
    CodebookView v;
    v.dtype = dtype;
    v.n_codes = n_codes;
    v.dim = dim;
    v.metric = metric;
    v.norm_term = norm_term.data();
    if (dtype == DType::f32) v.codes = codes.data();
    if (dtype == DType::f16) v.codes = codes_f16.data();
    if (dtype == DType::int8) {
      v.codes = codes_q8.data();
      v.row_scale = scale_q8.data();
    }
    return v;
  }

  // The approximate mode ranks by the quantized copy's own norms.
  CodebookView approximate_view(DType dtype) const {
    CodebookView v = view(dtype);
    v.norm_term = dtype == DType::f16 ? norm_term_f16.data() : norm_term_q8.data();
    return v;
  }

  ExactSearchTable exact_table(DType dtype) const {
    ExactSearchTable t;
    t.quantized = view(dtype);
    t.exact_codes = codes.data();
    t.quant_error = dtype == DType::f16 ? error_f16.data() : error_q8.data();
    return t;
  }
};

inline const char* dtype_name(DType d) {
  return d == DType::f32 ? "f32" : (d == DType::f16 ? "f16" : "int8");
}

}  // namespace cbk::simd::test
