// C API: prototype networks (cbk_protonet_*): model shapes, classification and its results,
// rendering through the decoder, and prototype edits in a handle's own copy.
#include <cstdint>
#include <limits>

#include "bindings/c/cbk_c_internal.hpp"
#include "runtime/protonet/protonet_session.hpp"

struct cbk_protonet {
  std::unique_ptr<cbk::protonet::Session> session;  // keeps the prepared model (and the Model) alive
  cbk::protonet::Classification last;
  bool has_result = false;  // a classification since creation and since the last edit
  std::string last_error;
};

using cbk::Status;
using cbk::capi::fail;
using cbk::capi::guarded;
using cbk::capi::null_argument;

namespace {

cbk_status net_fail(const cbk_protonet* net, Status status, const char* fn, const std::string& message) {
  if (net) const_cast<cbk_protonet*>(net)->last_error = message;
  return fail(status, fn, message);
}

cbk_status report(const cbk_protonet* net, const char* fn, const cbk::Error& e) {
  if (net) const_cast<cbk_protonet*>(net)->last_error = e.ok() ? std::string() : e.message;
  return e.ok() ? CBK_STATUS_OK : fail(e.status, fn, e.message);
}

cbk_status check_length(const cbk_protonet* net, const char* fn, const char* what, const float* p, size_t n,
                        size_t want) {
  if (p == nullptr) return net_fail(net, Status::invalid_argument, fn, std::string(what) + " is NULL");
  if (n != want)
    return net_fail(net, Status::invalid_argument, fn,
                    std::string(what) + " has " + std::to_string(n) + " floats; the model needs " + std::to_string(want));
  return CBK_STATUS_OK;
}

cbk_status check_capacity(const cbk_protonet* net, const char* fn, const void* out, size_t capacity, size_t need,
                          size_t* count_out) {
  if (count_out) *count_out = need;
  if (out == nullptr && capacity > 0) return net_fail(net, Status::invalid_argument, fn, "out is NULL");
  if (capacity < need)
    return net_fail(net, Status::buffer_too_small, fn,
                    "the buffer holds " + std::to_string(capacity) + " values; " + std::to_string(need) + " are needed");
  return CBK_STATUS_OK;
}

template <typename T>
cbk_status copy_result(const cbk_protonet* net, const char* fn, const std::vector<T>& values, T* out,
                       size_t capacity, size_t* count_out) {
  return guarded(fn, [&]() -> cbk_status {
    if (net == nullptr) return null_argument(fn, "net");
    if (!net->has_result)
      return net_fail(net, Status::wrong_state, fn, "no classification to read (classify first; edits discard it)");
    if (cbk_status st = check_capacity(net, fn, out, capacity, values.size(), count_out)) return st;
    std::copy(values.begin(), values.end(), out);
    return CBK_STATUS_OK;
  });
}

// UNSUPPORTED for a baseline, OUT_OF_RANGE for an id past the prototypes.
cbk_status check_prototype_id(const cbk_protonet* net, const char* fn, uint32_t id) {
  const cbk::protonet::PreparedProtoNet& p = net->session->net();
  if (!p.has_prototypes())
    return net_fail(net, Status::unsupported, fn, "a baseline file has no prototypes or decoder");
  if (id >= p.prototypes())
    return net_fail(net, Status::out_of_range, fn,
                    "prototype " + std::to_string(id) + " does not exist (the model has " +
                        std::to_string(p.prototypes()) + ")");
  return CBK_STATUS_OK;
}

cbk_status copy_row(const cbk_protonet* net, const char* fn, const float* row, size_t n, float* out,
                    size_t capacity) {
  if (cbk_status st = check_capacity(net, fn, out, capacity, n, nullptr)) return st;
  std::copy(row, row + n, out);
  return CBK_STATUS_OK;
}

// Runs an edit and discards the last classification (its distances and logits are stale).
template <typename Body>
cbk_status edit(cbk_protonet* net, const char* fn, Body&& body) {
  return guarded(fn, [&]() -> cbk_status {
    if (net == nullptr) return null_argument(fn, "net");
    const cbk_status st = body();
    if (st == CBK_STATUS_OK) net->has_result = false;
    return st;
  });
}

}  // namespace

cbk_status cbk_model_protonet_info(const cbk_model* model, cbk_protonet_info* out) {
  static const char* fn = "cbk_model_protonet_info";
  return guarded(fn, [&]() -> cbk_status {
    if (cbk_status st = cbk::capi::require_kind(model, cbk::ModelKind::protonet, fn)) return st;
    const cbk::protonet::PreparedProtoNet& p = *model->protonet;
    const cbk::ProtoNetContents& c = model->model().protonet();
    cbk_protonet_info info{};
    info.struct_size = sizeof(info);
    info.image_channels = c.image_channels;
    info.image_height = c.image_height;
    info.image_width = c.image_width;
    info.latent_dim = static_cast<uint32_t>(p.latent_dim());
    info.prototypes = static_cast<uint32_t>(p.prototypes());
    info.classes = static_cast<uint32_t>(p.classes());
    return cbk::capi::write_out(out, info, fn);
  });
}

