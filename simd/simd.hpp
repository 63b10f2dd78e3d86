// cbk::simd — the numeric kernels of codebook.cpp: exact codebook search fused with top-k, gather-mean,
// linear layers, normalisation/activations and attention. Internal C++ API used by the engine.
//
// Usage (once per model/session, never per vector):
//
//   const cbk::simd::Kernels& kern = cbk::simd::kernels_for(cbk::simd::isa_from_env_or_best());
//   cbk::simd::CodebookView book{codes, cbk::simd::DType::f32, nullptr, n_codes, dim,
//                                cbk::simd::Metric::inner_product, inv_norms};
//   int32_t ids[8]; float scores[8];
//   cbk::simd::codebook_search(kern, book, x_hat, 8, ids, scores);   // picks the dtype's entry
//   kern.f32_gather_mean(book_f32, ids, 8, nullptr, out);
//
// Contracts shared by every kernel:
//  * Inputs are already validated by the loader (finite values, indices in range, non-zero scales,
//    sizes that fit). Kernels only debug-assert; they never abort, throw or allocate.
//  * Plain pointers and element counts; no alignment requirement; buffers are not padded.
//  * Every kernel is noexcept, re-entrant and thread-safe (no hidden state). Scratch, when needed,
//    is passed by the caller.
//  * A table returned by kernels_for() lives for the whole program.
//
// Determinism: every ISA computes a dot product as 32 logical lanes (element i goes to lane i % 32,
// the tail is zero-padded) reduced by a fixed halving tree (see simd/ref/search_ref.hpp). ISAs with a
// fused multiply-add (AVX2+FMA, AVX-512, NEON) and the scalar reference in `fused` mode therefore
// produce bit-identical scores, and so do SSE4.2 / WASM SIMD128 / scalar in `separate` mode.
// Search results (ids and their order) are thus exactly reproducible per accumulation mode.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cbk::simd {

// ---------------------------------------------------------------------------------------------
// Instruction sets and dispatch.

enum class Isa : uint8_t {
  scalar = 0,        // portable C++ (the reference kernels, separate mul+add)
  sse4_2 = 1,        // x86, 4 lanes, no FMA
  avx2 = 2,          // x86 AVX2 + FMA + F16C, 8 lanes
  avx512 = 3,        // x86 AVX-512 F/CD/DQ/BW/VL + FMA, 16 lanes
  neon64 = 4,        // aarch64 NEON (always present on aarch64), 4 lanes, FMA
  wasm_simd128 = 5,  // WebAssembly SIMD128 (xsimd's SSE4.2 path translated by Emscripten)
};
inline constexpr int kIsaCount = 6;

// How a kernel multiplies and accumulates: decides which reference results it reproduces bit for bit.
enum class Accumulation : uint8_t {
  separate = 0,  // round(a*b) then round(+): SSE4.2, WASM, scalar
  fused = 1,     // fma(a, b, acc) with one rounding: AVX2, AVX-512, NEON
};

const char* isa_name(Isa isa) noexcept;  // "scalar", "sse4.2", "avx2", "avx512", "neon64", "simd128"
// Parses a name as printed by isa_name (also accepts "sse4_2"). Returns false when unknown.
bool isa_from_name(const char* name, Isa* isa_out) noexcept;
// True when this build contains the ISA's kernels and the host CPU (and OS) can run them.
bool isa_supported(Isa isa) noexcept;
// Best supported ISA of this host. Runtime CPU detection on x86; compile-time on aarch64 and WASM.
Isa detect_best_isa() noexcept;
// detect_best_isa(), unless the environment variable CBK_ISA names a supported ISA, which then wins
// (used to force a lower ISA for testing and benchmarking). An unknown or unsupported value is
// ignored (the best ISA is used).
Isa isa_from_env_or_best() noexcept;

// ---------------------------------------------------------------------------------------------
// Data descriptions.

enum class DType : uint8_t {
  f32 = 0,
  f16 = 1,   // IEEE binary16, stored as uint16_t bit patterns
  int8 = 2,  // int8 with one f32 scale per row: value = scale[row] * q
};

// Bytes per stored element (int8 row scales are separate).
constexpr size_t dtype_bytes(DType d) noexcept { return d == DType::f32 ? 4 : d == DType::f16 ? 2 : 1; }

enum class Metric : uint8_t {
  inner_product = 0,  // score = <x, c> / ||c||      (norm_term[j] = 1/||c_j||)
  euclidean = 1,      // score = -||x - c||          (norm_term[j] = ||c_j||^2)
};

// A code table [n_codes x dim], row-major, plus its per-code precomputed term.
// For quantized tables norm_term describes whatever the caller wants ranked: the exact search
// requires it to be the norms of the original f32 codes; the approximate search may use either.
struct CodebookView {
  const void* codes = nullptr;        // float / uint16_t (f16 bits) / int8_t, per dtype
  DType dtype = DType::f32;
  const float* row_scale = nullptr;   // int8 only: [n_codes]
  size_t n_codes = 0;
  size_t dim = 0;
  Metric metric = Metric::inner_product;
  const float* norm_term = nullptr;   // [n_codes], see Metric
};

