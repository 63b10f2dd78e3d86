#include "runtime/status.hpp"

namespace cbk {

const char* status_name(Status status) noexcept {
  switch (status) {
    case Status::ok: return "ok";
    case Status::invalid_argument: return "invalid_argument";
    case Status::out_of_memory: return "out_of_memory";
    case Status::io_error: return "io_error";
    case Status::bad_identifier: return "bad_identifier";
    case Status::unsupported_version: return "unsupported_version";
    case Status::truncated: return "truncated";
    case Status::verify_failed: return "verify_failed";
    case Status::checksum_mismatch: return "checksum_mismatch";
    case Status::bad_data_section: return "bad_data_section";
    case Status::tensor_out_of_range: return "tensor_out_of_range";
    case Status::tensor_misaligned: return "tensor_misaligned";
    case Status::shape_overflow: return "shape_overflow";
    case Status::shape_mismatch: return "shape_mismatch";
    case Status::bad_dtype: return "bad_dtype";
    case Status::missing_tensor: return "missing_tensor";
    case Status::duplicate_tensor: return "duplicate_tensor";
    case Status::bad_architecture: return "bad_architecture";
    case Status::bad_codebook: return "bad_codebook";
    case Status::bad_tokenizer: return "bad_tokenizer";
    case Status::bad_annotation: return "bad_annotation";
    case Status::non_finite_value: return "non_finite_value";
    case Status::out_of_range: return "out_of_range";
    case Status::context_full: return "context_full";
    case Status::wrong_state: return "wrong_state";
    case Status::cancelled: return "cancelled";
    case Status::unsupported: return "unsupported";
    case Status::internal: return "internal";
    case Status::buffer_too_small: return "buffer_too_small";
    case Status::wrong_model_kind: return "wrong_model_kind";
    case Status::unsupported_model_kind: return "unsupported_model_kind";
  }
  return "unknown";
}

}  // namespace cbk
