// cbk.hpp — C++ RAII ownership for the handles of the C API (cbk.h). Header-only; every call still
// goes through cbk.h, so there is no second implementation:
//
//   cbk::model_ptr model = cbk::load_model("models/tokfsm.cbk");   // nullptr on failure
//   if (!model) std::cerr << cbk_last_error_message() << "\n";
//   cbk::session_ptr session = cbk::create_session(model.get());
//   cbk_session_prefill(session.get(), ids, n);                     // then plain C calls
//
// The deleters call cbk_model_free / cbk_session_free (both accept NULL). A session keeps its
// model's data alive, so the two pointers may be destroyed in any order.
#ifndef CBK_HPP
#define CBK_HPP

#ifndef __cplusplus
#error "cbk.hpp is C++ only; C programs include cbk.h"
#endif

#include <memory>

#include "cbk.h"

namespace cbk {

struct model_deleter {
  void operator()(cbk_model* model) const noexcept { cbk_model_free(model); }
};
struct session_deleter {
  void operator()(cbk_session* session) const noexcept { cbk_session_free(session); }
};

struct dkvb_deleter {
  void operator()(cbk_dkvb* dkvb) const noexcept { cbk_dkvb_free(dkvb); }
};

using model_ptr = std::unique_ptr<cbk_model, model_deleter>;
using session_ptr = std::unique_ptr<cbk_session, session_deleter>;
using dkvb_ptr = std::unique_ptr<cbk_dkvb, dkvb_deleter>;  // a DKVB classifier (API version 6)
struct protonet_deleter {
  void operator()(cbk_protonet* net) const noexcept { cbk_protonet_free(net); }
};
using protonet_ptr = std::unique_ptr<cbk_protonet, protonet_deleter>;  // a prototype network (API version 6)

// Loads a model file; nullptr on failure (the reason: cbk_last_error_message()). `status`, when
// given, receives the status.
inline model_ptr load_model(const char* path, const cbk_model_params* params = nullptr,
                            cbk_status* status = nullptr) noexcept {
  cbk_model* raw = nullptr;
  const cbk_status st = cbk_model_load_file(path, params, &raw);
  if (status != nullptr) *status = st;
  return model_ptr(raw);
}

// Loads a model from memory (see cbk_model_load_memory for the buffer's lifetime rules).
inline model_ptr load_model(const void* data, size_t size, cbk_memory_mode mode,
                            const cbk_model_params* params = nullptr, cbk_status* status = nullptr) noexcept {
  cbk_model* raw = nullptr;
  const cbk_status st = cbk_model_load_memory(data, size, mode, params, &raw);
  if (status != nullptr) *status = st;
  return model_ptr(raw);
}

// Creates a session; nullptr on failure (the reason: cbk_last_error_message()).
inline session_ptr create_session(const cbk_model* model, const cbk_session_params* params = nullptr,
                                  cbk_status* status = nullptr) noexcept {
  cbk_session* raw = nullptr;
  const cbk_status st = cbk_session_create(model, params, &raw);
  if (status != nullptr) *status = st;
  return session_ptr(raw);
}

// Creates a DKVB classifier; nullptr on failure (the reason: cbk_last_error_message()).
inline dkvb_ptr create_dkvb(const cbk_model* model, cbk_status* status = nullptr) noexcept {
  cbk_dkvb* raw = nullptr;
  const cbk_status st = cbk_dkvb_create(model, &raw);
  if (status != nullptr) *status = st;
  return dkvb_ptr(raw);
}

// Creates a prototype-network handle; nullptr on failure (the reason: cbk_last_error_message()).
inline protonet_ptr create_protonet(const cbk_model* model, cbk_status* status = nullptr) noexcept {
  cbk_protonet* raw = nullptr;
  const cbk_status st = cbk_protonet_create(model, &raw);
  if (status != nullptr) *status = st;
  return protonet_ptr(raw);
}

}  // namespace cbk

#endif  // CBK_HPP
