// Reference (spec) convolutions: the textbook direct loops, accumulated in double. Same shapes and
// weight layouts as the table entries (simd/simd.hpp, ConvShape / ConvFn); no scratch.
#pragma once

#include "simd/simd.hpp"

namespace cbk::simd::ref {

void conv2d(const ConvShape& shape, const float* weight, const float* bias, const float* in,
            float* out) noexcept;
// weight in the GEMM layout [out x k x k x in].
void conv_transpose2d(const ConvShape& shape, const float* weight, const float* bias,
                      const float* in, float* out) noexcept;

}  // namespace cbk::simd::ref
