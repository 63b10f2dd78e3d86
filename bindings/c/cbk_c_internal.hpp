// Internals of the C API shim: the handle structs behind the opaque C types, and the helpers every
// entry point uses to report errors and to keep C++ exceptions from crossing the C boundary.
#pragma once

#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "bindings/c/include/cbk.h"
#include "runtime/dkvb/classifier.hpp"
#include "runtime/engine/prepared_model.hpp"
#include "runtime/engine/session.hpp"
#include "runtime/protonet/prepared_protonet.hpp"
#include "runtime/status.hpp"

struct cbk_model {
  std::shared_ptr<const cbk::Model> loaded;             // every kind
  std::shared_ptr<const cbk::PreparedModel> prepared;   // transformer models only, else null
  std::shared_ptr<const cbk::protonet::PreparedProtoNet> protonet;  // protonet models only, else null
  std::shared_ptr<const cbk::dkvb::PreparedDkvb> dkvb;  // DKVB models only, else null
  // The six fixed metadata keys, then the file's extra keys (flattened once at load).
  std::vector<std::pair<std::string, std::string>> metadata;

  const cbk::Model& model() const noexcept { return *loaded; }
  cbk::ModelKind kind() const noexcept { return loaded->kind(); }
};

struct cbk_dkvb {
  std::unique_ptr<cbk::dkvb::Classifier> classifier;  // keeps the prepared model alive
  std::string last_error;
};

struct cbk_session {
  std::shared_ptr<const cbk::PreparedModel> prepared;  // keeps the model alive
  std::unique_ptr<cbk::Session> session;
  std::vector<cbk::ActivationCapture> captures;  // what session->set_captures() last accepted
  std::string last_error;
};

namespace cbk::capi {

void log_message(cbk_log_level level, const std::string& message) noexcept;

// Records a failure (thread-local message, the session's message when given, the error log) and
// returns its status. Never throws.
cbk_status fail(cbk_session* session, Status status, const char* function, const std::string& message) noexcept;
inline cbk_status fail(Status status, const char* function, const std::string& message) noexcept {
  return fail(nullptr, status, function, message);
}
inline cbk_status report(cbk_session* session, const char* function, const Error& e) noexcept {
  return e.ok() ? CBK_STATUS_OK : fail(session, e.status, function, e.message);
}

// Runs body() and turns any escaping exception into a status: the single place where the C
// boundary is sealed.
template <typename Body>
cbk_status guarded(cbk_session* session, const char* function, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(session, Status::out_of_memory, function, "out of memory");
  } catch (const std::exception& e) {
    return fail(session, Status::internal, function, std::string("unexpected exception: ") + e.what());
  } catch (...) {
    return fail(session, Status::internal, function, "unexpected exception");
  }
}
template <typename Body>
cbk_status guarded(const char* function, Body&& body) noexcept {
  return guarded(nullptr, function, std::forward<Body>(body));
}

// Copies a caller's params struct: NULL means defaults; a struct_size below `oldest_size` (the
// struct as its first API version had it) is refused; a size between that and ours (an older
// header) keeps the defaults of the fields appended since; a larger one (a newer header) is
// accepted and only the fields known here are read.
template <typename Params>
cbk_status read_params(const Params* in, Params defaults, const char* function, Params* out,
                       cbk_session* session = nullptr, std::size_t oldest_size = sizeof(Params)) noexcept {
  *out = defaults;
  if (in == nullptr) return CBK_STATUS_OK;
  if (in->struct_size < oldest_size)
    return fail(session, Status::invalid_argument, function,
                "params struct_size " + std::to_string(in->struct_size) + " is smaller than " +
                    std::to_string(oldest_size) + " (fill it with the matching *_default_params())");
  std::memcpy(out, in, in->struct_size < sizeof(Params) ? in->struct_size : sizeof(Params));
  out->struct_size = sizeof(Params);
  return CBK_STATUS_OK;
}

// Fills a caller's output struct whose struct_size the caller set, under the same size rules.
template <typename Out>
cbk_status write_out(Out* out, const Out& value, const char* function) noexcept {
  if (out == nullptr) return fail(Status::invalid_argument, function, "output struct is NULL");
  if (out->struct_size < sizeof(Out))
    return fail(Status::invalid_argument, function,
                "output struct_size " + std::to_string(out->struct_size) + " is smaller than " +
                    std::to_string(sizeof(Out)) + " (set it to sizeof the struct)");
  const std::size_t caller_size = out->struct_size;
  std::memcpy(out, &value, sizeof(Out));
  out->struct_size = caller_size;  // fields past ours (a newer header) are left as the caller set them
  return CBK_STATUS_OK;
}

// OUT_OF_RANGE (naming the bad index) unless (codebook, group, code) names a code of the non-NULL
// model.
cbk_status check_code_index(const cbk_model* model, size_t codebook, uint32_t group, uint32_t code,
                            const char* function);

inline cbk_status null_argument(cbk_session* session, const char* function, const char* name) noexcept {
  return fail(session, Status::invalid_argument, function, std::string(name) + " is NULL");
}
inline cbk_status null_argument(const char* function, const char* name) noexcept {
  return null_argument(nullptr, function, name);
}

// INVALID_ARGUMENT for a NULL model; WRONG_MODEL_KIND (naming both kinds) when the model is not of
// `kind`. Every entry point that works on one model family starts with it.
cbk_status require_kind(const cbk_model* model, cbk::ModelKind kind, const char* function) noexcept;
inline cbk_status require_transformer(const cbk_model* model, const char* function) noexcept {
  return require_kind(model, cbk::ModelKind::transformer, function);
}

}  // namespace cbk::capi
