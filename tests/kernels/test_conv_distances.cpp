// The prototype-network kernels (issue 17) against their references: the full distance mode of the
// -L2 search (bit for bit per accumulation mode), conv2d and conv_transpose2d (tolerance: the GEMM
// sums in another order than the double-precision direct loops), and sigmoid.
#include <algorithm>
#include <limits>

#include "simd/ref/conv_ref.hpp"
#include "simd/ref/ops_ref.hpp"
#include "simd/ref/search_ref.hpp"
#include "tests/kernels/kernel_test_support.hpp"

namespace cbk::simd::test {
namespace {

// Tile boundaries of the lane-ordered dot (32 logical lanes, 4/8/16 physical) and of the GEMM's
// row groups: 0, 1, one tile, tile +- 1, many.
const size_t kDims[] = {0, 1, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 64, 65, 200};
const size_t kCodeCounts[] = {0, 1, 7, 8, 9, 15, 16, 17, 33, 100};

ConvShape conv_shape(size_t cin, size_t h, size_t w, size_t cout, size_t k, size_t stride,
                     size_t pad) {
  ConvShape s;
  s.in_channels = cin;
  s.in_height = h;
  s.in_width = w;
  s.out_channels = cout;
  s.kernel = k;
  s.stride = stride;
  s.padding = pad;
  s.out_height = (h + 2 * pad - k) / stride + 1;
  s.out_width = (w + 2 * pad - k) / stride + 1;
  return s;
}

ConvShape transpose_shape(size_t cin, size_t h, size_t w, size_t cout, size_t k, size_t stride,
                          size_t pad, size_t out_pad) {
  ConvShape s = conv_shape(cin, h, w, cout, k, stride, pad);
  s.out_height = (h - 1) * stride + k + out_pad - 2 * pad;
  s.out_width = (w - 1) * stride + k + out_pad - 2 * pad;
  return s;
}

void require_close(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << " want " << want[i]);
    REQUIRE(close(got[i], want[i], tol));
  }
}

}  // namespace

TEST_CASE("full distance mode equals the reference bit for bit", "[kernels][distances]") {
  for_each_supported_isa([&](const Kernels& kern) {
    for (size_t dim : kDims) {
      for (size_t n : kCodeCounts) {
        INFO("dim " << dim << " codes " << n);
        std::vector<float> codes = random_floats(n * dim + 1, uint32_t(dim * 131 + n));
        const std::vector<float> query = random_floats(dim + 1, uint32_t(dim + 5));
        CodebookView book;
        book.codes = codes.data();
        book.n_codes = n;
        book.dim = dim;
        book.metric = Metric::euclidean;
        const size_t k = std::min<size_t>(5, n + 2);  // also past the table's end
        std::vector<float> dist(n + 1, -1.0f), dist_ref(n + 1, -1.0f);
        std::vector<int32_t> ids(k + 1, 99), ids_ref(k + 1, 99);
        const size_t found =
            kern.f32_codebook_distances(book, query.data(), dist.data(), k, ids.data());
        const size_t found_ref = ref::codebook_distances(book, query.data(), dist_ref.data(), k,
                                                         ids_ref.data(), kern.accumulation);
        REQUIRE(found == std::min(k, n));
        REQUIRE(found_ref == found);
        REQUIRE(dist == dist_ref);
        REQUIRE(ids == ids_ref);
        // Independent check: the distance in double, and the nearest really is nearest.
        for (size_t j = 0; j < n; ++j) {
          double want = 0.0;
          for (size_t i = 0; i < dim; ++i) {
            const double d = double(query[i]) - codes[j * dim + i];
            want += d * d;
          }
          REQUIRE(close(dist[j], float(want), kTolReduction));
        }
        if (n > 0) REQUIRE(ids[0] == std::min_element(dist.begin(), dist.begin() + long(n)) - dist.begin());
        for (size_t i = found; i < k; ++i) REQUIRE(ids[i] == -1);
        REQUIRE(ids[k] == 99);  // nothing written past k
      }
    }
  });
}

