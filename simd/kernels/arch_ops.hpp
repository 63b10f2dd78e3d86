// Per-ISA primitives the kernel bodies are written against: a float vector type B with L lanes,
// loads that widen f32/f16/int8 to B, the multiply-add (fused or not: this decides which reference
// results an ISA reproduces), and the in-vector part of the fixed halving-tree reduction.
//
// ArchOps<ScalarArch> (B = float) needs no xsimd; the xsimd ones are compiled only where the
// translation unit's flags enable them. Internal linkage throughout, see detail/scalar_common.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "simd/detail/scalar_common.hpp"

#if !defined(CBK_SIMD_SCALAR_ONLY)
#include <xsimd/xsimd.hpp>
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#elif defined(__SSE4_1__)
#include <immintrin.h>
#endif

namespace cbk::simd::detail {
namespace {

template <class Arch>
struct ArchOps;

struct ScalarArch {};

template <>
struct ArchOps<ScalarArch> {
  using B = float;
  static constexpr size_t kLanes = 1;
  static constexpr bool kFused = false;
  static B zero() noexcept { return 0.0f; }
  static B madd(B a, B b, B acc) noexcept {
    const float product = a * b;
    return acc + product;
  }
  template <class T>
  static B load(const T* p) noexcept { return to_f32(*p); }
  static float reduce(B v) noexcept { return v; }
};

#if !defined(CBK_SIMD_SCALAR_ONLY)
// Shared by every xsimd arch; Derived supplies madd, the widening loads and reduce.
template <class A>
struct XsimdOpsBase {
  using B = xsimd::batch<float, A>;
  static constexpr size_t kLanes = B::size;
  static B zero() noexcept { return B(0.0f); }
  static B load(const float* p) noexcept { return B::load_unaligned(p); }
};
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__FMA__)
template <>
struct ArchOps<xsimd::avx512bw> : XsimdOpsBase<xsimd::avx512bw> {
  using XsimdOpsBase::load;
  static constexpr bool kFused = true;
  static B madd(B a, B b, B acc) noexcept { return _mm512_fmadd_ps(a, b, acc); }
  static B load(const uint16_t* p) noexcept {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static B load(const int8_t* p) noexcept {
    return _mm512_cvtepi32_ps(
        _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  }
  // Halving tree: lanes i + i+8, then i + i+4, then i + i+2, then 0 + 1.
  static float reduce(B v) noexcept {
    const __m512 z = v;
    const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(z), _mm512_extractf32x8_ps(z, 1));
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
  }
};
#endif

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
template <>
struct ArchOps<xsimd::fma3<xsimd::avx2>> : XsimdOpsBase<xsimd::fma3<xsimd::avx2>> {
  using XsimdOpsBase::load;
  static constexpr bool kFused = true;
  static B madd(B a, B b, B acc) noexcept { return _mm256_fmadd_ps(a, b, acc); }
  static B load(const uint16_t* p) noexcept {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static B load(const int8_t* p) noexcept {
    return _mm256_cvtepi32_ps(
        _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
  }
  static float reduce(B v) noexcept {
    const __m256 y = v;
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(y), _mm256_extractf128_ps(y, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
  }
};
#endif

#if defined(__SSE4_2__)
// Also the WASM SIMD128 path: Emscripten translates these intrinsics (-msimd128 -msse4.2).
template <>
struct ArchOps<xsimd::sse4_2> : XsimdOpsBase<xsimd::sse4_2> {
  using XsimdOpsBase::load;
  static constexpr bool kFused = false;  // no FMA in SSE4.2 / SIMD128
  static B madd(B a, B b, B acc) noexcept { return _mm_add_ps(acc, _mm_mul_ps(a, b)); }
  static B load(const uint16_t* p) noexcept {
    // Same exact widening as detail::f16_to_f32, four lanes at a time.
    const __m128i h = _mm_cvtepu16_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    const __m128i sign = _mm_slli_epi32(_mm_and_si128(h, _mm_set1_epi32(0x8000)), 16);
    const __m128i exp_mant = _mm_slli_epi32(_mm_and_si128(h, _mm_set1_epi32(0x7fff)), 13);
    const __m128 finite = _mm_mul_ps(_mm_castsi128_ps(exp_mant), _mm_set1_ps(0x1p112f));
    const __m128i is_special = _mm_cmpeq_epi32(_mm_and_si128(h, _mm_set1_epi32(0x7c00)),
                                               _mm_set1_epi32(0x7c00));
    const __m128 special = _mm_castsi128_ps(_mm_or_si128(exp_mant, _mm_set1_epi32(0x7f800000)));
    const __m128 magnitude = _mm_blendv_ps(finite, special, _mm_castsi128_ps(is_special));
    return _mm_or_ps(magnitude, _mm_castsi128_ps(sign));
  }
  static B load(const int8_t* p) noexcept {
    int32_t four;
    std::memcpy(&four, p, 4);
    return _mm_cvtepi32_ps(_mm_cvtepi8_epi32(_mm_cvtsi32_si128(four)));
  }
  static float reduce(B v) noexcept {
    const __m128 s4 = v;
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
  }
};
#endif

#if defined(__aarch64__) && !defined(CBK_SIMD_SCALAR_ONLY)
template <>
struct ArchOps<xsimd::neon64> : XsimdOpsBase<xsimd::neon64> {
  using XsimdOpsBase::load;
  static constexpr bool kFused = true;
  static B madd(B a, B b, B acc) noexcept { return vfmaq_f32(acc, a, b); }
  static B load(const uint16_t* p) noexcept {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
  }
  static B load(const int8_t* p) noexcept {
    int32_t four;
    std::memcpy(&four, p, 4);
    const int16x8_t wide = vmovl_s8(vreinterpret_s8_s32(vdup_n_s32(four)));
    return vcvtq_f32_s32(vmovl_s16(vget_low_s16(wide)));
  }
  static float reduce(B v) noexcept {
    const float32x4_t q = v;
    const float32x2_t s2 = vadd_f32(vget_low_f32(q), vget_high_f32(q));
    return vget_lane_f32(s2, 0) + vget_lane_f32(s2, 1);
  }
};
#endif

}  // namespace
}  // namespace cbk::simd::detail
