#include "runtime/loader/file_bytes.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cbk {
namespace {

// Buffers from this size on are placed on 2 MiB boundaries and offered transparent huge pages:
// decode streams every weight once per token, and with 4 KiB pages each page of a large model costs
// a TLB miss whose page walk stalls the hardware prefetcher.
constexpr std::size_t kHugePage = std::size_t(2) << 20;
constexpr std::size_t kHugePageMinBytes = std::size_t(32) << 20;

std::uint8_t* allocate_aligned(std::size_t size) noexcept {
  // aligned_alloc needs a size that is a multiple of the alignment; allocate at least one block
  // so an empty buffer still yields a unique pointer.
  const std::size_t align = size >= kHugePageMinBytes ? kHugePage : kTensorAlignment;
  std::size_t rounded = (size + align - 1) / align * align;
  if (rounded < size) return nullptr;  // overflow
  if (rounded == 0) rounded = align;
  void* p = std::aligned_alloc(align, rounded);
#if defined(MADV_HUGEPAGE)
  if (p != nullptr && align == kHugePage) ::madvise(p, rounded, MADV_HUGEPAGE);  // a hint; failure is fine
#endif
  return static_cast<std::uint8_t*>(p);
}

Error errno_error(const std::string& what, const std::string& path, int err) {
  return Error(Status::io_error, what + " '" + path + "': " + std::strerror(err));
}

// Reads a whole descriptor into owned memory (the fallback for files that cannot be mapped).
Error read_all(int fd, const std::string& path, std::size_t size_hint,
               std::uint8_t** out_data, std::size_t* out_size) {
  std::size_t capacity = size_hint ? size_hint : 1 << 20;
  std::uint8_t* buf = allocate_aligned(capacity);
  if (!buf) return Error(Status::out_of_memory, "cannot allocate " + std::to_string(capacity) +
                                                    " bytes to read '" + path + "'");
  std::size_t used = 0;
  for (;;) {
    if (used == capacity) {
      std::size_t bigger = capacity * 2;
      std::uint8_t* grown = bigger > capacity ? allocate_aligned(bigger) : nullptr;
      if (!grown) {
        std::free(buf);
        return Error(Status::out_of_memory, "cannot grow the read buffer for '" + path + "'");
      }
      std::memcpy(grown, buf, used);
      std::free(buf);
      buf = grown;
      capacity = bigger;
    }
    ssize_t n = ::read(fd, buf + used, capacity - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      std::free(buf);
      return errno_error("cannot read", path, err);
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  *out_data = buf;
  *out_size = used;
  return Error();
}

}  // namespace

Error FileBytes::open_file(const std::string& path, bool allow_mmap,
                           std::shared_ptr<const FileBytes>* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return errno_error("cannot stat", path, err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Error(Status::io_error, "'" + path + "' is a directory, not a model file");
  }
  const bool regular = S_ISREG(st.st_mode);
  const auto file_size = static_cast<std::uint64_t>(st.st_size);
  if (regular && file_size > SIZE_MAX) {
    ::close(fd);
    return Error(Status::out_of_memory, "'" + path + "' is larger than this platform's address space");
  }
  if (allow_mmap && regular && file_size > 0) {
    void* p = ::mmap(nullptr, static_cast<std::size_t>(file_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      ::close(fd);
      out->reset(new FileBytes(Kind::mapped, static_cast<const std::uint8_t*>(p),
                               static_cast<std::size_t>(file_size)));
      return Error();
    }
  }
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  Error e = read_all(fd, path, regular ? static_cast<std::size_t>(file_size) : 0, &data, &size);
  ::close(fd);
  if (!e.ok()) return e;
  out->reset(new FileBytes(Kind::owned, data, size));
  return Error();
}

Error FileBytes::borrow(const void* data, std::size_t size, std::shared_ptr<const FileBytes>* out) {
  if (!data && size) return Error(Status::invalid_argument, "buffer is NULL but size is " + std::to_string(size));
  if (reinterpret_cast<std::uintptr_t>(data) % kTensorAlignment != 0)
    return Error(Status::invalid_argument,
                 "a borrowed model buffer must be 64-byte aligned (address % 64 = " +
                     std::to_string(reinterpret_cast<std::uintptr_t>(data) % kTensorAlignment) +
                     "); load a copy instead");
  out->reset(new FileBytes(Kind::borrowed, static_cast<const std::uint8_t*>(data), size));
  return Error();
}

Error FileBytes::copy(const void* data, std::size_t size, std::shared_ptr<const FileBytes>* out) {
  if (!data && size) return Error(Status::invalid_argument, "buffer is NULL but size is " + std::to_string(size));
  std::uint8_t* owned = allocate_aligned(size);
  if (!owned) return Error(Status::out_of_memory, "cannot allocate " + std::to_string(size) + " bytes for the model copy");
  if (size) std::memcpy(owned, data, size);
  out->reset(new FileBytes(Kind::owned, owned, size));
  return Error();
}

FileBytes::~FileBytes() {
  switch (kind_) {
    case Kind::mapped: ::munmap(const_cast<std::uint8_t*>(data_), size_); break;
    case Kind::owned: std::free(const_cast<std::uint8_t*>(data_)); break;
    case Kind::borrowed: break;
  }
}

}  // namespace cbk