TEST_CASE("full distance mode: ties go to the lower id, k = 0 fills only distances",
          "[kernels][distances]") {
  for_each_supported_isa([&](const Kernels& kern) {
    const size_t dim = 40, n = 15;
    std::vector<float> codes = random_floats(n * dim, 77);
    std::copy(codes.begin() + 3 * dim, codes.begin() + 4 * dim, codes.begin() + 11 * dim);
    CodebookView book;
    book.codes = codes.data();
    book.n_codes = n;
    book.dim = dim;
    book.metric = Metric::euclidean;
    std::vector<float> query(codes.begin() + 3 * dim, codes.begin() + 4 * dim);
    std::vector<float> dist(n);
    int32_t ids[3];
    REQUIRE(kern.f32_codebook_distances(book, query.data(), dist.data(), 3, ids) == 3);
    REQUIRE(ids[0] == 3);
    REQUIRE(ids[1] == 11);
    REQUIRE(dist[3] == 0.0f);
    REQUIRE(dist[11] == 0.0f);
    std::vector<float> dist0(n, -1.0f);
    REQUIRE(kern.f32_codebook_distances(book, query.data(), dist0.data(), 0, nullptr) == 0);
    REQUIRE(dist0 == dist);
  });
}

TEST_CASE("conv2d matches the direct-loop reference", "[kernels][conv]") {
  struct Case { size_t cin, h, w, cout, k, stride, pad; };
  const Case cases[] = {
      {1, 28, 28, 32, 3, 2, 1},  // the prototype network's encoder, layer by layer
      {32, 14, 14, 32, 3, 2, 1}, {32, 7, 7, 32, 3, 2, 1}, {32, 4, 4, 10, 3, 2, 1},
      {1, 1, 1, 1, 1, 1, 0},     // one pixel, one tap
      {3, 5, 6, 7, 3, 1, 1},     // stride 1, odd sizes
      {2, 9, 9, 17, 3, 3, 0},    // no padding, stride 3
      {5, 8, 8, 33, 5, 2, 2},    // GEMM rows past a 32-lane tile
      {16, 3, 3, 1, 3, 1, 2},    // padding wider than the image's margin
  };
  for_each_supported_isa([&](const Kernels& kern) {
    for (const Case& c : cases) {
      const ConvShape s = conv_shape(c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad);
      INFO("in " << c.cin << "x" << c.h << "x" << c.w << " out " << c.cout << " k " << c.k
                 << " stride " << c.stride << " pad " << c.pad);
      const std::vector<float> in = random_floats(c.cin * c.h * c.w, 3);
      const std::vector<float> weight = random_floats(c.cout * c.cin * c.k * c.k, 4, 0.3f);
      const std::vector<float> bias = random_floats(c.cout, 5);
      std::vector<float> scratch(conv2d_scratch_floats(s));
      const size_t n_out = c.cout * s.out_height * s.out_width;
      std::vector<float> got(n_out), want(n_out);
      kern.f32_conv2d(s, weight.data(), bias.data(), in.data(), scratch.data(), got.data());
      ref::conv2d(s, weight.data(), bias.data(), in.data(), want.data());
      require_close(got, want, kTolReduction);
      kern.f32_conv2d(s, weight.data(), nullptr, in.data(), scratch.data(), got.data());
      ref::conv2d(s, weight.data(), nullptr, in.data(), want.data());
      require_close(got, want, kTolReduction);
    }
  });
}

