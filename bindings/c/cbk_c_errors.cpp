// C API: versions, status names, last-error messages and the log callback.
#include <atomic>
#include <mutex>

#include "bindings/c/cbk_c_internal.hpp"
#include "runtime/loader/load_model.hpp"

// The C enum mirrors cbk::Status value for value (both are pinned and append-only).
static_assert(CBK_STATUS_OK == static_cast<int>(cbk::Status::ok), "pinned");
static_assert(CBK_STATUS_INVALID_ARGUMENT == static_cast<int>(cbk::Status::invalid_argument), "pinned");
static_assert(CBK_STATUS_OUT_OF_MEMORY == static_cast<int>(cbk::Status::out_of_memory), "pinned");
static_assert(CBK_STATUS_IO_ERROR == static_cast<int>(cbk::Status::io_error), "pinned");
static_assert(CBK_STATUS_BAD_IDENTIFIER == static_cast<int>(cbk::Status::bad_identifier), "pinned");
static_assert(CBK_STATUS_UNSUPPORTED_VERSION == static_cast<int>(cbk::Status::unsupported_version), "pinned");
static_assert(CBK_STATUS_TRUNCATED == static_cast<int>(cbk::Status::truncated), "pinned");
static_assert(CBK_STATUS_VERIFY_FAILED == static_cast<int>(cbk::Status::verify_failed), "pinned");
static_assert(CBK_STATUS_CHECKSUM_MISMATCH == static_cast<int>(cbk::Status::checksum_mismatch), "pinned");
static_assert(CBK_STATUS_BAD_DATA_SECTION == static_cast<int>(cbk::Status::bad_data_section), "pinned");
static_assert(CBK_STATUS_TENSOR_OUT_OF_RANGE == static_cast<int>(cbk::Status::tensor_out_of_range), "pinned");
static_assert(CBK_STATUS_TENSOR_MISALIGNED == static_cast<int>(cbk::Status::tensor_misaligned), "pinned");
static_assert(CBK_STATUS_SHAPE_OVERFLOW == static_cast<int>(cbk::Status::shape_overflow), "pinned");
static_assert(CBK_STATUS_SHAPE_MISMATCH == static_cast<int>(cbk::Status::shape_mismatch), "pinned");
static_assert(CBK_STATUS_BAD_DTYPE == static_cast<int>(cbk::Status::bad_dtype), "pinned");
static_assert(CBK_STATUS_MISSING_TENSOR == static_cast<int>(cbk::Status::missing_tensor), "pinned");
static_assert(CBK_STATUS_DUPLICATE_TENSOR == static_cast<int>(cbk::Status::duplicate_tensor), "pinned");
static_assert(CBK_STATUS_BAD_ARCHITECTURE == static_cast<int>(cbk::Status::bad_architecture), "pinned");
static_assert(CBK_STATUS_BAD_CODEBOOK == static_cast<int>(cbk::Status::bad_codebook), "pinned");
static_assert(CBK_STATUS_BAD_TOKENIZER == static_cast<int>(cbk::Status::bad_tokenizer), "pinned");
static_assert(CBK_STATUS_BAD_ANNOTATION == static_cast<int>(cbk::Status::bad_annotation), "pinned");
static_assert(CBK_STATUS_NON_FINITE_VALUE == static_cast<int>(cbk::Status::non_finite_value), "pinned");
static_assert(CBK_STATUS_OUT_OF_RANGE == static_cast<int>(cbk::Status::out_of_range), "pinned");
static_assert(CBK_STATUS_CONTEXT_FULL == static_cast<int>(cbk::Status::context_full), "pinned");
static_assert(CBK_STATUS_WRONG_STATE == static_cast<int>(cbk::Status::wrong_state), "pinned");
static_assert(CBK_STATUS_CANCELLED == static_cast<int>(cbk::Status::cancelled), "pinned");
static_assert(CBK_STATUS_UNSUPPORTED == static_cast<int>(cbk::Status::unsupported), "pinned");
static_assert(CBK_STATUS_INTERNAL == static_cast<int>(cbk::Status::internal), "pinned");
static_assert(CBK_STATUS_BUFFER_TOO_SMALL == static_cast<int>(cbk::Status::buffer_too_small), "pinned");
static_assert(CBK_STATUS_WRONG_MODEL_KIND == static_cast<int>(cbk::Status::wrong_model_kind), "pinned");
static_assert(CBK_STATUS_UNSUPPORTED_MODEL_KIND == static_cast<int>(cbk::Status::unsupported_model_kind), "pinned");
static_assert(CBK_KIND_TRANSFORMER == static_cast<int>(cbk::ModelKind::transformer), "pinned");
static_assert(CBK_KIND_DKVB == static_cast<int>(cbk::ModelKind::dkvb), "pinned");
static_assert(CBK_KIND_PROTONET == static_cast<int>(cbk::ModelKind::protonet), "pinned");
static_assert(CBK_SITE_TRANSFORMER_BLOCK == static_cast<int>(cbk::CodebookSite::transformer_block), "pinned");
static_assert(CBK_NO_SLOT == cbk::kTraceNoSlot, "pinned");

