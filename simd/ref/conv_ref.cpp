#include "simd/ref/conv_ref.hpp"


namespace cbk::simd::ref {

void conv2d(const ConvShape& s, const float* weight, const float* bias, const float* in,
            float* out) noexcept {
  const long k = static_cast<long>(s.kernel);
  for (size_t o = 0; o < s.out_channels; ++o) {
    for (size_t oy = 0; oy < s.out_height; ++oy) {
      for (size_t ox = 0; ox < s.out_width; ++ox) {
        double acc = bias ? bias[o] : 0.0;
        for (size_t c = 0; c < s.in_channels; ++c) {
          for (long ky = 0; ky < k; ++ky) {
            for (long kx = 0; kx < k; ++kx) {
              const long iy = static_cast<long>(oy * s.stride) + ky - static_cast<long>(s.padding);
              const long ix = static_cast<long>(ox * s.stride) + kx - static_cast<long>(s.padding);
              if (iy < 0 || ix < 0 || iy >= long(s.in_height) || ix >= long(s.in_width)) continue;
              acc += double(weight[((o * s.in_channels + c) * s.kernel + size_t(ky)) * s.kernel +
                                   size_t(kx)]) *
                     in[(c * s.in_height + size_t(iy)) * s.in_width + size_t(ix)];
            }
          }
        }
        out[(o * s.out_height + oy) * s.out_width + ox] = static_cast<float>(acc);
      }
    }
  }
}

// Gather form: output (oy, ox) receives input (iy, ix) through tap (ky, kx) when
// oy = iy * stride - padding + ky (and likewise for x).
void conv_transpose2d(const ConvShape& s, const float* weight, const float* bias,
                      const float* in, float* out) noexcept {
  const long k = static_cast<long>(s.kernel);
  const long stride = static_cast<long>(s.stride);
  for (size_t o = 0; o < s.out_channels; ++o) {
    for (size_t oy = 0; oy < s.out_height; ++oy) {
      for (size_t ox = 0; ox < s.out_width; ++ox) {
        double acc = bias ? bias[o] : 0.0;
        for (long ky = 0; ky < k; ++ky) {
          const long ny = static_cast<long>(oy) + static_cast<long>(s.padding) - ky;
          if (ny < 0 || ny % stride != 0 || ny / stride >= long(s.in_height)) continue;
          for (long kx = 0; kx < k; ++kx) {
            const long nx = static_cast<long>(ox) + static_cast<long>(s.padding) - kx;
            if (nx < 0 || nx % stride != 0 || nx / stride >= long(s.in_width)) continue;
            for (size_t c = 0; c < s.in_channels; ++c) {
              acc += double(weight[((o * s.kernel + size_t(ky)) * s.kernel + size_t(kx)) *
                                       s.in_channels + c]) *
                     in[(c * s.in_height + size_t(ny / stride)) * s.in_width + size_t(nx / stride)];
            }
          }
        }
        out[(o * s.out_height + oy) * s.out_width + ox] = static_cast<float>(acc);
      }
    }
  }
}

}  // namespace cbk::simd::ref
