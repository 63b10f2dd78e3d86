// Deterministic benchmark inputs: code tables per shape with every precomputed term, built lazily
// (the 100k x 1024 f32 table alone is 410 MB) and kept for the whole run.
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <vector>

#include "simd/simd.hpp"

namespace cbk::bench {

// 64-byte-aligned storage: the loader keeps every tensor at its 64-byte file alignment, so the
// kernels see cache-line-aligned tables in the engine; std::vector's 16-byte alignment would make
// every 64-byte load of an AVX-512 kernel straddle two cache lines.
template <class T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64)));
  }
  void deallocate(T* p, size_t) noexcept { ::operator delete(p, std::align_val_t(64)); }
  template <class U>
  bool operator==(const CacheLineAllocator<U>&) const noexcept { return true; }
  template <class U>
  bool operator!=(const CacheLineAllocator<U>&) const noexcept { return false; }
};
template <class T>
using AlignedVector = std::vector<T, CacheLineAllocator<T>>;

struct BenchTable {
  size_t n_codes = 0, dim = 0;
  AlignedVector<float> codes, norm_term;          // inner-product norm terms of the f32 codes
  AlignedVector<uint16_t> codes_f16;
  AlignedVector<int8_t> codes_q8;
  AlignedVector<float> scale_q8, error_f16, error_q8;
  AlignedVector<float> queries;                   // kQueries x dim, LayerNorm-like N(0, 1)
  static constexpr size_t kQueries = 64;

  simd::CodebookView view(simd::DType dtype) const;
  simd::ExactSearchTable exact(simd::DType dtype) const;
  const float* query(size_t i) const { return queries.data() + (i % kQueries) * dim; }
};

const BenchTable& bench_table(size_t n_codes, size_t dim);
AlignedVector<float> bench_random(size_t n, uint32_t seed);

}  // namespace cbk::bench