// The version CMake's project() declares; CMake also checks that cbk.h's macros agree with it.
#ifndef CBK_BUILD_VERSION_MAJOR
#error "CBK_BUILD_VERSION_* must come from the build (CMake project version)"
#endif
#define CBK_STRINGIFY2(x) #x
#define CBK_STRINGIFY(x) CBK_STRINGIFY2(x)

namespace {

thread_local std::string t_last_error;

struct LogSink {
  std::mutex mutex;
  cbk_log_callback callback = nullptr;
  void* user_data = nullptr;
};
LogSink& log_sink() {
  static LogSink sink;
  return sink;
}

}  // namespace

namespace cbk::capi {

void log_message(cbk_log_level level, const std::string& message) noexcept {
  LogSink& sink = log_sink();
  cbk_log_callback callback;
  void* user_data;
  {
    std::lock_guard<std::mutex> lock(sink.mutex);
    callback = sink.callback;
    user_data = sink.user_data;
  }
  if (callback != nullptr) callback(level, message.c_str(), user_data);
}

cbk_status fail(cbk_session* session, Status status, const char* function, const std::string& message) noexcept {
  try {
    std::string text = std::string(function) + ": " + message;
    if (session != nullptr) session->last_error = text;
    log_message(CBK_LOG_ERROR, text);
    t_last_error = std::move(text);
  } catch (...) {
    // No memory even for the message: the status still says what happened.
  }
  return static_cast<cbk_status>(status);
}

}  // namespace cbk::capi

extern "C" {

const char* cbk_version(void) {
  return CBK_STRINGIFY(CBK_BUILD_VERSION_MAJOR) "." CBK_STRINGIFY(CBK_BUILD_VERSION_MINOR) "." CBK_STRINGIFY(
      CBK_BUILD_VERSION_PATCH);
}

unsigned cbk_version_number(void) {
  return CBK_BUILD_VERSION_MAJOR * 10000u + CBK_BUILD_VERSION_MINOR * 100u + CBK_BUILD_VERSION_PATCH;
}

unsigned cbk_api_version(void) { return CBK_API_VERSION; }

cbk_status cbk_check_api_version(unsigned header_api_version) {
  if (header_api_version <= CBK_API_VERSION) return CBK_STATUS_OK;
  return cbk::capi::fail(cbk::Status::unsupported, "cbk_check_api_version",
                         "the program was compiled against API version " + std::to_string(header_api_version) +
                             " but this library provides " + std::to_string(CBK_API_VERSION));
}

void cbk_supported_schema_version(uint32_t* major, uint32_t* minor) {
  if (major != nullptr) *major = cbk::kSchemaMajor;
  if (minor != nullptr) *minor = cbk::kSchemaMinor;
}

const char* cbk_status_string(int status) {
  if (status < 0 || status > CBK_STATUS_UNSUPPORTED_MODEL_KIND) return "unknown";
  return cbk::status_name(static_cast<cbk::Status>(status));
}

const char* cbk_last_error_message(void) { return t_last_error.c_str(); }

void cbk_set_log_callback(cbk_log_callback callback, void* user_data) {
  LogSink& sink = log_sink();
  std::lock_guard<std::mutex> lock(sink.mutex);
  sink.callback = callback;
  sink.user_data = user_data;
}

}  // extern "C"
