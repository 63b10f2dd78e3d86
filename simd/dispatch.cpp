// ISA detection, CBK_ISA override and the table lookup. Detection reads CPUID/XGETBV directly:
// xsimd 8.1's detector reads some bits from the wrong leaf and skips the OS-support check.
#include <cstdlib>
#include <cstring>

#include "simd/arch/arch_tables.hpp"
#include "simd/simd.hpp"

#if defined(CBK_SIMD_HAVE_X86)
#include <cpuid.h>
#endif

namespace cbk::simd {
namespace {

#if defined(CBK_SIMD_HAVE_X86)
struct X86Features {
  bool sse4_2 = false;
  bool avx2_fma_f16c = false;
  bool avx512 = false;  // F, CD, DQ, BW, VL
};

X86Features read_x86_features() noexcept {
  X86Features f;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const unsigned leaf1_ecx = ecx;
  f.sse4_2 = (leaf1_ecx >> 20) & 1u;
  const bool osxsave = (leaf1_ecx >> 27) & 1u;
  unsigned xcr0 = 0;
  if (osxsave) {
    unsigned xcr0_high = 0;
    __asm__ volatile("xgetbv" : "=a"(xcr0), "=d"(xcr0_high) : "c"(0));
  }
  const bool os_ymm = (xcr0 & 0x6u) == 0x6u;
  const bool os_zmm = (xcr0 & 0xe6u) == 0xe6u;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return f;
  const bool avx2 = (ebx >> 5) & 1u;
  const bool fma = (leaf1_ecx >> 12) & 1u;
  const bool f16c = (leaf1_ecx >> 29) & 1u;
  f.avx2_fma_f16c = os_ymm && avx2 && fma && f16c;
  const unsigned avx512_bits = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
  f.avx512 = os_zmm && f.avx2_fma_f16c && (ebx & avx512_bits) == avx512_bits;
  return f;
}

const X86Features& x86_features() noexcept {
  static const X86Features features = read_x86_features();
  return features;
}
#endif

struct IsaName {
  Isa isa;
  const char* name;
};
constexpr IsaName kIsaNames[] = {
    {Isa::scalar, "scalar"}, {Isa::sse4_2, "sse4.2"},  {Isa::avx2, "avx2"},
    {Isa::avx512, "avx512"}, {Isa::neon64, "neon64"}, {Isa::wasm_simd128, "simd128"},
};

}  // namespace

const char* isa_name(Isa isa) noexcept {
  for (const IsaName& entry : kIsaNames) {
    if (entry.isa == isa) return entry.name;
  }
  return "unknown";
}

bool isa_from_name(const char* name, Isa* isa_out) noexcept {
  if (name == nullptr) return false;
  for (const IsaName& entry : kIsaNames) {
    if (std::strcmp(entry.name, name) == 0) {
      *isa_out = entry.isa;
      return true;
    }
  }
  if (std::strcmp(name, "sse4_2") == 0) {
    *isa_out = Isa::sse4_2;
    return true;
  }
  return false;
}

bool isa_supported(Isa isa) noexcept {
  switch (isa) {
    case Isa::scalar:
      return true;
#if defined(CBK_SIMD_HAVE_X86)
    case Isa::sse4_2:
      return x86_features().sse4_2;
    case Isa::avx2:
      return x86_features().avx2_fma_f16c;
    case Isa::avx512:
      return x86_features().avx512;
#endif
#if defined(CBK_SIMD_HAVE_NEON64)
    case Isa::neon64:
      return true;
#endif
#if defined(CBK_SIMD_HAVE_WASM128)
    case Isa::wasm_simd128:
      return true;  // compiled in means the module only loads where SIMD128 exists
#endif
    default:
      return false;
  }
}

Isa detect_best_isa() noexcept {
  constexpr Isa kPreference[] = {Isa::avx512, Isa::avx2, Isa::sse4_2, Isa::neon64,
                                 Isa::wasm_simd128};
  for (Isa isa : kPreference) {
    if (isa_supported(isa)) return isa;
  }
  return Isa::scalar;
}

Isa isa_from_env_or_best() noexcept {
  Isa forced;
  if (isa_from_name(std::getenv("CBK_ISA"), &forced) && isa_supported(forced)) return forced;
  return detect_best_isa();
}

const Kernels& kernels_for(Isa isa) noexcept {
  switch (isa) {
#if defined(CBK_SIMD_HAVE_X86)
    case Isa::sse4_2:
      return detail::kernels_table_sse4_2();
    case Isa::avx2:
      return detail::kernels_table_avx2();
    case Isa::avx512:
      return detail::kernels_table_avx512();
#endif
#if defined(CBK_SIMD_HAVE_NEON64)
    case Isa::neon64:
      return detail::kernels_table_neon64();
#endif
#if defined(CBK_SIMD_HAVE_WASM128)
    case Isa::wasm_simd128:
      return detail::kernels_table_sse4_2();
#endif
    default:
      return detail::kernels_table_scalar();
  }
}

size_t codebook_search(const Kernels& kern, const CodebookView& book, const float* query, size_t k,
                       int32_t* ids_out, float* scores_out) noexcept {
  switch (book.dtype) {
    case DType::f16: return kern.f16_codebook_search(book, query, k, ids_out, scores_out);
    case DType::int8: return kern.q8_codebook_search(book, query, k, ids_out, scores_out);
    case DType::f32: break;
  }
  return kern.f32_codebook_search(book, query, k, ids_out, scores_out);
}

void codebook_search_multi(const Kernels& kern, const CodebookView& book, const float* queries,
                           size_t n_queries, size_t query_stride, size_t k, int32_t* ids_out,
                           float* scores_out) noexcept {
  CodebookSearchMultiFn fn = kern.f32_codebook_search_multi;
  if (book.dtype == DType::f16) fn = kern.f16_codebook_search_multi;
  if (book.dtype == DType::int8) fn = kern.q8_codebook_search_multi;
  fn(book, queries, n_queries, query_stride, k, ids_out, scores_out);
}

size_t codebook_search_exact(const Kernels& kern, const ExactSearchTable& table, const float* query,
                             size_t k, int32_t* ids_out, float* scores_out,
                             ExactSearchStats* stats) noexcept {
  if (table.quantized.dtype == DType::int8) {
    return kern.q8_codebook_search_exact(table, query, k, ids_out, scores_out, stats);
  }
  return kern.f16_codebook_search_exact(table, query, k, ids_out, scores_out, stats);
}

void gather_mean(const Kernels& kern, const CodebookView& book, const int32_t* ids, size_t n_slots,
                 const float* strength, float* out) noexcept {
  GatherMeanFn fn = kern.f32_gather_mean;
  if (book.dtype == DType::f16) fn = kern.f16_gather_mean;
  if (book.dtype == DType::int8) fn = kern.q8_gather_mean;
  fn(book, ids, n_slots, strength, out);
}

void linear_gemv(const Kernels& kern, const WeightView& w, const float* bias, const float* x,
                 float* y) noexcept {
  LinearGemvFn fn = kern.f32_linear_gemv;
  if (w.dtype == DType::f16) fn = kern.f16_linear_gemv;
  if (w.dtype == DType::int8) fn = kern.q8_linear_gemv;
  fn(w, bias, x, y);
}

void linear_gemm(const Kernels& kern, const WeightView& w, const float* bias, const float* x,
                 size_t n_rows, size_t x_stride, float* y, size_t y_stride) noexcept {
  LinearGemmFn fn = kern.f32_linear_gemm;
  if (w.dtype == DType::f16) fn = kern.f16_linear_gemm;
  if (w.dtype == DType::int8) fn = kern.q8_linear_gemm;
  fn(w, bias, x, n_rows, x_stride, y, y_stride);
}

}  // namespace cbk::simd
