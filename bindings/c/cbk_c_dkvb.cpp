// C API: DKVB classifiers (runtime/dkvb): model facts, classification and steering.
#include <algorithm>
#include <cstdint>

#include "bindings/c/cbk_c_internal.hpp"

using cbk::Status;
using cbk::capi::fail;
using cbk::capi::guarded;
using cbk::capi::null_argument;

namespace {

// A session-like failure: the message goes to the classifier too (cbk_dkvb_last_error).
cbk_status fail_on(cbk_dkvb* d, Status status, const char* fn, const std::string& message) {
  cbk_status st = fail(status, fn, message);
  if (d != nullptr) {
    try {
      d->last_error = std::string(fn) + ": " + message;
    } catch (...) {
    }
  }
  return st;
}

cbk_status report(cbk_dkvb* d, const char* fn, const cbk::Error& e) {
  return e.ok() ? CBK_STATUS_OK : fail_on(d, e.status, fn, e.message);
}

cbk_status check_pair(cbk_dkvb* d, const cbk::dkvb::PreparedDkvb& m, uint32_t head, int32_t key, const char* fn) {
  if (head >= m.heads())
    return fail_on(d, Status::out_of_range, fn, "head " + std::to_string(head) + " is out of range (the model has " +
                                                    std::to_string(m.heads()) + " heads)");
  if (key < 0 || static_cast<std::size_t>(key) >= m.pairs())
    return fail_on(d, Status::out_of_range, fn, "key " + std::to_string(key) + " is out of range (each head has " +
                                                    std::to_string(m.pairs()) + " pairs)");
  return CBK_STATUS_OK;
}

}  // namespace