cbk_status cbk_protonet_class_name(const cbk_model* model, uint32_t cls, const char** name_out) {
  static const char* fn = "cbk_protonet_class_name";
  return guarded(fn, [&]() -> cbk_status {
    if (cbk_status st = cbk::capi::require_kind(model, cbk::ModelKind::protonet, fn)) return st;
    if (name_out == nullptr) return null_argument(fn, "name_out");
    const auto& names = model->model().protonet().class_names;
    if (cls >= names.size())
      return fail(Status::out_of_range, fn,
                  "class " + std::to_string(cls) + " does not exist (the model has " + std::to_string(names.size()) + ")");
    *name_out = names[cls].c_str();
    return CBK_STATUS_OK;
  });
}

cbk_status cbk_protonet_create(const cbk_model* model, cbk_protonet** out) {
  static const char* fn = "cbk_protonet_create";
  return guarded(fn, [&]() -> cbk_status {
    if (out == nullptr) return null_argument(fn, "out");
    *out = nullptr;
    if (cbk_status st = cbk::capi::require_kind(model, cbk::ModelKind::protonet, fn)) return st;
    auto handle = std::make_unique<cbk_protonet>();
    if (cbk::Error e = cbk::protonet::Session::create(model->protonet, &handle->session); !e.ok())
      return fail(e.status, fn, e.message);
    *out = handle.release();
    return CBK_STATUS_OK;
  });
}

void cbk_protonet_free(cbk_protonet* net) { delete net; }

const char* cbk_protonet_last_error(const cbk_protonet* net) { return net ? net->last_error.c_str() : ""; }

cbk_status cbk_protonet_classify(cbk_protonet* net, const float* image, size_t n_floats, int32_t* predicted_out) {
  static const char* fn = "cbk_protonet_classify";
  return guarded(fn, [&]() -> cbk_status {
    if (net == nullptr) return null_argument(fn, "net");
    if (cbk_status st = check_length(net, fn, "image", image, n_floats, net->session->net().image_floats())) return st;
    net->has_result = false;
    if (cbk::Error e = net->session->classify(image, &net->last); !e.ok()) return report(net, fn, e);
    net->has_result = true;
    if (predicted_out) *predicted_out = net->last.predicted;
    return report(net, fn, cbk::Error());
  });
}

cbk_status cbk_protonet_distances(const cbk_protonet* net, float* out, size_t capacity, size_t* count_out) {
  return copy_result(net, "cbk_protonet_distances", net ? net->last.distances : std::vector<float>(), out, capacity,
                     count_out);
}
cbk_status cbk_protonet_nearest(const cbk_protonet* net, int32_t* out, size_t capacity, size_t* count_out) {
  return copy_result(net, "cbk_protonet_nearest", net ? net->last.nearest : std::vector<int32_t>(), out, capacity,
                     count_out);
}
cbk_status cbk_protonet_logits(const cbk_protonet* net, float* out, size_t capacity, size_t* count_out) {
  return copy_result(net, "cbk_protonet_logits", net ? net->last.logits : std::vector<float>(), out, capacity,
                     count_out);
}
cbk_status cbk_protonet_probabilities(const cbk_protonet* net, float* out, size_t capacity, size_t* count_out) {
  return copy_result(net, "cbk_protonet_probabilities", net ? net->last.probabilities : std::vector<float>(), out,
                     capacity, count_out);
}
cbk_status cbk_protonet_latent(const cbk_protonet* net, float* out, size_t capacity, size_t* count_out) {
  return copy_result(net, "cbk_protonet_latent", net ? net->last.latent : std::vector<float>(), out, capacity,
                     count_out);
}

cbk_status cbk_protonet_render_prototype(cbk_protonet* net, uint32_t id, float* image_out, size_t capacity) {
  static const char* fn = "cbk_protonet_render_prototype";
  return guarded(fn, [&]() -> cbk_status {
    if (net == nullptr) return null_argument(fn, "net");
    cbk::protonet::Session& s = *net->session;
    if (cbk_status st = check_prototype_id(net, fn, id)) return st;
    if (s.removed(id)) return net_fail(net, Status::wrong_state, fn, "prototype " + std::to_string(id) + " was removed");
    if (cbk_status st = check_capacity(net, fn, image_out, capacity, s.net().image_floats(), nullptr)) return st;
    return report(net, fn, s.decode(s.prototype(id), image_out));
  });
}

