// Step 3 of loading: the one read of the data section. In chunks that stay in cache it computes
// the data CRC-32 and, where a chunk overlaps a tensor whose values must be finite (LayerNorm
// parameters, code tables), checks those values while the bytes are still in cache, instead of a
// second pass over the file after the CRC.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/loader/crc32.hpp"
#include "runtime/loader/loader_internal.hpp"

namespace cbk::loader {
namespace {

// Well inside L2 (1 MiB per core on the machines measured), large enough that the per-chunk work
// (the CRC's final reduction, the walk over the tensor list) is negligible.
constexpr std::uint64_t kChunkBytes = 256 * 1024;

struct FiniteRange {
  std::uint64_t begin = 0;  // byte offsets in the data section
  std::uint64_t end = 0;
  std::uint64_t element_size = 4;
};

// Branch-free, so it vectorizes: an IEEE value is NaN or infinite exactly when its exponent bits
// are all ones, and adding one to the exponent field then carries into the bit above it.
bool all_finite_f32(const std::uint8_t* p, std::size_t count) {
  std::uint32_t bad = 0;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t w;
    std::memcpy(&w, p + 4 * i, 4);
    bad |= (w & 0x7F800000u) + 0x00800000u;
  }
  return (bad & 0x80000000u) == 0;
}

bool all_finite_f16(const std::uint8_t* p, std::size_t count) {
  std::uint16_t bad = 0;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    bad = static_cast<std::uint16_t>(bad | ((h & 0x7C00u) + 0x0400u));
  }
  return (bad & 0x8000u) == 0;
}

std::vector<FiniteRange> finite_ranges(const std::vector<const TensorView*>& tensors, const std::uint8_t* data_section) {
  std::vector<FiniteRange> out;
  for (const TensorView* t : tensors) {
    if (t->dtype != DType::f32 && t->dtype != DType::f16) continue;  // int8 values are finite; scales are checked apart
    FiniteRange r;
    r.element_size = t->dtype == DType::f32 ? 4 : 2;
    r.begin = static_cast<std::uint64_t>(t->data - data_section);
    r.end = r.begin + t->elements() * r.element_size;
    if (r.end > r.begin) out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [](const FiniteRange& a, const FiniteRange& b) { return a.begin < b.begin; });
  return out;
}

// Checks the elements of `r` that start inside [chunk_begin, chunk_end) (the last may end a few
// bytes past the chunk, still inside the tensor).
bool chunk_is_finite(const std::uint8_t* data_section, const FiniteRange& r, std::uint64_t chunk_begin, std::uint64_t chunk_end) {
  const std::uint64_t es = r.element_size;
  const std::uint64_t first = chunk_begin > r.begin ? (chunk_begin - r.begin + es - 1) / es : 0;
  const std::uint64_t stop = (std::min(chunk_end, r.end) - r.begin + es - 1) / es;
  if (stop <= first) return true;
  const std::uint8_t* p = data_section + r.begin + first * es;
  const auto count = static_cast<std::size_t>(stop - first);
  return es == 4 ? all_finite_f32(p, count) : all_finite_f16(p, count);
}

Error crc_mismatch(std::uint32_t computed, std::uint32_t stored) {
  return Error(Status::checksum_mismatch, "data section CRC-32 is " + std::to_string(computed) + " but the header says " +
                                              std::to_string(stored) + ": tensor data is corrupted");
}

}  // namespace

Error data_crc_error(const std::uint8_t* data_section, const FileFacts& facts) {
  const std::uint32_t crc = crc32_update(0, data_section, static_cast<std::size_t>(facts.data_size));
  return crc == facts.data_crc32 ? Error() : crc_mismatch(crc, facts.data_crc32);
}

Error verify_data(const ModelContents& contents, const std::uint8_t* data_section, bool verify_crc, FileFacts* facts) {
  const std::vector<const TensorView*> checked = tensors_needing_finite_values(contents);
  const std::vector<FiniteRange> ranges = finite_ranges(checked, data_section);
  const std::uint64_t size = facts->data_size;
  std::uint32_t crc = 0;
  bool finite = true;
  std::size_t first_open = 0;  // ranges before it ended before the current chunk
  for (std::uint64_t begin = 0; begin < size; begin += kChunkBytes) {
    const std::uint64_t end = std::min(size, begin + kChunkBytes);
    if (verify_crc) crc = crc32_update(crc, data_section + begin, static_cast<std::size_t>(end - begin));
    while (first_open < ranges.size() && ranges[first_open].end <= begin) ++first_open;
    for (std::size_t i = first_open; i < ranges.size() && ranges[i].begin < end; ++i)
      if (ranges[i].end > begin && !chunk_is_finite(data_section, ranges[i], begin, end)) finite = false;
  }
  if (verify_crc) {
    if (crc != facts->data_crc32) return crc_mismatch(crc, facts->data_crc32);
    facts->data_crc_verified = true;
  }
  // A bad value: the ordered check names the first one, with the usual message.
  if (!finite) return validate_values(contents);
  for (const TensorView* t : checked)
    if (t->dtype == DType::int8)
      if (Error e = check_finite_values(*t); !e.ok()) return e;
  return Error();
}

}  // namespace cbk::loader
