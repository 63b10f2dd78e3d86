// 2-D convolution and transposed convolution of one CHW image as data movement around the
// lane-ordered GEMM of linear.hpp (written once for every ArchOps<A>):
//   conv2d:           im2col (one row of in_channels * k * k taps per output pixel), GEMM with the
//                     PyTorch weight [out x in*k*k] as is, then the [pixel x out] result to CHW;
//   conv_transpose2d: the input to [pixel x in], GEMM with the [out*k*k x in] weight giving each
//                     input pixel's out*k*k contributions, then col2im scatters them (+ bias).
#pragma once

#include <cstddef>

#include "simd/kernels/linear.hpp"

namespace cbk::simd::detail {
namespace {

template <class A>
void conv2d(const ConvShape& s, const float* weight, const float* bias, const float* in,
            float* scratch, float* out) noexcept {
  const size_t k = s.kernel;
  const size_t taps = s.in_channels * k * k;
  const size_t pixels = s.out_height * s.out_width;
  float* cols = scratch;                // [pixels x taps]
  float* result = scratch + pixels * taps;  // [pixels x out_channels]
  for (size_t oy = 0; oy < s.out_height; ++oy) {
    for (size_t ox = 0; ox < s.out_width; ++ox) {
      float* row = cols + (oy * s.out_width + ox) * taps;
      for (size_t c = 0; c < s.in_channels; ++c) {
        const float* plane = in + c * s.in_height * s.in_width;
        for (size_t ky = 0; ky < k; ++ky) {
          // Signed arithmetic: padding makes the first taps fall before the image.
          const ptrdiff_t iy = static_cast<ptrdiff_t>(oy * s.stride + ky) -
                               static_cast<ptrdiff_t>(s.padding);
          for (size_t kx = 0; kx < k; ++kx) {
            const ptrdiff_t ix = static_cast<ptrdiff_t>(ox * s.stride + kx) -
                                 static_cast<ptrdiff_t>(s.padding);
            const bool inside = iy >= 0 && ix >= 0 && iy < static_cast<ptrdiff_t>(s.in_height) &&
                                ix < static_cast<ptrdiff_t>(s.in_width);
            *row++ = inside ? plane[static_cast<size_t>(iy) * s.in_width + static_cast<size_t>(ix)]
                            : 0.0f;
          }
        }
      }
    }
  }
  WeightView w;
  w.data = weight;
  w.dtype = DType::f32;
  w.out_features = s.out_channels;
  w.in_features = taps;
  linear_gemm<A, float>(w, bias, cols, pixels, taps, result, s.out_channels);
  for (size_t p = 0; p < pixels; ++p) {
    for (size_t o = 0; o < s.out_channels; ++o) out[o * pixels + p] = result[p * s.out_channels + o];
  }
}

template <class A>
void conv_transpose2d(const ConvShape& s, const float* weight, const float* bias, const float* in,
                      float* scratch, float* out) noexcept {
  const size_t k = s.kernel;
  const size_t in_pixels = s.in_height * s.in_width;
  const size_t spread = s.out_channels * k * k;
  float* pixels_first = scratch;                   // [in_pixels x in_channels]
  float* cols = scratch + in_pixels * s.in_channels;  // [in_pixels x out*k*k]
  for (size_t c = 0; c < s.in_channels; ++c) {
    for (size_t p = 0; p < in_pixels; ++p) pixels_first[p * s.in_channels + c] = in[c * in_pixels + p];
  }
  WeightView w;
  w.data = weight;
  w.dtype = DType::f32;
  w.out_features = spread;
  w.in_features = s.in_channels;
  linear_gemm<A, float>(w, nullptr, pixels_first, in_pixels, s.in_channels, cols, spread);
  const size_t out_pixels = s.out_height * s.out_width;
  for (size_t o = 0; o < s.out_channels; ++o) {
    const float b = bias ? bias[o] : 0.0f;
    for (size_t p = 0; p < out_pixels; ++p) out[o * out_pixels + p] = b;
  }
  for (size_t iy = 0; iy < s.in_height; ++iy) {
    for (size_t ix = 0; ix < s.in_width; ++ix) {
      const float* col = cols + (iy * s.in_width + ix) * spread;
      for (size_t o = 0; o < s.out_channels; ++o) {
        float* plane = out + o * out_pixels;
        for (size_t ky = 0; ky < k; ++ky) {
          const ptrdiff_t oy = static_cast<ptrdiff_t>(iy * s.stride + ky) -
                               static_cast<ptrdiff_t>(s.padding);
          if (oy < 0 || oy >= static_cast<ptrdiff_t>(s.out_height)) continue;
          for (size_t kx = 0; kx < k; ++kx) {
            const ptrdiff_t ox = static_cast<ptrdiff_t>(ix * s.stride + kx) -
                                 static_cast<ptrdiff_t>(s.padding);
            if (ox < 0 || ox >= static_cast<ptrdiff_t>(s.out_width)) continue;
            plane[static_cast<size_t>(oy) * s.out_width + static_cast<size_t>(ox)] +=
                col[(o * k + ky) * k + kx];
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace cbk::simd::detail
