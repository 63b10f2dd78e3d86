// Status codes and the error value returned by every fallible runtime call.
//
// The numeric values are pinned: the C API (cbk_status) exposes them unchanged, so values are
// only ever appended, never renumbered or reused.
#pragma once

#include <string>
#include <utility>

namespace cbk {

enum class Status : int {
  ok = 0,
  invalid_argument = 1,     // wrong API use: null pointer, bad option value, ...
  out_of_memory = 2,        // an allocation failed; nothing the caller owned was lost
  io_error = 3,             // the file could not be opened, mapped or read
  bad_identifier = 4,       // not a .cbk file (file identifier mismatch)
  unsupported_version = 5,  // schema major version newer than this runtime understands
  truncated = 6,            // the file ends before the header or data section does
  verify_failed = 7,        // the FlatBuffers Verifier rejected the header structure
  checksum_mismatch = 8,    // header or data section bytes do not match their CRC-32
  bad_data_section = 9,     // data section placement/size inconsistent with the file
  tensor_out_of_range = 10, // a tensor's bytes lie (partly) outside the data section
  tensor_misaligned = 11,   // a tensor's offset is not aligned to the required boundary
  shape_overflow = 12,      // a shape product or byte size overflows 64 bits
  shape_mismatch = 13,      // a tensor's shape disagrees with the architecture
  bad_dtype = 14,           // a dtype not allowed for this tensor
  missing_tensor = 15,      // a tensor the architecture needs is absent
  duplicate_tensor = 16,    // two tensors share a name
  bad_architecture = 17,    // inconsistent or unsupported architecture parameters
  bad_codebook = 18,        // codebook parameters invalid (k, groups, layer, site, ...)
  bad_tokenizer = 19,       // tokenizer tables invalid (ids out of range, bad merges, ...)
  bad_annotation = 20,      // a code annotation refers to a codebook/group/code that does not exist
  non_finite_value = 21,    // NaN or infinity where only finite numbers are allowed
  out_of_range = 22,        // an index (layer, group, code, position, token id) is out of range
  context_full = 23,        // the session's context window is exhausted
  wrong_state = 24,         // a call made in the wrong order (e.g. decode before prefill)
  cancelled = 25,           // a caller's cancel callback stopped the work
  unsupported = 26,         // a valid request this build does not implement
  internal = 27,            // a bug in codebook.cpp; please report it
  buffer_too_small = 28,    // a caller's output buffer is too small; the needed size was reported
  wrong_model_kind = 29,    // a call for one model kind (e.g. a transformer session) on a model of another
  unsupported_model_kind = 30,  // the file's model kind is one this runtime does not implement
};

// Stable lower-case identifier of a status, e.g. "tensor_out_of_range".
const char* status_name(Status status) noexcept;

// An error: a status plus a message that names the offending field and value.
struct Error {
  Status status = Status::ok;
  std::string message;

  Error() = default;
  Error(Status s, std::string m) : status(s), message(std::move(m)) {}
  bool ok() const noexcept { return status == Status::ok; }
};

}  // namespace cbk