TEST_CASE("conv2d: a hand-computed 3x3 example", "[kernels][conv]") {
  // 1 channel 3x3 image 1..9, kernel all ones, stride 2, padding 1: output 2x2 of the sums of
  // the clipped 3x3 windows centred on (0,0), (0,2), (2,0), (2,2), plus bias 0.5.
  const ConvShape s = conv_shape(1, 3, 3, 1, 3, 2, 1);
  const float in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const float weight[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  const float bias = 0.5f;
  for_each_supported_isa([&](const Kernels& kern) {
    std::vector<float> scratch(conv2d_scratch_floats(s));
    float out[4];
    kern.f32_conv2d(s, weight, &bias, in, scratch.data(), out);
    REQUIRE(out[0] == 1 + 2 + 4 + 5 + 0.5f);
    REQUIRE(out[1] == 2 + 3 + 5 + 6 + 0.5f);
    REQUIRE(out[2] == 4 + 5 + 7 + 8 + 0.5f);
    REQUIRE(out[3] == 5 + 6 + 8 + 9 + 0.5f);
  });
}

TEST_CASE("conv_transpose2d matches the direct-loop reference", "[kernels][conv]") {
  struct Case { size_t cin, h, w, cout, k, stride, pad, out_pad; };
  const Case cases[] = {
      {10, 2, 2, 32, 3, 2, 1, 1},  // the prototype network's decoder: 2 -> 4 -> 7 -> 14 -> 28
      {32, 4, 4, 32, 3, 2, 1, 0}, {32, 7, 7, 32, 3, 2, 1, 1}, {32, 14, 14, 1, 3, 2, 1, 1},
      {1, 1, 1, 1, 1, 1, 0, 0},
      {3, 5, 4, 7, 3, 1, 1, 0},
      {2, 3, 3, 17, 4, 3, 0, 2},
      {33, 2, 3, 5, 5, 2, 2, 1},
  };
  for_each_supported_isa([&](const Kernels& kern) {
    for (const Case& c : cases) {
      const ConvShape s = transpose_shape(c.cin, c.h, c.w, c.cout, c.k, c.stride, c.pad, c.out_pad);
      INFO("in " << c.cin << "x" << c.h << "x" << c.w << " out " << c.cout << "x" << s.out_height
                 << "x" << s.out_width << " k " << c.k << " stride " << c.stride);
      const std::vector<float> in = random_floats(c.cin * c.h * c.w, 6);
      const std::vector<float> torch_weight = random_floats(c.cin * c.cout * c.k * c.k, 7, 0.3f);
      std::vector<float> weight(torch_weight.size());
      prepare_conv_transpose_weight(torch_weight.data(), c.cin, c.cout, c.k, weight.data());
      const std::vector<float> bias = random_floats(c.cout, 8);
      std::vector<float> scratch(conv_transpose2d_scratch_floats(s));
      const size_t n_out = c.cout * s.out_height * s.out_width;
      std::vector<float> got(n_out), want(n_out);
      kern.f32_conv_transpose2d(s, weight.data(), bias.data(), in.data(), scratch.data(),
                                got.data());
      ref::conv_transpose2d(s, weight.data(), bias.data(), in.data(), want.data());
      require_close(got, want, kTolReduction);
    }
  });
}

TEST_CASE("conv_transpose2d: one input pixel stamps the kernel", "[kernels][conv]") {
  // A single input value v at (0, 0), stride 2, padding 0, kernel 2x2 [[1, 2], [3, 4]] in
  // PyTorch layout [in=1, out=1, 2, 2]: the output's top-left 2x2 is v * kernel, + bias.
  const ConvShape s = transpose_shape(1, 1, 1, 1, 2, 2, 0, 0);
  REQUIRE(s.out_height == 2);
  const float torch_weight[4] = {1, 2, 3, 4};
  float weight[4];
  prepare_conv_transpose_weight(torch_weight, 1, 1, 2, weight);
  const float in = 2.0f, bias = -1.0f;
  for_each_supported_isa([&](const Kernels& kern) {
    std::vector<float> scratch(conv_transpose2d_scratch_floats(s));
    float out[4];
    kern.f32_conv_transpose2d(s, weight, &bias, &in, scratch.data(), out);
    REQUIRE(out[0] == 1.0f);
    REQUIRE(out[1] == 3.0f);
    REQUIRE(out[2] == 5.0f);
    REQUIRE(out[3] == 7.0f);
  });
}

TEST_CASE("sigmoid matches the reference and saturates cleanly", "[kernels][elementwise]") {
  for_each_supported_isa([&](const Kernels& kern) {
    for (size_t n : {size_t(0), size_t(1), size_t(3), size_t(4), size_t(5), size_t(8), size_t(9),
                     size_t(16), size_t(17), size_t(1000)}) {
      INFO("n " << n);
      std::vector<float> x = random_floats(n + 1, uint32_t(n) + 21, 6.0f);
      if (n > 2) {
        x[0] = -120.0f;  // exp(120) overflows: must give 0, not NaN
        x[1] = 120.0f;
      }
      std::vector<float> got(n + 1, 42.0f), want(n + 1, 42.0f);
      kern.f32_sigmoid(x.data(), got.data(), n);
      ref::sigmoid(x.data(), want.data(), n);
      require_close(got, want, kTolTranscendental);
      REQUIRE(got[n] == 42.0f);
      if (n > 2) {
        REQUIRE(got[0] == 0.0f);
        REQUIRE(got[1] == 1.0f);
      }
      std::vector<float> in_place = x;
      kern.f32_sigmoid(in_place.data(), in_place.data(), n);
      REQUIRE(std::equal(in_place.begin(), in_place.begin() + long(n), got.begin()));
    }
  });
}

}  // namespace cbk::simd::test