extern "C" {

cbk_status cbk_model_dkvb_info(const cbk_model* model, cbk_dkvb_info* out) {
  static const char* fn = "cbk_model_dkvb_info";
  return guarded(fn, [&] {
    if (cbk_status st = cbk::capi::require_kind(model, cbk::ModelKind::dkvb, fn)) return st;
    const cbk::DkvbContents& d = model->model().dkvb();
    cbk_dkvb_info v{};
    v.struct_size = sizeof(v);
    v.input_dim = d.input_dim;
    v.embed_dim = d.embed_dim();
    v.encoder_layers = static_cast<uint32_t>(d.encoder.size());
    v.heads = d.heads;
    v.pairs = d.pairs;
    v.key_dim = d.key_dim;
    v.value_dim = d.value_dim;
    v.classes = d.classes;
    v.decoder = d.decoder == cbk::DkvbDecoder::linear ? CBK_DKVB_LINEAR : CBK_DKVB_VOTING;
    v.has_projection = d.has_projection() ? 1 : 0;
    v.has_used_pairs = d.has_used_pairs() ? 1 : 0;
    const uint64_t all = static_cast<uint64_t>(d.heads) * d.pairs;
    v.used_pairs = d.has_used_pairs()
                       ? static_cast<uint64_t>(std::count(d.used_pairs.data, d.used_pairs.data + all, std::uint8_t{1}))
                       : all;
    return cbk::capi::write_out(out, v, fn);
  });
}

cbk_status cbk_model_dkvb_key(const cbk_model* model, uint32_t head, int32_t key, float* out, size_t capacity) {
  static const char* fn = "cbk_model_dkvb_key";
  return guarded(fn, [&] {
    if (cbk_status st = cbk::capi::require_kind(model, cbk::ModelKind::dkvb, fn)) return st;
    if (out == nullptr) return null_argument(fn, "out");
    const cbk::dkvb::PreparedDkvb& m = *model->dkvb;
    if (cbk_status st = check_pair(nullptr, m, head, key, fn)) return st;
    if (capacity < m.key_dim())
      return fail(Status::buffer_too_small, fn, "a key has " + std::to_string(m.key_dim()) +
                                                    " floats but the buffer holds " + std::to_string(capacity));
    const float* k = m.keys() + (static_cast<std::size_t>(head) * m.pairs() + static_cast<std::size_t>(key)) * m.key_dim();
    std::copy_n(k, m.key_dim(), out);
    return CBK_STATUS_OK;
  });
}

cbk_status cbk_dkvb_create(const cbk_model* model, cbk_dkvb** dkvb_out) {
  static const char* fn = "cbk_dkvb_create";
  return guarded(fn, [&] {
    if (dkvb_out == nullptr) return null_argument(fn, "dkvb_out");
    if (cbk_status st = cbk::capi::require_kind(model, cbk::ModelKind::dkvb, fn)) return st;
    auto handle = std::make_unique<cbk_dkvb>();
    if (cbk::Error e = cbk::dkvb::Classifier::create(model->dkvb, &handle->classifier); !e.ok())
      return fail(e.status, fn, e.message);
    *dkvb_out = handle.release();
    return CBK_STATUS_OK;
  });
}

void cbk_dkvb_free(cbk_dkvb* dkvb) { delete dkvb; }

const char* cbk_dkvb_last_error(const cbk_dkvb* dkvb) { return dkvb == nullptr ? "" : dkvb->last_error.c_str(); }

cbk_status cbk_dkvb_classify(cbk_dkvb* dkvb, const float* inputs, size_t n_rows, size_t row_width, int32_t* keys_out,
                             size_t keys_capacity, float* logits_out, size_t logits_capacity) {
  static const char* fn = "cbk_dkvb_classify";
  return guarded(fn, [&] {
    if (dkvb == nullptr) return null_argument(fn, "dkvb");
    const cbk::dkvb::PreparedDkvb& m = dkvb->classifier->model();
    if (inputs == nullptr && n_rows > 0) return fail_on(dkvb, Status::invalid_argument, fn, "inputs is NULL");
    if (row_width != m.input_dim())
      return fail_on(dkvb, Status::invalid_argument, fn, "row_width is " + std::to_string(row_width) +
                                                             " but the model's input_dim is " + std::to_string(m.input_dim()));
    if ((keys_out == nullptr && keys_capacity != 0) || (logits_out == nullptr && logits_capacity != 0))
      return fail_on(dkvb, Status::invalid_argument, fn, "an output is NULL but its capacity is not 0");
    // The products cannot overflow in practice (heads, classes < 2^17), but n_rows comes from the caller.
    const size_t need_keys = n_rows > SIZE_MAX / m.heads() ? SIZE_MAX : n_rows * m.heads();
    const size_t need_logits = n_rows > SIZE_MAX / m.classes() ? SIZE_MAX : n_rows * m.classes();
    if (keys_out != nullptr && keys_capacity < need_keys)
      return fail_on(dkvb, Status::buffer_too_small, fn, "keys_out needs " + std::to_string(need_keys) +
                                                             " entries (rows x heads), capacity is " +
                                                             std::to_string(keys_capacity));
    if (logits_out != nullptr && logits_capacity < need_logits)
      return fail_on(dkvb, Status::buffer_too_small, fn, "logits_out needs " + std::to_string(need_logits) +
                                                             " floats (rows x classes), capacity is " +
                                                             std::to_string(logits_capacity));
    return report(dkvb, fn, dkvb->classifier->classify(inputs, n_rows, keys_out, logits_out));
  });
}

cbk_status cbk_dkvb_force_key(cbk_dkvb* dkvb, uint32_t head, int32_t key) {
  static const char* fn = "cbk_dkvb_force_key";
  return guarded(fn, [&] {
    if (dkvb == nullptr) return null_argument(fn, "dkvb");
    return report(dkvb, fn, dkvb->classifier->force_key(head, key));
  });
}

cbk_status cbk_dkvb_mask_pairs(cbk_dkvb* dkvb, int32_t head, const int32_t* keys, size_t n_keys, int masked) {
  static const char* fn = "cbk_dkvb_mask_pairs";
  return guarded(fn, [&] {
    if (dkvb == nullptr) return null_argument(fn, "dkvb");
    return report(dkvb, fn, dkvb->classifier->mask_pairs(head, keys, n_keys, masked != 0));
  });
}

cbk_status cbk_dkvb_use_file_mask(cbk_dkvb* dkvb, int enabled) {
  static const char* fn = "cbk_dkvb_use_file_mask";
  return guarded(fn, [&] {
    if (dkvb == nullptr) return null_argument(fn, "dkvb");
    return report(dkvb, fn, dkvb->classifier->use_file_mask(enabled != 0));
  });
}

cbk_status cbk_dkvb_pair_searchable(const cbk_dkvb* dkvb, uint32_t head, int32_t key, int* searchable_out) {
  static const char* fn = "cbk_dkvb_pair_searchable";
  return guarded(fn, [&] {
    if (dkvb == nullptr || searchable_out == nullptr) return null_argument(fn, "dkvb/searchable_out");
    if (cbk_status st = check_pair(nullptr, dkvb->classifier->model(), head, key, fn)) return st;
    *searchable_out = dkvb->classifier->searchable(head, static_cast<std::size_t>(key)) ? 1 : 0;
    return CBK_STATUS_OK;
  });
}

cbk_status cbk_dkvb_set_value(cbk_dkvb* dkvb, uint32_t head, int32_t key, const float* value, size_t n) {
  static const char* fn = "cbk_dkvb_set_value";
  return guarded(fn, [&] {
    if (dkvb == nullptr) return null_argument(fn, "dkvb");
    const cbk::dkvb::PreparedDkvb& m = dkvb->classifier->model();
    if (value == nullptr) return fail_on(dkvb, Status::invalid_argument, fn, "value is NULL");
    if (cbk_status st = check_pair(dkvb, m, head, key, fn)) return st;
    if (n != m.value_dim())
      return fail_on(dkvb, Status::invalid_argument, fn, "n is " + std::to_string(n) + " but a value has value_dim = " +
                                                             std::to_string(m.value_dim()) + " floats");
    return report(dkvb, fn, dkvb->classifier->set_value(head, static_cast<std::size_t>(key), value));
  });
}

cbk_status cbk_dkvb_value(const cbk_dkvb* dkvb, uint32_t head, int32_t key, float* out, size_t capacity) {
  static const char* fn = "cbk_dkvb_value";
  return guarded(fn, [&] {
    if (dkvb == nullptr || out == nullptr) return null_argument(fn, "dkvb/out");
    const cbk::dkvb::PreparedDkvb& m = dkvb->classifier->model();
    if (cbk_status st = check_pair(nullptr, m, head, key, fn)) return st;
    if (capacity < m.value_dim())
      return fail(Status::buffer_too_small, fn, "a value has " + std::to_string(m.value_dim()) +
                                                    " floats but the buffer holds " + std::to_string(capacity));
    std::copy_n(dkvb->classifier->value(head, static_cast<std::size_t>(key)), m.value_dim(), out);
    return CBK_STATUS_OK;
  });
}

cbk_status cbk_dkvb_clear_steering(cbk_dkvb* dkvb) {
  static const char* fn = "cbk_dkvb_clear_steering";
  if (dkvb == nullptr) return null_argument(fn, "dkvb");
  dkvb->classifier->clear_steering();
  return CBK_STATUS_OK;
}

}  // extern "C"
