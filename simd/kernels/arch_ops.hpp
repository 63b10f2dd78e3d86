// Per-ISA primitives the kernel bodies are written against: a float vector type B with L lanes,
// loads that widen f32/f16/int8 to B, the multiply-add (fused or not: this decides which reference
// results an ISA reproduces), and the in-vector part of the fixed halving-tree reduction: either
// per vector (reduce) or for L rows at once (fold, a transpose that performs each row's halving
// steps in the spec's order and leaves row r's sum in lane r when slot s held row slot_row(s)).
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

// Forces inlining of the small templates a kernel's inner loop is built from: when GCC outlines
// one (e.g. an 8-row dot group), its vector results go through memory and vzeroupper is inserted
// around the call, which costs more than the arithmetic.
#define CBK_SIMD_INLINE inline __attribute__((always_inline))
// The same for a lambda: [&](auto i) CBK_SIMD_LAMBDA_INLINE { ... }.
#define CBK_SIMD_LAMBDA_INLINE __attribute__((always_inline))

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
  static constexpr size_t slot_row(size_t s) noexcept { return s; }
  static void store(float* p, B v) noexcept { *p = v; }
  static B broadcast(float v) noexcept { return v; }
  static B sqrt(B v) noexcept { return std::sqrt(v); }
  static B positive_or_zero(B v) noexcept { return v > 0.0f ? v : 0.0f; }
  static B abs(B v) noexcept { return std::fabs(v); }
  static uint32_t greater_mask(B v, float t) noexcept { return v > t ? 1u : 0u; }
};

#if !defined(CBK_SIMD_SCALAR_ONLY)
// Shared by every xsimd arch; Derived supplies madd, the widening loads and reduce.
template <class A>
struct XsimdOpsBase {
  using B = xsimd::batch<float, A>;
  static constexpr size_t kLanes = B::size;
  static B zero() noexcept { return B(0.0f); }
  static B load(const float* p) noexcept { return B::load_unaligned(p); }
  static void store(float* p, B v) noexcept { v.store_unaligned(p); }
  static B broadcast(float v) noexcept { return B(v); }
  // Correctly rounded on x86 (sqrtps); xsimd 8.1's NEON float sqrt is an estimate, so neon64
  // overrides it.
  static B sqrt(B v) noexcept { return xsimd::sqrt(v); }
  static B positive_or_zero(B v) noexcept { return xsimd::select(v > B(0.0f), v, B(0.0f)); }
  static B abs(B v) noexcept { return xsimd::abs(v); }
};