cbk_status cbk_protonet_decode(cbk_protonet* net, const float* latent, size_t n_floats, float* image_out,
                               size_t capacity) {
  static const char* fn = "cbk_protonet_decode";
  return guarded(fn, [&]() -> cbk_status {
    if (net == nullptr) return null_argument(fn, "net");
    cbk::protonet::Session& s = *net->session;
    if (cbk_status st = check_length(net, fn, "latent", latent, n_floats, s.net().latent_dim())) return st;
    if (cbk_status st = check_capacity(net, fn, image_out, capacity, s.net().image_floats(), nullptr)) return st;
    return report(net, fn, s.decode(latent, image_out));
  });
}

cbk_status cbk_protonet_reconstruct(cbk_protonet* net, const float* image, size_t n_floats, float* image_out,
                                    size_t capacity) {
  static const char* fn = "cbk_protonet_reconstruct";
  return guarded(fn, [&]() -> cbk_status {
    if (net == nullptr) return null_argument(fn, "net");
    cbk::protonet::Session& s = *net->session;
    if (cbk_status st = check_length(net, fn, "image", image, n_floats, s.net().image_floats())) return st;
    if (cbk_status st = check_capacity(net, fn, image_out, capacity, s.net().image_floats(), nullptr)) return st;
    if (!s.net().has_prototypes())
      return report(net, fn, cbk::Error(Status::unsupported, "a baseline file has no decoder"));
    std::vector<float> latent(s.net().latent_dim());
    if (cbk::Error e = s.encode(image, latent.data()); !e.ok()) return report(net, fn, e);
    return report(net, fn, s.decode(latent.data(), image_out));
  });
}

cbk_status cbk_protonet_prototype(const cbk_protonet* net, uint32_t id, float* latent_out, size_t capacity,
                                  int* removed_out) {
  static const char* fn = "cbk_protonet_prototype";
  return guarded(fn, [&]() -> cbk_status {
    if (net == nullptr) return null_argument(fn, "net");
    const cbk::protonet::Session& s = *net->session;
    if (cbk_status st = check_prototype_id(net, fn, id)) return st;
    if (cbk_status st = copy_row(net, fn, s.prototype(id), s.net().latent_dim(), latent_out, capacity)) return st;
    if (removed_out) *removed_out = s.removed(id) ? 1 : 0;
    return CBK_STATUS_OK;
  });
}

cbk_status cbk_protonet_prototype_weights(const cbk_protonet* net, uint32_t id, float* out, size_t capacity) {
  static const char* fn = "cbk_protonet_prototype_weights";
  return guarded(fn, [&]() -> cbk_status {
    if (net == nullptr) return null_argument(fn, "net");
    const cbk::protonet::Session& s = *net->session;
    if (cbk_status st = check_prototype_id(net, fn, id)) return st;
    return copy_row(net, fn, s.class_weights(id), s.net().classes(), out, capacity);
  });
}

cbk_status cbk_protonet_set_prototype(cbk_protonet* net, uint32_t id, const float* latent, size_t n_floats) {
  static const char* fn = "cbk_protonet_set_prototype";
  return edit(net, fn, [&]() -> cbk_status {
    if (cbk_status st = check_length(net, fn, "latent", latent, n_floats, net->session->net().latent_dim())) return st;
    return report(net, fn, net->session->set_prototype(id, latent));
  });
}

cbk_status cbk_protonet_set_prototype_from_image(cbk_protonet* net, uint32_t id, const float* image,
                                                 size_t n_floats) {
  static const char* fn = "cbk_protonet_set_prototype_from_image";
  return edit(net, fn, [&]() -> cbk_status {
    if (cbk_status st = check_length(net, fn, "image", image, n_floats, net->session->net().image_floats())) return st;
    return report(net, fn, net->session->set_prototype_from_image(id, image));
  });
}

cbk_status cbk_protonet_interpolate(cbk_protonet* net, uint32_t target, uint32_t a, uint32_t b, float t) {
  static const char* fn = "cbk_protonet_interpolate";
  return edit(net, fn, [&]() -> cbk_status { return report(net, fn, net->session->interpolate_prototypes(target, a, b, t)); });
}

cbk_status cbk_protonet_set_class_weights(cbk_protonet* net, uint32_t id, const float* weights, size_t n_floats) {
  static const char* fn = "cbk_protonet_set_class_weights";
  return edit(net, fn, [&]() -> cbk_status {
    if (cbk_status st = check_length(net, fn, "weights", weights, n_floats, net->session->net().classes())) return st;
    return report(net, fn, net->session->set_class_weights(id, weights));
  });
}

cbk_status cbk_protonet_remove_prototype(cbk_protonet* net, uint32_t id) {
  static const char* fn = "cbk_protonet_remove_prototype";
  return edit(net, fn, [&]() -> cbk_status { return report(net, fn, net->session->remove_prototype(id)); });
}

cbk_status cbk_protonet_reset(cbk_protonet* net) {
  static const char* fn = "cbk_protonet_reset";
  return edit(net, fn, [&]() -> cbk_status {
    net->session->reset();
    return CBK_STATUS_OK;
  });
}
