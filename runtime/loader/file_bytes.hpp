// The bytes of a model file: a read-only memory map, a caller's borrowed buffer, or an owned,
// 64-byte-aligned copy. Tensor views point into these bytes for the model's lifetime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/status.hpp"

namespace cbk {

class FileBytes {
 public:
  // Maps `path` read-only; if mapping is impossible (e.g. a pipe), reads it into memory.
  static Error open_file(const std::string& path, bool allow_mmap,
                         std::shared_ptr<const FileBytes>* out);
  // Uses the caller's buffer in place. The caller keeps it alive and unchanged for the model's
  // lifetime. It must be 64-byte aligned so that tensors keep their file alignment in memory.
  static Error borrow(const void* data, std::size_t size, std::shared_ptr<const FileBytes>* out);
  // Copies the caller's buffer into owned, aligned memory.
  static Error copy(const void* data, std::size_t size, std::shared_ptr<const FileBytes>* out);

  ~FileBytes();
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;

  const std::uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool memory_mapped() const noexcept { return kind_ == Kind::mapped; }

 private:
  enum class Kind { mapped, owned, borrowed };
  FileBytes(Kind kind, const std::uint8_t* data, std::size_t size) noexcept
      : kind_(kind), data_(data), size_(size) {}

  Kind kind_;
  const std::uint8_t* data_;
  std::size_t size_;
};

// Alignment the format guarantees for every tensor, relative to the start of the file.
inline constexpr std::size_t kTensorAlignment = 64;

}  // namespace cbk