// A quantized table plus what the exact search needs to prove its answer: the f32 codes (only the
// rows that survive the bound are read) and the per-code quantization error ||c - c_hat||.
struct ExactSearchTable {
  CodebookView quantized;               // dtype f16 or int8; norm_term of the *f32* codes
  const float* exact_codes = nullptr;   // [n_codes x dim] f32
  const float* quant_error = nullptr;   // [n_codes], ||c_j - dequant(c_hat_j)||_2
};

struct ExactSearchStats {
  size_t rescored = 0;  // codes whose bound forced an exact f32 rescore
};

// Linear layer weights in PyTorch layout [out_features x in_features], row-major.
struct WeightView {
  const void* data = nullptr;
  DType dtype = DType::f32;
  const float* row_scale = nullptr;  // int8 only: [out_features]
  size_t out_features = 0;
  size_t in_features = 0;
};

// Attention over a KV cache laid out [position][head][head_dim]; position p of head h starts at
// cache + p * kv_stride + h * head_dim.
struct AttentionShape {
  size_t n_heads = 0;
  size_t head_dim = 0;
  size_t kv_stride = 0;  // floats between consecutive positions (usually n_heads * head_dim)
  float scale = 1.0f;    // multiplies q.k (pass 1/sqrt(head_dim) for the usual scaling)
  size_t window = 0;     // 0: full causal; otherwise attend to the last `window` positions only
};

// A 2-D convolution or transposed convolution of one image: input [in_channels x in_height x
// in_width], output [out_channels x out_height x out_width], both channel-major (CHW), square
// kernel, the same stride and zero padding on both axes. The caller picks the output size:
//   conv2d:           out = (in + 2 * padding - kernel) / stride + 1
//   conv_transpose2d: out = (in - 1) * stride - 2 * padding + kernel + output_padding,
//                     output_padding < stride (PyTorch's ConvTranspose2d)
struct ConvShape {
  size_t in_channels = 0, in_height = 0, in_width = 0;
  size_t out_channels = 0, out_height = 0, out_width = 0;
  size_t kernel = 0, stride = 1, padding = 0;
};

// Scratch floats the conv kernels need (im2col patches + GEMM output / transposed input + columns).
constexpr size_t conv2d_scratch_floats(const ConvShape& s) noexcept {
  return s.out_height * s.out_width * (s.in_channels * s.kernel * s.kernel + s.out_channels);
}
constexpr size_t conv_transpose2d_scratch_floats(const ConvShape& s) noexcept {
  return s.in_height * s.in_width * (s.in_channels + s.out_channels * s.kernel * s.kernel);
}

// ---------------------------------------------------------------------------------------------
// Kernel signatures. Search results: min(k, n_codes) entries sorted by descending score, ties to
// the lower id; remaining slots up to k are filled with id -1 and score -infinity. 1 <= k <= 128
// (kMaxTopK: the paper's largest k; the running top-k lives in the caller's output arrays).
// Returns the number of valid entries.

// Single query: query[dim].
using CodebookSearchFn = size_t (*)(const CodebookView& book, const float* query, size_t k,
                                    int32_t* ids_out, float* scores_out) noexcept;
// Prefill: n_queries rows of dim floats, query_stride floats apart; ids/scores are [n_queries x k].
// Identical results to calling the single-query kernel per row; the table is read once per
// tile of queries instead of once per query.
using CodebookSearchMultiFn = void (*)(const CodebookView& book, const float* queries,
                                       size_t n_queries, size_t query_stride, size_t k,
                                       int32_t* ids_out, float* scores_out) noexcept;
// Exact search over a quantized table: same ids, order and scores as the f32 kernel of the same
// table (same ISA). stats may be null.
using CodebookSearchExactFn = size_t (*)(const ExactSearchTable& table, const float* query,
                                         size_t k, int32_t* ids_out, float* scores_out,
                                         ExactSearchStats* stats) noexcept;
// out[dim] = (1/n_slots) * sum_i strength[i] * code[ids[i]]; id -1 adds nothing but still counts.
// strength may be null (all 1). n_slots == 0 gives zeros. book.metric/norm_term are unused.
using GatherMeanFn = void (*)(const CodebookView& book, const int32_t* ids, size_t n_slots,
                              const float* strength, float* out) noexcept;
// y[out] = W x + bias (bias may be null). y must not alias x.
using LinearGemvFn = void (*)(const WeightView& w, const float* bias, const float* x,
                              float* y) noexcept;
// Y[r] = W X[r] + bias for n_rows rows; rows x_stride / y_stride floats apart. Same results as
// GEMV per row.
using LinearGemmFn = void (*)(const WeightView& w, const float* bias, const float* x,
                              size_t n_rows, size_t x_stride, float* y, size_t y_stride) noexcept;
