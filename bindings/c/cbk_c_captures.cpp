// C API: activation captures (the vector entering a site, copied into a caller buffer per token).
#include <string>

#include "bindings/c/cbk_c_internal.hpp"

using cbk::Status;
using cbk::capi::fail;
using cbk::capi::guarded;
using cbk::capi::null_argument;
using cbk::capi::report;

namespace {

bool known_site(cbk_site site) {
  return static_cast<int>(site) >= 0 && static_cast<std::size_t>(site) < cbk::kSiteCount;
}

}  // namespace

extern "C" {

cbk_status cbk_model_site_width(const cbk_model* model, cbk_site site, size_t* width_out) {
  static const char* fn = "cbk_model_site_width";
  if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
  if (width_out == nullptr) return null_argument(fn, "width_out");
  if (!known_site(site)) return fail(Status::invalid_argument, fn, "unknown site " + std::to_string(site));
  *width_out = cbk::site_width(model->prepared->arch(), static_cast<cbk::CodebookSite>(site));
  return CBK_STATUS_OK;
}

cbk_status cbk_session_set_capture(cbk_session* session, uint32_t layer, cbk_site site, float* buffer, size_t rows) {
  static const char* fn = "cbk_session_set_capture";
  if (session == nullptr) return null_argument(fn, "session");
  return guarded(session, fn, [&] {
    if (buffer == nullptr) return null_argument(session, fn, "buffer");
    if (rows == 0) return fail(session, Status::invalid_argument, fn, "rows is 0");
    const std::uint32_t n_layers = session->prepared->arch().n_layers;
    if (layer >= n_layers)
      return fail(session, Status::out_of_range, fn,
                  "layer " + std::to_string(layer) + " is out of range (the model has " + std::to_string(n_layers) +
                      ")");
    if (!known_site(site)) return fail(session, Status::out_of_range, fn, "unknown site " + std::to_string(site));
    const cbk::ActivationCapture c{layer, static_cast<cbk::CodebookSite>(site), buffer, rows};
    std::vector<cbk::ActivationCapture> list = session->captures;
    bool replaced = false;
    for (cbk::ActivationCapture& old : list)
      if (old.layer == layer && old.site == c.site) old = c, replaced = true;
    if (!replaced) list.push_back(c);
    if (cbk::Error e = session->session->set_captures(list); !e.ok()) return report(session, fn, e);
    session->captures = std::move(list);  // no throw: move of a vector
    return CBK_STATUS_OK;
  });
}

cbk_status cbk_session_clear_captures(cbk_session* session) {
  static const char* fn = "cbk_session_clear_captures";
  if (session == nullptr) return null_argument(fn, "session");
  return guarded(session, fn, [&] {
    if (cbk::Error e = session->session->set_captures({}); !e.ok()) return report(session, fn, e);
    session->captures.clear();
    return CBK_STATUS_OK;
  });
}

}  // extern "C"
