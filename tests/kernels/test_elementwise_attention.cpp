// LayerNorm, softmax, activations, residual add, rotary and attention against the reference.
#include <algorithm>

#include "simd/ref/ops_ref.hpp"
#include "tests/kernels/kernel_test_support.hpp"

namespace cbk::simd::test {
namespace {

const size_t kSizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1024, 4099};

void require_close(const float* got, const float* want, size_t n, float tol) {
  for (size_t i = 0; i < n; ++i) {
    INFO("element " << i << " of " << n << ": got " << got[i] << " want " << want[i]);
    REQUIRE(close(got[i], want[i], tol));
  }
}

}  // namespace

TEST_CASE("layernorm and softmax match the reference", "[kernels][elementwise]") {
  for_each_supported_isa([&](const Kernels& kern) {
    for (size_t n : kSizes) {
      INFO("n " << n);
      std::vector<float> x = random_floats(n, uint32_t(n), 3.0f);
      for (float& v : x) v += 10.0f;  // a large mean: needs the two-pass variance
      const std::vector<float> gamma = random_floats(n, 2), beta = random_floats(n, 3);
      std::vector<float> got(n), want(n);
      kern.f32_layernorm(x.data(), gamma.data(), beta.data(), n, 1e-5f, got.data());
      ref::layernorm(x.data(), gamma.data(), beta.data(), n, 1e-5f, want.data());
      require_close(got.data(), want.data(), n, kTolReduction);
      std::vector<float> in_place = x;  // out may alias x
      kern.f32_layernorm(in_place.data(), gamma.data(), beta.data(), n, 1e-5f, in_place.data());
      REQUIRE(in_place == got);

      std::vector<float> logits = random_floats(n, uint32_t(n) + 7, 8.0f);
      logits[n / 2] = 80.0f;  // exp would overflow without the max subtraction
      std::vector<float> soft = logits, soft_ref = logits;
      kern.f32_softmax(soft.data(), n);
      ref::softmax(soft_ref.data(), n);
      require_close(soft.data(), soft_ref.data(), n, kTolTranscendental);
      double sum = 0.0;
      for (float v : soft) sum += v;
      REQUIRE(std::fabs(sum - 1.0) < 1e-5);
    }
  });
}

TEST_CASE("activations and residual add match the reference", "[kernels][elementwise]") {
  for_each_supported_isa([&](const Kernels& kern) {
    for (size_t n : {size_t(0), size_t(1), size_t(3), size_t(16), size_t(17), size_t(1000)}) {
      INFO("n " << n);
      const std::vector<float> x = random_floats(n + 1, uint32_t(n) + 11, 3.0f);
      const std::vector<float> y = random_floats(n + 1, uint32_t(n) + 12);
      std::vector<float> got(n + 1), want(n + 1);
      kern.f32_gelu_erf(x.data(), got.data(), n);
      ref::gelu_erf(x.data(), want.data(), n);
      require_close(got.data(), want.data(), n, kTolTranscendental);
      kern.f32_gelu_tanh(x.data(), got.data(), n);
      ref::gelu_tanh(x.data(), want.data(), n);
      require_close(got.data(), want.data(), n, kTolTranscendental);
      kern.f32_relu(x.data(), got.data(), n);
      for (size_t i = 0; i < n; ++i) REQUIRE(got[i] == std::max(x[i], 0.0f));
      kern.f32_add(x.data(), y.data(), got.data(), n);
      for (size_t i = 0; i < n; ++i) REQUIRE(got[i] == x[i] + y[i]);
      std::vector<float> residual = x;  // out aliasing an input
      kern.f32_add(residual.data(), y.data(), residual.data(), n);
      for (size_t i = 0; i < n; ++i) REQUIRE(residual[i] == x[i] + y[i]);
    }
  });
}

