// C API: steering — each call adds one intervention to the session's cbk::Steering, which the
// engine validates as a whole (on error the previous set stays installed).
#include <cmath>
#include <cstdint>

#include "bindings/c/cbk_c_internal.hpp"
#include "runtime/engine/steering.hpp"

using cbk::Status;
using cbk::capi::fail;
using cbk::capi::guarded;
using cbk::capi::null_argument;
using cbk::capi::report;

namespace {

cbk_status convert_target(cbk_session* s, const cbk_target* target, const char* fn, cbk::CodebookTarget* out) {
  if (target == nullptr) return null_argument(s, fn, "target");
  if (static_cast<int>(target->site) < 0 || static_cast<std::size_t>(target->site) >= cbk::kSiteCount)
    return fail(s, Status::out_of_range, fn, "unknown site value " + std::to_string(static_cast<int>(target->site)));
  out->layer = target->layer;
  out->site = static_cast<cbk::CodebookSite>(target->site);
  out->group = target->group < 0 ? -1 : target->group;
  return CBK_STATUS_OK;
}

cbk_status convert_positions(cbk_session* s, const cbk_positions* positions, const char* fn, cbk::PositionSet* out) {
  if (positions == nullptr) {
    *out = cbk::PositionSet::all();
    return CBK_STATUS_OK;
  }
  switch (positions->kind) {
    case CBK_POSITIONS_ALL: *out = cbk::PositionSet::all(); return CBK_STATUS_OK;
    case CBK_POSITIONS_GENERATED: *out = cbk::PositionSet::generated(); return CBK_STATUS_OK;
    case CBK_POSITIONS_RANGE:
      if (positions->end <= positions->first)
        return fail(s, Status::invalid_argument, fn, "empty position range [" + std::to_string(positions->first) +
                                                         ", " + std::to_string(positions->end) + ")");
      out->kind = cbk::PositionSet::Kind::ranges;
      out->ranges = {{positions->first, positions->end}};
      return CBK_STATUS_OK;
  }
  return fail(s, Status::invalid_argument, fn,
              "unknown positions kind " + std::to_string(static_cast<int>(positions->kind)));
}

// Installs a copy of the session's steering with one more intervention added by `add`.
template <typename Add>
cbk_status install(cbk_session* s, const char* fn, Add&& add) {
  cbk::Steering next = s->session->steering();
  add(next);
  return report(s, fn, s->session->set_steering(next));
}

}  // namespace

extern "C" {

cbk_status cbk_steer_force(cbk_session* session, const cbk_target* target, int32_t code,
                           const cbk_positions* positions, cbk_force_mode mode, int32_t slot, float strength) {
  static const char* fn = "cbk_steer_force";
  if (session == nullptr) return null_argument(fn, "session");
  return guarded(session, fn, [&] {
    cbk::ForceCode f;
    if (cbk_status st = convert_target(session, target, fn, &f.target)) return st;
    if (cbk_status st = convert_positions(session, positions, fn, &f.positions)) return st;
    switch (mode) {
      case CBK_FORCE_SLOT: f.mode = cbk::ForceCode::SlotMode::index; break;
      case CBK_FORCE_ALL: f.mode = cbk::ForceCode::SlotMode::all; break;
      case CBK_FORCE_APPEND: f.mode = cbk::ForceCode::SlotMode::append; break;
      default:
        return fail(session, Status::invalid_argument, fn, "unknown force mode " + std::to_string(static_cast<int>(mode)));
    }
    f.code = code;
    f.slot = slot;
    f.strength = strength;
    return install(session, fn, [&](cbk::Steering& s) { s.forces.push_back(std::move(f)); });
  });
}

cbk_status cbk_steer_disable(cbk_session* session, const cbk_target* target, const int32_t* codes, size_t n_codes,
                             uint32_t top_n, const cbk_positions* positions, cbk_disable_mode mode, const int32_t* slots,
                             size_t n_slots) {
  static const char* fn = "cbk_steer_disable";
  if (session == nullptr) return null_argument(fn, "session");
  return guarded(session, fn, [&] {
    cbk::DisableCodes d;
    if (cbk_status st = convert_target(session, target, fn, &d.target)) return st;
    if (cbk_status st = convert_positions(session, positions, fn, &d.positions)) return st;
    if (codes == nullptr && n_codes != 0) return null_argument(session, fn, "codes (with n_codes > 0)");
    if (slots == nullptr && n_slots != 0) return null_argument(session, fn, "slots (with n_slots > 0)");
    if (mode != CBK_DISABLE_KEEP && mode != CBK_DISABLE_ZERO)
      return fail(session, Status::invalid_argument, fn, "unknown disable mode " + std::to_string(static_cast<int>(mode)));
    if (mode == CBK_DISABLE_KEEP && n_slots != 0)
      return fail(session, Status::invalid_argument, fn, "slots can only be blocked in CBK_DISABLE_ZERO mode");
    d.mode = mode == CBK_DISABLE_KEEP ? cbk::DisableCodes::Mode::keep : cbk::DisableCodes::Mode::zero;
    if (n_codes != 0) d.codes.assign(codes, codes + n_codes);
    if (n_slots != 0) d.slots.assign(slots, slots + n_slots);
    d.top_n = top_n;
    return install(session, fn, [&](cbk::Steering& s) { s.disables.push_back(std::move(d)); });
  });
}

cbk_status cbk_steer_interchange(cbk_session* session, const cbk_target* target, uint32_t position, const int32_t* ids,
                                 size_t n_ids) {
  static const char* fn = "cbk_steer_interchange";
  if (session == nullptr) return null_argument(fn, "session");
  return guarded(session, fn, [&] {
    cbk::Interchange iv;
    if (cbk_status st = convert_target(session, target, fn, &iv.target)) return st;
    if (ids == nullptr) return null_argument(session, fn, "ids");
    iv.position = position;
    iv.ids.assign(ids, ids + n_ids);
    return install(session, fn, [&](cbk::Steering& s) { s.interchanges.push_back(std::move(iv)); });
  });
}

cbk_status cbk_steer_bypass(cbk_session* session, const cbk_target* target) {
  static const char* fn = "cbk_steer_bypass";
  if (session == nullptr) return null_argument(fn, "session");
  return guarded(session, fn, [&] {
    cbk::CodebookTarget t;
    if (cbk_status st = convert_target(session, target, fn, &t)) return st;
    return install(session, fn, [&](cbk::Steering& s) { s.bypass.push_back(t); });
  });
}

cbk_status cbk_steer_clear(cbk_session* session) {
  static const char* fn = "cbk_steer_clear";
  if (session == nullptr) return null_argument(fn, "session");
  return guarded(session, fn, [&] { return report(session, fn, session->session->set_steering(cbk::Steering{})); });
}

size_t cbk_steer_count(const cbk_session* session) {
  if (session == nullptr) return 0;
  const cbk::Steering& s = session->session->steering();
  return s.forces.size() + s.disables.size() + s.interchanges.size() + s.bypass.size();
}

}  // extern "C"