#if defined(__SSE4_1__)
// The x86 folds with 128-bit blocks (SSE, AVX2, AVX-512) leave slot k + (L/4) p in lane 4k + p;
// slot s therefore holds row 4 (s mod L/4) + s / (L/4).
constexpr size_t x86_slot_row(size_t lanes, size_t s) noexcept {
  return 4 * (s % (lanes / 4)) + s / (lanes / 4);
}
// SSE tree steps h = 2 and h = 1 (the AVX2 and AVX-512 folds do the same in each 128-bit block).
inline __m128 fold_h2(__m128 a, __m128 b) noexcept {
  const __m128d x = _mm_castps_pd(a), y = _mm_castps_pd(b);
  return _mm_add_ps(_mm_castpd_ps(_mm_unpacklo_pd(x, y)), _mm_castpd_ps(_mm_unpackhi_pd(x, y)));
}
inline __m128 fold_h1(__m128 a, __m128 b) noexcept {
  return _mm_add_ps(_mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                    _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}
#endif
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
  // Bit r set when lane r > t.
  static uint32_t greater_mask(B v, float t) noexcept {
    return _mm512_cmp_ps_mask(v, _mm512_set1_ps(t), _CMP_GT_OQ);
  }
  static constexpr size_t slot_row(size_t s) noexcept { return x86_slot_row(16, s); }
  // Step `step` of the tree (h = 16 >> step) for the rows of a and of b: three instructions each,
  // a blend where a two-source shuffle can supply the swapped half, two shuffles otherwise.
  template <size_t step>
  static B fold(B a, B b) noexcept {
    const __m512 x = a, y = b;
    if constexpr (step == 1) {  // [x.lo, y.hi] + [x.hi, y.lo]
      return _mm512_add_ps(_mm512_mask_blend_ps(0xFF00, x, y),
                           _mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(1, 0, 3, 2)));
    } else if constexpr (step == 2) {  // 128-bit blocks [x0, x2, y0, y2] + [x1, x3, y1, y3]
      return _mm512_add_ps(_mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(2, 0, 2, 0)),
                           _mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(3, 1, 3, 1)));
    } else if constexpr (step == 3) {  // per block [x0, x1, y2, y3] + [x2, x3, y0, y1]
      return _mm512_add_ps(_mm512_mask_blend_ps(0xCCCC, x, y),
                           _mm512_shuffle_ps(x, y, _MM_SHUFFLE(1, 0, 3, 2)));
    } else {  // per block [x0, x2, y0, y2] + [x1, x3, y1, y3]
      static_assert(step == 4, "AVX-512 has four in-vector tree steps");
      return _mm512_add_ps(_mm512_shuffle_ps(x, y, _MM_SHUFFLE(2, 0, 2, 0)),
                           _mm512_shuffle_ps(x, y, _MM_SHUFFLE(3, 1, 3, 1)));
    }
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
  static uint32_t greater_mask(B v, float t) noexcept {
    const __m256 greater = _mm256_cmp_ps(v, _mm256_set1_ps(t), _CMP_GT_OQ);
    return static_cast<uint32_t>(_mm256_movemask_ps(greater));
  }
  static constexpr size_t slot_row(size_t s) noexcept { return x86_slot_row(8, s); }
  template <size_t step>
  static B fold(B a, B b) noexcept {
    const __m256 x = a, y = b;
    if constexpr (step == 1) {  // [x.lo, y.hi] + [x.hi, y.lo]
      return _mm256_add_ps(_mm256_blend_ps(x, y, 0xF0), _mm256_permute2f128_ps(x, y, 0x21));
    } else if constexpr (step == 2) {
      const __m256d p = _mm256_castps_pd(x), q = _mm256_castps_pd(y);
      return _mm256_add_ps(_mm256_castpd_ps(_mm256_unpacklo_pd(p, q)),
                           _mm256_castpd_ps(_mm256_unpackhi_pd(p, q)));
    } else {
      static_assert(step == 3, "AVX2 has three in-vector tree steps");
      return _mm256_add_ps(_mm256_shuffle_ps(x, y, _MM_SHUFFLE(2, 0, 2, 0)),
                           _mm256_shuffle_ps(x, y, _MM_SHUFFLE(3, 1, 3, 1)));
    }
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
  static uint32_t greater_mask(B v, float t) noexcept {
    return static_cast<uint32_t>(_mm_movemask_ps(_mm_cmpgt_ps(v, _mm_set1_ps(t))));
  }
  static constexpr size_t slot_row(size_t s) noexcept { return x86_slot_row(4, s); }
  template <size_t step>
  static B fold(B a, B b) noexcept {
    static_assert(step == 1 || step == 2, "SSE has two in-vector tree steps");
    return step == 1 ? fold_h2(a, b) : fold_h1(a, b);
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
  static B sqrt(B v) noexcept { return vsqrtq_f32(v); }  // IEEE, unlike xsimd::sqrt here
  static uint32_t greater_mask(B v, float t) noexcept {
    const uint32x4_t bits = {1u, 2u, 4u, 8u};
    return vaddvq_u32(vandq_u32(vcgtq_f32(v, vdupq_n_f32(t)), bits));
  }
  static constexpr size_t slot_row(size_t s) noexcept { return s; }
  template <size_t step>
  static B fold(B a, B b) noexcept {
    const float32x4_t x = a, y = b;
    if constexpr (step == 1) {  // [a.lo, b.lo] + [a.hi, b.hi]
      return vaddq_f32(vcombine_f32(vget_low_f32(x), vget_low_f32(y)),
                       vcombine_f32(vget_high_f32(x), vget_high_f32(y)));
    } else {
      static_assert(step == 2, "NEON has two in-vector tree steps");
      return vpaddq_f32(x, y);  // [a0 + a1, a2 + a3, b0 + b1, b2 + b3]
    }
  }
};
#endif

}  // namespace
}  // namespace cbk::simd::detail