TEST_CASE("NeoX rotary matches the reference, with partial rotary dims", "[kernels][attention]") {
  struct Shape {
    size_t heads, head_dim, rotary;
  };
  const Shape shapes[] = {{1, 2, 2}, {2, 64, 16}, {3, 80, 20}, {4, 64, 64}, {2, 256, 64}};
  for_each_supported_isa([&](const Kernels& kern) {
    for (const Shape& s : shapes) {
      for (size_t position : {size_t(0), size_t(1), size_t(17), size_t(2047)}) {
        INFO("head_dim " << s.head_dim << " rotary " << s.rotary << " position " << position);
        const std::vector<float> x = random_floats(s.heads * s.head_dim, uint32_t(position) + 1);
        std::vector<float> got = x, want = x;
        kern.f32_rotary_neox(got.data(), s.heads, s.head_dim, s.rotary, position, 10000.0f);
        ref::rotary_neox(want.data(), s.heads, s.head_dim, s.rotary, position, 10000.0f);
        require_close(got.data(), want.data(), got.size(), kTolExactArith * 4);
        for (size_t h = 0; h < s.heads; ++h) {
          for (size_t i = s.rotary; i < s.head_dim; ++i) {
            REQUIRE(got[h * s.head_dim + i] == x[h * s.head_dim + i]);  // pass-through dims
          }
        }
        if (position == 0) REQUIRE(got == x);  // angle 0 is the identity
      }
    }
  });
}

TEST_CASE("attention decode and prefill match the reference", "[kernels][attention]") {
  struct Case {
    size_t heads, head_dim, window, n_queries;
  };
  const Case cases[] = {{1, 1, 0, 1}, {2, 16, 0, 5}, {3, 33, 0, 7}, {4, 64, 4, 9},
                        {2, 80, 1, 3}};
  for_each_supported_isa([&](const Kernels& kern) {
    for (const Case& c : cases) {
      const size_t first_position = 11, n_positions = first_position + c.n_queries;
      AttentionShape shape;
      shape.n_heads = c.heads;
      shape.head_dim = c.head_dim;
      shape.kv_stride = c.heads * c.head_dim + 3;
      shape.scale = 1.0f / std::sqrt(float(c.head_dim));
      shape.window = c.window;
      const std::vector<float> k_cache = random_floats(n_positions * shape.kv_stride, 40);
      const std::vector<float> v_cache = random_floats(n_positions * shape.kv_stride, 41);
      const size_t q_stride = c.heads * c.head_dim + 1;
      const std::vector<float> q = random_floats(c.n_queries * q_stride, 42, 2.0f);
      std::vector<float> scratch(n_positions), got(c.n_queries * q_stride, 0.0f);
      std::vector<float> want = got;
      INFO("heads " << c.heads << " head_dim " << c.head_dim << " window " << c.window);
      kern.f32_attention_prefill(shape, q.data(), c.n_queries, q_stride, k_cache.data(),
                                 v_cache.data(), first_position, scratch.data(), got.data(),
                                 q_stride);
      ref::attention_prefill(shape, q.data(), c.n_queries, q_stride, k_cache.data(),
                             v_cache.data(), first_position, scratch.data(), want.data(), q_stride);
      require_close(got.data(), want.data(), got.size(), kTolReduction);
      // Decode of the last query equals the last prefill row.
      std::vector<float> one(c.heads * c.head_dim);
      kern.f32_attention_decode(shape, q.data() + (c.n_queries - 1) * q_stride, k_cache.data(),
                                v_cache.data(), n_positions - 1, scratch.data(), one.data());
      for (size_t i = 0; i < one.size(); ++i) {
        REQUIRE(one[i] == got[(c.n_queries - 1) * q_stride + i]);
      }
      // Window 1 attends to the current position only: the output is that position's V.
      if (c.window == 1) {
        for (size_t h = 0; h < c.heads; ++h) {
          for (size_t i = 0; i < c.head_dim; ++i) {
            REQUIRE(close(one[h * c.head_dim + i],
                          v_cache[(n_positions - 1) * shape.kv_stride + h * c.head_dim + i],
                          kTolExactArith));
          }
        }
      }
    }
  });
}

}  // namespace cbk::simd::test
