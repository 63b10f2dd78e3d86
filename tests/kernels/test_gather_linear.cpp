// Gather-mean and linear layers against the reference.
#include "simd/ref/ops_ref.hpp"
#include "tests/kernels/kernel_test_support.hpp"

namespace cbk::simd::test {
namespace {

constexpr DType kDTypes[] = {DType::f32, DType::f16, DType::int8};

void require_close(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i << " got " << got[i] << " want " << want[i]);
    REQUIRE(close(got[i], want[i], tol));
  }
}

WeightView weight_view(const PreparedTable& t, DType dtype) {
  const CodebookView v = t.view(dtype);
  return WeightView{v.codes, dtype, v.row_scale, t.n_codes, t.dim};
}

}  // namespace

TEST_CASE("gather-mean matches the reference, -1 slots count but add nothing",
          "[kernels][gather]") {
  const size_t dims[] = {1, 3, 4, 8, 15, 16, 17, 33, 256};
  for_each_supported_isa([&](const Kernels& kern) {
    for (size_t dim : dims) {
      PreparedTable table(random_floats(40 * dim, uint32_t(dim)), 40, dim, Metric::inner_product);
      const std::vector<int32_t> ids = {3, -1, 39, 0, 3, 17, -1, 8};
      const std::vector<float> strength = random_floats(ids.size(), 4);
      for (DType dtype : kDTypes) {
        const CodebookView book = table.view(dtype);
        for (size_t n_slots : {size_t(0), size_t(1), size_t(2), ids.size()}) {
          for (const float* s : {static_cast<const float*>(nullptr), strength.data()}) {
            INFO("dim " << dim << " dtype " << dtype_name(dtype) << " slots " << n_slots);
            std::vector<float> got(dim, 9.0f), want(dim, 9.0f);
            gather_mean(kern, book, ids.data(), n_slots, s, got.data());
            ref::gather_mean(book, ids.data(), n_slots, s, want.data());
            require_close(got, want, kTolExactArith * 8);
          }
        }
      }
      // Semantics, independent of the reference: mean over slots with -1 as a zero vector.
      const std::vector<int32_t> two = {5, -1};
      std::vector<float> out(dim);
      kern.f32_gather_mean(table.view(DType::f32), two.data(), 2, nullptr, out.data());
      for (size_t i = 0; i < dim; ++i) REQUIRE(out[i] == table.codes[5 * dim + i] * 0.5f);
    }
  });
}

TEST_CASE("linear GEMV and GEMM match the reference, GEMM equals GEMV per row",
          "[kernels][linear]") {
  struct Shape {
    size_t out, in, rows;
  };
  const Shape shapes[] = {{1, 1, 1}, {7, 31, 3}, {8, 32, 2}, {9, 33, 5}, {64, 256, 4},
                          {300, 700, 9}, {5, 0, 2}};
  for_each_supported_isa([&](const Kernels& kern) {
    uint32_t seed = 70;
    for (const Shape& s : shapes) {
      PreparedTable weights(random_floats(s.out * s.in, seed++), s.out, s.in,
                            Metric::inner_product);
      const std::vector<float> bias = random_floats(s.out, seed++);
      const size_t x_stride = s.in + 2, y_stride = s.out + 1;
      const std::vector<float> x = random_floats(s.rows * x_stride + 1, seed++);
      for (DType dtype : kDTypes) {
        for (const float* b : {static_cast<const float*>(nullptr), bias.data()}) {
          INFO("out " << s.out << " in " << s.in << " dtype " << dtype_name(dtype));
          const WeightView w = weight_view(weights, dtype);
          std::vector<float> gemv(s.out), want(s.out);
          linear_gemv(kern, w, b, x.data(), gemv.data());
          ref::linear_gemv(w, b, x.data(), want.data(), kern.accumulation);
          REQUIRE(gemv == want);  // same lane order: bit-identical
          std::vector<float> gemm(s.rows * y_stride, -5.0f);
          linear_gemm(kern, w, b, x.data(), s.rows, x_stride, gemm.data(), y_stride);
          for (size_t r = 0; r < s.rows; ++r) {
            linear_gemv(kern, w, b, x.data() + r * x_stride, gemv.data());
            for (size_t o = 0; o < s.out; ++o) REQUIRE(gemm[r * y_stride + o] == gemv[o]);
            REQUIRE(gemm[r * y_stride + s.out] == -5.0f);  // stride padding untouched
          }
          // Against a plain double-precision product of the dequantized weights.
          for (size_t o = 0; o < s.out; ++o) {
            double acc = b ? b[o] : 0.0;
            double magnitude = b ? std::fabs(b[o]) : 0.0;
            for (size_t i = 0; i < s.in; ++i) {
              const double wv = dtype == DType::f32   ? weights.codes[o * s.in + i]
                                : dtype == DType::f16 ? f16_to_f32(weights.codes_f16[o * s.in + i])
                                                      : double(weights.scale_q8[o]) *
                                                            weights.codes_q8[o * s.in + i];
              acc += wv * x[i];
              magnitude += std::fabs(wv * x[i]);
            }
            REQUIRE(std::fabs(want[o] - acc) <= (magnitude + 1.0) * 1e-6);
          }
        }
      }
    }
  });
}

}  // namespace cbk::simd::test
