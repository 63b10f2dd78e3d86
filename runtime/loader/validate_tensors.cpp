// Tensor placement: every tensor must describe a well-formed, aligned range inside the data
// section before anything reads it.
#include <limits>
#include <string>
#include <unordered_set>

#include "runtime/loader/file_bytes.hpp"
#include "runtime/loader/loader_internal.hpp"

namespace cbk::loader {
namespace {

constexpr std::uint8_t kMaxDType = static_cast<std::uint8_t>(DType::i32);
constexpr std::size_t kMaxRank = 8;

bool mul_overflows(std::uint64_t a, std::uint64_t b, std::uint64_t* out) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return true;
  *out = a * b;
  return false;
}

std::string label(const TensorLocation& loc) {
  return loc.view->name.empty() ? loc.role : "tensor '" + loc.view->name + "'";
}

// The byte range [offset, offset + length) must be aligned and inside the data section.
Error check_range(const TensorLocation& loc, const char* what, std::uint64_t offset,
                  std::uint64_t length, std::uint64_t data_size) {
  if (offset % kTensorAlignment != 0)
    return Error(Status::tensor_misaligned, label(loc) + ": " + what + " offset " + std::to_string(offset) +
                                                " is not a multiple of " + std::to_string(kTensorAlignment));
  if (offset > data_size || length > data_size - offset)
    return Error(Status::tensor_out_of_range,
                 label(loc) + ": " + what + " bytes [" + std::to_string(offset) + ", " + std::to_string(offset) +
                     " + " + std::to_string(length) + ") lie outside the data section of " +
                     std::to_string(data_size) + " bytes");
  return Error();
}

Error check_location(const TensorLocation& loc, std::uint64_t data_size) {
  const TensorView& v = *loc.view;
  if (!loc.present) return Error(Status::missing_tensor, loc.role + " is missing");
  if (v.name.empty()) return Error(Status::missing_tensor, loc.role + " has no name");
  if (loc.raw_dtype > kMaxDType)
    return Error(Status::bad_dtype, label(loc) + ": unknown dtype value " + std::to_string(loc.raw_dtype));
  if (v.shape.empty() || v.shape.size() > kMaxRank)
    return Error(Status::shape_mismatch, label(loc) + ": rank " + std::to_string(v.shape.size()) +
                                             " is not between 1 and " + std::to_string(kMaxRank));
  std::uint64_t elements = 1;
  for (std::uint64_t d : v.shape) {
    if (d == 0) return Error(Status::shape_mismatch, label(loc) + ": shape " + shape_string(v.shape) + " has a zero dimension");
    if (mul_overflows(elements, d, &elements))
      return Error(Status::shape_overflow, label(loc) + ": the element count of shape " + shape_string(v.shape) +
                                               " overflows 64 bits");
  }
  std::uint64_t bytes = 0;
  if (mul_overflows(elements, dtype_size(v.dtype), &bytes))
    return Error(Status::shape_overflow, label(loc) + ": the byte size of shape " + shape_string(v.shape) +
                                             " overflows 64 bits");
  if (loc.data_length != bytes)
    return Error(Status::shape_mismatch, label(loc) + ": data_length is " + std::to_string(loc.data_length) +
                                             " but shape " + shape_string(v.shape) + " of " + to_string(v.dtype) +
                                             " needs " + std::to_string(bytes));
  if (Error e = check_range(loc, "data", loc.data_offset, loc.data_length, data_size); !e.ok()) return e;

  if (v.dtype == DType::int8) {
    const std::uint64_t want = v.shape[0] * 4;  // rows <= elements, cannot overflow after the check above
    if (loc.scales_length != want)
      return Error(Status::shape_mismatch, label(loc) + ": int8 needs " + std::to_string(v.shape[0]) +
                                               " f32 row scales (" + std::to_string(want) + " bytes), scales_length is " +
                                               std::to_string(loc.scales_length));
    if (Error e = check_range(loc, "scales", loc.scales_offset, loc.scales_length, data_size); !e.ok()) return e;
  } else if (loc.scales_length != 0 || loc.scales_offset != 0) {
    return Error(Status::bad_dtype, label(loc) + ": row scales are only allowed for int8, not " + to_string(v.dtype));
  }
  return Error();
}

}  // namespace

Error validate_tensor_locations(std::vector<TensorLocation>& locations, std::uint64_t data_size) {
  std::unordered_set<std::string> names;
  for (TensorLocation& loc : locations) {
    if (Error e = check_location(loc, data_size); !e.ok()) return e;
    if (!names.insert(loc.view->name).second)
      return Error(Status::duplicate_tensor, "tensor name '" + loc.view->name + "' is used twice (second at " +
                                                 loc.role + ")");
  }
  return Error();
}

void bind_tensor_data(std::vector<TensorLocation>& locations, const std::uint8_t* data_section,
                      std::uint64_t data_offset) {
  for (TensorLocation& loc : locations) {
    TensorView& v = *loc.view;
    v.data = data_section + loc.data_offset;
    v.bytes = loc.data_length;
    v.file_offset = data_offset + loc.data_offset;
    if (v.dtype == DType::int8) v.scales = reinterpret_cast<const float*>(data_section + loc.scales_offset);
  }
}

}  // namespace cbk::loader