// out = gamma * (x - mean) / sqrt(biased_var + eps) + beta. out may alias x. n >= 1.
using LayerNormFn = void (*)(const float* x, const float* gamma, const float* beta, size_t n,
                             float eps, float* out) noexcept;
// In place, max-subtracted. n >= 1.
using SoftmaxFn = void (*)(float* x, size_t n) noexcept;
// Elementwise (relu, sigmoid = 1 / (1 + exp(-x)), ...); out may alias the inputs.
using UnaryFn = void (*)(const float* x, float* out, size_t n) noexcept;
using BinaryFn = void (*)(const float* a, const float* b, float* out, size_t n) noexcept;
// GPT-NeoX rotary (rotate_half) on the first rotary_dims of each head, in place.
// x is [n_heads x head_dim]; rotary_dims even and <= head_dim.
using RotaryFn = void (*)(float* x, size_t n_heads, size_t head_dim, size_t rotary_dims,
                          size_t position, float base) noexcept;
// One query (q: [n_heads x head_dim]) at `position`, attending to cache positions <= position
// (and > position - window). scratch: position + 1 floats. out: [n_heads x head_dim].
using AttentionDecodeFn = void (*)(const AttentionShape& shape, const float* q,
                                   const float* k_cache, const float* v_cache, size_t position,
                                   float* scratch, float* out) noexcept;
// n_queries rows of q (q_stride apart) at positions first_position + i; causal. The cache must
// already hold K/V for every position up to first_position + n_queries - 1.
// scratch: first_position + n_queries floats. out rows out_stride apart.
using AttentionPrefillFn = void (*)(const AttentionShape& shape, const float* q, size_t n_queries,
                                    size_t q_stride, const float* k_cache, const float* v_cache,
                                    size_t first_position, float* scratch, float* out,
                                    size_t out_stride) noexcept;

// The full distance mode of the -L2 search: dist_out[j] = ||query - c_j||^2 for every code,
// summed as squared differences in the spec's lane order (no ||x||^2 - 2<x,c> + ||c||^2
// cancellation), plus the k nearest ids (ascending distance, ties to the lower id; slots past
// n_codes get -1). book: f32, metric and norm_term unused. 0 <= k <= kMaxTopK. Returns
// min(k, n_codes).
using CodebookDistancesFn = size_t (*)(const CodebookView& book, const float* query,
                                       float* dist_out, size_t k, int32_t* ids_out) noexcept;
// conv2d: weight [out_channels x in_channels x kernel x kernel] (PyTorch Conv2d), bias
// [out_channels] or null. conv_transpose2d: weight in GEMM layout [out_channels x kernel x kernel
// x in_channels] (prepare_conv_transpose_weight turns PyTorch's [in x out x k x k] into it).
// scratch: conv2d_scratch_floats / conv_transpose2d_scratch_floats. out must not alias in.
using ConvFn = void (*)(const ConvShape& shape, const float* weight, const float* bias,
                        const float* in, float* scratch, float* out) noexcept;

// One table per ISA; the field list is simd/kernels.def (shared with tests and benchmarks).
struct Kernels {
  Isa isa;
  Accumulation accumulation;
#define CBK_SIMD_KERNEL(name, FnType) FnType name;
#include "simd/kernels.def"
#undef CBK_SIMD_KERNEL
};

// The table of an ISA. For an ISA this build lacks, returns the scalar table; callers should ask
// isa_supported() first (the table of a compiled-in but unsupported ISA would fault when called).
const Kernels& kernels_for(Isa isa) noexcept;

// Convenience: the dtype's search entry of a table (a switch per call, not per vector).
size_t codebook_search(const Kernels& kern, const CodebookView& book, const float* query, size_t k,
                       int32_t* ids_out, float* scores_out) noexcept;
void codebook_search_multi(const Kernels& kern, const CodebookView& book, const float* queries,
                           size_t n_queries, size_t query_stride, size_t k, int32_t* ids_out,
                           float* scores_out) noexcept;
// f16/int8 tables only; for f32 tables use codebook_search (it is already exact).
size_t codebook_search_exact(const Kernels& kern, const ExactSearchTable& table, const float* query,
                             size_t k, int32_t* ids_out, float* scores_out,
                             ExactSearchStats* stats) noexcept;
void gather_mean(const Kernels& kern, const CodebookView& book, const int32_t* ids, size_t n_slots,
                 const float* strength, float* out) noexcept;
void linear_gemv(const Kernels& kern, const WeightView& w, const float* bias, const float* x,
                 float* y) noexcept;
void linear_gemm(const Kernels& kern, const WeightView& w, const float* bias, const float* x,
                 size_t n_rows, size_t x_stride, float* y, size_t y_stride) noexcept;

inline constexpr size_t kMaxTopK = 128;

}  // namespace cbk::simd
