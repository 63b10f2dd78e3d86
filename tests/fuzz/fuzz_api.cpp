// libFuzzer target for the C API (cbk.h) as a whole: the input is a script of calls on tiny
// models (tests/fuzz/make_fuzz_models.py: the gpt2, gpt_neox and gpt_neo fixtures, 2 layers,
// grouped and vanilla codebooks, max_positions 16, padded vocabulary), loaded from memory once.
//
// Each step consumes an opcode and its (mostly in-range, sometimes hostile) arguments and makes
// one call: session create/free, prefill, prefill_logits, decode, logits, sample, set_seed, reset,
// every steering call in every mode, steer_clear, codes, trace, captures, tokenize, detokenize.
// Checked after every call:
//  - the status is a cbk_status value and never INTERNAL; a failure leaves a message;
//  - the session's position follows the calls that succeeded (and no failed call moves it);
//  - results are in bounds: sampled ids in the vocabulary (greedy = an argmax, top-k within the k
//    largest), code ids in the codebook or -1 / CBK_NO_SLOT, trace rows = position, logits
//    finite while no force has a huge strength;
//  - ASan/UBSan see every buffer the library hands out (each is read completely).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "bindings/c/include/cbk.hpp"

#ifndef CBK_FUZZ_MODELS_DIR
#error "CBK_FUZZ_MODELS_DIR must name the directory make_fuzz_models.py wrote"
#endif

namespace {

[[noreturn]] void fail(const char* why, const std::string& detail = "") {
  std::fprintf(stderr, "fuzz_api: %s %s (last error: %s)\n", why, detail.c_str(), cbk_last_error_message());
  __builtin_trap();
}

struct FuzzModel {
  cbk::model_ptr model;
  cbk_architecture arch{};
  std::vector<cbk_codebook_info> codebooks;
  std::vector<std::uint8_t> borrowed;  // backing store of a CBK_MEMORY_BORROW model
};

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read", path);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::vector<FuzzModel> load_models() {
  std::vector<FuzzModel> models;
  int i = 0;
  for (const char* family : {"gpt2", "gpt_neox", "gpt_neo"}) {
    const std::vector<std::uint8_t> bytes = read_bytes(std::string(CBK_FUZZ_MODELS_DIR) + "/" + family + ".cbk");
    FuzzModel m;
    cbk_status st = CBK_STATUS_INTERNAL;
    if (i++ % 2 == 0) {
      m.model = cbk::load_model(bytes.data(), bytes.size(), CBK_MEMORY_COPY, nullptr, &st);
    } else {
      // Zero-copy needs 64-byte alignment; over-allocate and copy to an aligned offset.
      m.borrowed.resize(bytes.size() + 64);
      const std::size_t pad = (64 - reinterpret_cast<std::uintptr_t>(m.borrowed.data()) % 64) % 64;
      std::memcpy(m.borrowed.data() + pad, bytes.data(), bytes.size());
      m.model = cbk::load_model(m.borrowed.data() + pad, bytes.size(), CBK_MEMORY_BORROW, nullptr, &st);
    }
    if (st != CBK_STATUS_OK) fail("cannot load fixture", family);
    m.arch.struct_size = sizeof m.arch;
    if (cbk_model_architecture(m.model.get(), &m.arch) != CBK_STATUS_OK) fail("architecture");
    for (std::size_t c = 0; c < cbk_model_codebook_count(m.model.get()); ++c) {
      cbk_codebook_info info{};
      info.struct_size = sizeof info;
      if (cbk_model_codebook_info(m.model.get(), c, &info) != CBK_STATUS_OK) fail("codebook info");
      m.codebooks.push_back(info);
    }
    models.push_back(std::move(m));
  }
  return models;
}

const std::vector<FuzzModel>& models() {
  static const std::vector<FuzzModel> m = load_models();
  return m;
}

// The status is a known value, INTERNAL never happens, and a failure leaves a message.
cbk_status checked(cbk_status st, const char* call, const cbk_session* s = nullptr) {
  if (static_cast<int>(st) < CBK_STATUS_OK || static_cast<int>(st) > CBK_STATUS_UNSUPPORTED_MODEL_KIND)
    fail("status outside cbk_status from", call);
  if (st == CBK_STATUS_INTERNAL) fail("INTERNAL from", call);
  if (st != CBK_STATUS_OK) {
    if (cbk_last_error_message()[0] == '\0') fail("failure without a message from", call);
    if (s != nullptr && cbk_session_last_error(s)[0] == '\0') fail("failure without a session message from", call);
  }
  return st;
}

constexpr float kNan = NAN, kInf = INFINITY;
constexpr int kMaxSteps = 48;  // calls per input: long scripts add little and slow every execution

class Script {
 public:
  Script(const std::uint8_t* data, std::size_t size) : in_(data, size), m_(models()[in_.ConsumeIntegralInRange(0, 2)]) {}

  void run() {
    create();
    for (int step = 0; step < kMaxSteps && in_.remaining_bytes() > 0; ++step) {
      if (!session_) {
        create();
        continue;
      }
      this->step();
      check_position();
    }
    // The session is freed before the capture buffers it may write to.
    session_.reset();
  }

 private:
  cbk_session* s() const { return session_.get(); }
  std::int32_t vocab() const { return static_cast<std::int32_t>(m_.arch.vocab_size); }

  void create() {
    cbk_session_params p = cbk_session_default_params();
    const std::uint32_t max_pos = m_.arch.max_positions;
    p.max_context = in_.ConsumeBool() ? 0 : in_.ConsumeIntegralInRange<std::uint32_t>(1, max_pos + 1);
    p.prefill_chunk = in_.ConsumeBool() ? 64 : in_.ConsumeIntegralInRange<std::uint32_t>(0, 9);
    p.trace = in_.ConsumeBool();
    p.seed = in_.ConsumeIntegral<std::uint64_t>();
    cbk_session* raw = nullptr;
    const cbk_status st = checked(cbk_session_create(m_.model.get(), &p, &raw), "create");
    const bool valid = p.max_context <= max_pos && p.prefill_chunk >= 1;
    if ((st == CBK_STATUS_OK) != valid || (st == CBK_STATUS_OK) != (raw != nullptr)) fail("create: wrong outcome");
    if (st != CBK_STATUS_OK) {
      p = cbk_session_default_params();
      p.trace = 1;
      if (checked(cbk_session_create(m_.model.get(), &p, &raw), "create(defaults)") != CBK_STATUS_OK) fail("create(defaults)");
    }
    session_.reset(raw);
    trace_ = p.trace != 0;
    context_ = p.max_context ? p.max_context : max_pos;
    position_ = 0;
    prompted_ = false;
    huge_force_ = false;
    if (cbk_session_context_size(s()) != context_) fail("context size");
  }

  std::int32_t token() {
    switch (in_.ConsumeIntegralInRange(0, 7)) {
      case 0: return in_.ConsumeIntegral<std::int32_t>();
      case 1: return vocab() + in_.ConsumeIntegralInRange(-3, 2);  // the padding rows and just past
      default: return in_.ConsumeIntegralInRange<std::int32_t>(0, vocab() - 1);
    }
  }

  std::vector<std::int32_t> tokens(std::size_t max) {
    std::vector<std::int32_t> t(in_.ConsumeIntegralInRange<std::size_t>(0, max));
    for (auto& id : t) id = token();
    return t;
  }

  float pick(std::initializer_list<float> values) {
    return *(values.begin() + in_.ConsumeIntegralInRange<std::size_t>(0, values.size() - 1));
  }

  cbk_target target() {
    cbk_target t{};
    if (!m_.codebooks.empty() && in_.ConsumeIntegralInRange(0, 3) != 0) {
      const cbk_codebook_info& cb = m_.codebooks[in_.ConsumeIntegralInRange<std::size_t>(0, m_.codebooks.size() - 1)];
      t.layer = cb.layer;
      t.site = cb.site;
      t.group = in_.ConsumeIntegralInRange<std::int32_t>(-1, static_cast<std::int32_t>(cb.groups));
    } else {
      t.layer = in_.ConsumeIntegralInRange<std::uint32_t>(0, m_.arch.n_layers);
      t.site = static_cast<cbk_site>(in_.ConsumeIntegralInRange(-1, 7));
      t.group = in_.ConsumeIntegralInRange(-2, 12);
    }
    return t;
  }

  std::int32_t code() { return in_.ConsumeIntegralInRange(-2, 30); }

  const cbk_positions* positions(cbk_positions* storage) {
    const int kind = in_.ConsumeIntegralInRange(-1, 4);
    if (kind == 4) return nullptr;
    storage->kind = static_cast<cbk_positions_kind>(kind);
    storage->first = in_.ConsumeIntegralInRange<std::uint32_t>(0, 18);
    storage->end = in_.ConsumeIntegralInRange<std::uint32_t>(0, 20);
    return storage;
  }

  void step() {
    switch (in_.ConsumeIntegralInRange(0, 21)) {
      case 0: case 1: prefill(false); break;
      case 2: prefill(true); break;
      case 3: case 4: decode(token()); break;
      case 5: case 6: sample_and_decode(); break;
      case 7: logits(); break;
      case 8: force(); break;
      case 9: disable(); break;
      case 10: interchange(); break;
      case 11: {
        const cbk_target t = target();
        checked(cbk_steer_bypass(s(), &t), "steer_bypass", s());
        break;
      }
      case 12:
        if (checked(cbk_steer_clear(s()), "steer_clear", s()) != CBK_STATUS_OK || cbk_steer_count(s()) != 0) fail("clear");
        huge_force_ = false;
        break;
      case 13: codes(); break;
      case 14: trace(); break;
      case 15: capture(); break;
      case 16: checked(cbk_session_clear_captures(s()), "clear_captures", s()); break;
      case 17:
        if (checked(cbk_session_reset(s()), "reset", s()) != CBK_STATUS_OK) fail("reset failed");
        position_ = 0;
        prompted_ = false;
        break;
      case 18: checked(cbk_session_set_seed(s(), in_.ConsumeIntegral<std::uint64_t>()), "set_seed", s()); break;
      case 19: tokenize(); break;
      case 20: detokenize(); break;
      case 21: session_.reset(); break;
    }
  }

  void check_position() {
    if (!session_) return;
    if (cbk_session_position(s()) != position_) fail("position", std::to_string(cbk_session_position(s())) + " != " + std::to_string(position_));
    if (position_ > context_) fail("position past the context");
  }

  bool all_known(const std::vector<std::int32_t>& t) const {
    for (std::int32_t id : t)
      if (id < 0 || id >= vocab()) return false;
    return true;
  }

  void prefill(bool with_logits) {
    std::vector<std::int32_t> t = tokens(20);
    cbk_status st;
    if (with_logits) {
      const std::size_t need = t.size() * m_.arch.vocab_size;
      std::vector<float> out(need + 1, kNan);
      const std::size_t capacity = in_.ConsumeIntegralInRange(0, 5) == 0 ? need / 2 : need;
      st = checked(cbk_session_prefill_logits(s(), t.data(), t.size(), out.data(), capacity), "prefill_logits", s());
      if (st == CBK_STATUS_OK) {
        if (capacity < need) fail("prefill_logits accepted a small buffer");
        for (std::size_t i = 0; i < need; ++i)
          if (!huge_force_ && !std::isfinite(out[i])) fail("prefill_logits: non-finite logit");
        if (!std::isnan(out[need])) fail("prefill_logits wrote past n x vocab");
      }
    } else {
      st = checked(cbk_session_prefill(s(), t.data(), t.size()), "prefill", s());
    }
    const bool valid = !prompted_ && !t.empty() && t.size() <= context_ && all_known(t);
    if ((st == CBK_STATUS_OK) && !valid) fail("prefill accepted an invalid prompt");
    if (st == CBK_STATUS_OK) {
      position_ = t.size();
      prompted_ = true;
      if (cbk_session_prompt_length(s()) != t.size()) fail("prompt length");
    } else if (valid && st != CBK_STATUS_BUFFER_TOO_SMALL) {
      fail("prefill refused a valid prompt");
    }
  }

  void decode(std::int32_t id) {
    const cbk_status st = checked(cbk_session_decode(s(), id), "decode", s());
    const bool valid = prompted_ && position_ < context_ && id >= 0 && id < vocab();
    if ((st == CBK_STATUS_OK) != valid) fail("decode: wrong outcome", cbk_status_string(st));
    if (st == CBK_STATUS_OK) ++position_;
  }

  void logits() {
    const float* l = nullptr;
    std::size_t n = 0;
    const cbk_status st = checked(cbk_session_logits(s(), &l, &n), "logits", s());
    if ((st == CBK_STATUS_OK) != prompted_) fail("logits: wrong outcome");
    if (st != CBK_STATUS_OK) return;
    if (n != m_.arch.vocab_size) fail("logits: n_vocab");
    for (std::size_t i = 0; i < n; ++i)
      if (!huge_force_ && !std::isfinite(l[i])) fail("non-finite logit");
  }

  void sample_and_decode() {
    cbk_sampling_params p = cbk_sampling_default_params();
    p.temperature = pick({0.0f, -1.0f, 0.7f, 1.0f, 5.0f, 1e-30f, kNan, kInf});
    p.top_k = in_.ConsumeBool() ? 0 : in_.ConsumeIntegralInRange<std::uint32_t>(1, 400);
    p.top_p = pick({1.0f, 0.9f, 0.5f, 1e-6f, 0.0f, 1.5f, -0.1f, kNan});
    std::int32_t id = -7;
    const cbk_status st = checked(cbk_session_sample(s(), &p, &id), "sample", s());
    const bool valid_params = !std::isnan(p.temperature) && p.top_p > 0.0f && p.top_p <= 1.0f;
    if (st == CBK_STATUS_OK && (!valid_params || !prompted_)) fail("sample accepted bad params or state");
    if (st != CBK_STATUS_OK) {
      if (id != -7) fail("sample wrote its output on failure");
      if (valid_params && prompted_ && !huge_force_) fail("sample refused valid params", cbk_status_string(st));
      return;
    }
    if (id < 0 || id >= vocab()) fail("sampled id outside the vocabulary");
    const float* l = nullptr;
    std::size_t n = 0;
    if (cbk_session_logits(s(), &l, &n) != CBK_STATUS_OK) fail("logits after sample");
    if (!huge_force_) {
      std::size_t greater = 0;
      for (std::size_t i = 0; i < n; ++i) greater += l[i] > l[id];
      if (p.temperature <= 0.0f && greater != 0) fail("greedy sample is not an argmax");
      if (p.top_k != 0 && greater >= p.top_k) fail("top-k sample outside the k largest");
    }
    decode(id);
  }

  void force() {
    const cbk_target t = target();
    cbk_positions storage{};
    const cbk_positions* pos = positions(&storage);
    const float strength = pick({1.0f, 0.0f, -1.0f, 0.5f, 2.0f, 10.0f, 1e6f, kNan, kInf});
    const auto mode = static_cast<cbk_force_mode>(in_.ConsumeIntegralInRange(-1, 3));
    const std::int32_t slot = in_.ConsumeIntegralInRange(-5, 4);
    const std::size_t before = cbk_steer_count(s());
    const cbk_status st = checked(cbk_steer_force(s(), &t, code(), pos, mode, slot, strength), "steer_force", s());
    if (st == CBK_STATUS_OK && !std::isfinite(strength)) fail("force accepted a non-finite strength");
    if (st == CBK_STATUS_OK && pos && pos->kind == CBK_POSITIONS_RANGE && pos->first >= pos->end)
      fail("force accepted an empty range");
    check_added(st, before, "steer_force");
    if (st == CBK_STATUS_OK && std::fabs(strength) > 100.0f) huge_force_ = true;
  }

  void disable() {
    const cbk_target t = target();
    std::vector<std::int32_t> codes(in_.ConsumeIntegralInRange(0, 4));
    for (auto& c : codes) c = code();
    const std::uint32_t top_n = in_.ConsumeIntegralInRange<std::uint32_t>(0, 30);
    cbk_positions storage{};
    const cbk_positions* pos = positions(&storage);
    const auto mode = static_cast<cbk_disable_mode>(in_.ConsumeIntegralInRange(-1, 2));
    std::vector<std::int32_t> slots(in_.ConsumeIntegralInRange(0, 2));
    for (auto& sl : slots) sl = in_.ConsumeIntegralInRange(-4, 4);
    const std::size_t before = cbk_steer_count(s());
    const cbk_status st = checked(cbk_steer_disable(s(), &t, codes.empty() ? nullptr : codes.data(), codes.size(), top_n,
                                                    pos, mode, slots.empty() ? nullptr : slots.data(), slots.size()),
                                  "steer_disable", s());
    if (st == CBK_STATUS_OK && mode == CBK_DISABLE_KEEP && !slots.empty()) fail("keep-mode disable accepted slots");
    check_added(st, before, "steer_disable");
  }

  void interchange() {
    const cbk_target t = target();
    std::vector<std::int32_t> ids(in_.ConsumeIntegralInRange(0, 4));
    for (auto& id : ids) id = code();
    const std::uint32_t position = in_.ConsumeIntegralInRange<std::uint32_t>(0, 20);
    const std::size_t before = cbk_steer_count(s());
    const cbk_status st = checked(cbk_steer_interchange(s(), &t, position, ids.empty() ? nullptr : ids.data(), ids.size()),
                                  "steer_interchange", s());
    check_added(st, before, "steer_interchange");
  }

  // A successful steering call adds one intervention per targeted group or one in all (the
  // count is the caller-visible number); a failed one leaves the set unchanged.
  void check_added(cbk_status st, std::size_t before, const char* call) {
    const std::size_t after = cbk_steer_count(s());
    if (st == CBK_STATUS_OK ? after <= before : after != before) fail("steer count after", call);
  }

  const cbk_codebook_info* codebook(std::size_t index) const {
    return index < m_.codebooks.size() ? &m_.codebooks[index] : nullptr;
  }

  void check_slots(const cbk_codebook_info& cb, const std::int32_t* ids, const float* scores, std::size_t n_slots) {
    if (n_slots < cb.k) fail("fewer slots than k");
    for (std::size_t i = 0; i < n_slots; ++i) {
      const std::int32_t id = ids[i];
      if (id < CBK_NO_SLOT || id >= static_cast<std::int32_t>(cb.codes)) fail("code id out of range", std::to_string(id));
      if (scores && id < 0 && !std::isnan(scores[i])) fail("empty slot with a score");
      if (scores && id >= 0 && !huge_force_ && !std::isfinite(scores[i])) fail("non-finite score");
    }
  }

  void codes() {
    const std::size_t index = in_.ConsumeIntegralInRange<std::size_t>(0, m_.codebooks.size());
    const std::uint32_t group = in_.ConsumeIntegralInRange<std::uint32_t>(0, 12);
    const std::size_t position = in_.ConsumeIntegralInRange<std::size_t>(0, 18);
    const std::int32_t* ids = nullptr;
    const float* scores = nullptr;
    std::size_t n = 0;
    const cbk_status st =
        checked(cbk_session_codes(s(), index, group, position, &ids, in_.ConsumeBool() ? &scores : nullptr, &n), "codes", s());
    const cbk_codebook_info* cb = codebook(index);
    const bool valid = trace_ && cb && group < cb->groups && position < position_;
    if (st == CBK_STATUS_OK && !valid) fail("codes accepted a bad request");
    if (st == CBK_STATUS_OK) check_slots(*cb, ids, scores, n);
    else if (valid) fail("codes refused a valid request", cbk_status_string(st));
  }

  void trace() {
    const std::size_t index = in_.ConsumeIntegralInRange<std::size_t>(0, m_.codebooks.size());
    const std::uint32_t group = in_.ConsumeIntegralInRange<std::uint32_t>(0, 12);
    const std::int32_t* ids = nullptr;
    const float* scores = nullptr;
    std::size_t rows = 0, slots = 0;
    const cbk_status st = checked(cbk_session_trace(s(), index, group, &ids, &scores, &rows, &slots), "trace", s());
    const cbk_codebook_info* cb = codebook(index);
    const bool valid = trace_ && cb && group < cb->groups;
    if ((st == CBK_STATUS_OK) != valid) fail("trace: wrong outcome");
    if (st != CBK_STATUS_OK) return;
    if (rows != position_) fail("trace rows != position");
    for (std::size_t r = 0; r < rows; ++r) check_slots(*cb, ids + r * slots, scores + r * slots, slots);
  }

  void capture() {
    const std::uint32_t layer = in_.ConsumeIntegralInRange<std::uint32_t>(0, m_.arch.n_layers);
    const auto site = static_cast<cbk_site>(in_.ConsumeIntegralInRange(-1, 7));
    std::size_t width = 0;
    const cbk_status wst = checked(cbk_model_site_width(m_.model.get(), site, &width), "site_width");
    const std::size_t rows = in_.ConsumeIntegralInRange<std::size_t>(0, 20);
    // Buffers live until the script ends: the session may write to them until then.
    buffers_.emplace_back((wst == CBK_STATUS_OK ? width : 1) * (rows ? rows : 1) + 1, kNan);
    checked(cbk_session_set_capture(s(), layer, site, buffers_.back().data(), rows), "set_capture", s());
  }

  void tokenize() {
    const std::string text = in_.ConsumeRandomLengthString(64);
    const std::uint32_t flags = in_.ConsumeIntegralInRange<std::uint32_t>(0, 4);
    std::size_t n = 0;
    cbk_status st = checked(cbk_tokenize(m_.model.get(), text.data(), text.size(), flags, nullptr, 0, &n), "tokenize");
    if (flags > 3 ? st != CBK_STATUS_INVALID_ARGUMENT : (st != CBK_STATUS_OK && st != CBK_STATUS_BUFFER_TOO_SMALL))
      fail("tokenize (size): wrong outcome", cbk_status_string(st));
    if (flags > 3) return;
    std::vector<std::int32_t> ids(n + 1, -7);
    std::size_t n2 = 0;
    st = checked(cbk_tokenize(m_.model.get(), text.data(), text.size(), flags, ids.data(), n, &n2), "tokenize");
    if (st != CBK_STATUS_OK || n2 != n || ids[n] != -7) fail("tokenize: second call");
    ids.pop_back();
    if (!all_known(ids)) fail("tokenize produced an id outside the vocabulary");
    if (flags == 0) {
      std::string back(text.size() + 1, '\0');
      std::size_t len = 0;
      st = checked(cbk_detokenize(m_.model.get(), ids.data(), ids.size(), &back[0], back.size(), &len), "detokenize");
      if (st != CBK_STATUS_OK || back.compare(0, len, text) != 0 || len != text.size()) fail("tokenize round trip");
    }
  }

  void detokenize() {
    std::vector<std::int32_t> ids = tokens(8);
    std::size_t len = 0;
    const cbk_status st = checked(cbk_detokenize(m_.model.get(), ids.data(), ids.size(), nullptr, 0, &len), "detokenize");
    if (st != CBK_STATUS_OK && st != CBK_STATUS_BUFFER_TOO_SMALL && st != CBK_STATUS_OUT_OF_RANGE)
      fail("detokenize: wrong status", cbk_status_string(st));
    if (st == CBK_STATUS_OUT_OF_RANGE) return;
    std::vector<char> text(len + 2, 'x');
    std::size_t len2 = 0;
    if (checked(cbk_detokenize(m_.model.get(), ids.data(), ids.size(), text.data(), len + 1, &len2), "detokenize") !=
            CBK_STATUS_OK ||
        len2 != len || text[len] != '\0' || text[len + 1] != 'x')
      fail("detokenize: second call");
  }

  FuzzedDataProvider in_;
  const FuzzModel& m_;
  std::list<std::vector<float>> buffers_;  // declared before session_: destroyed after it
  cbk::session_ptr session_;
  bool trace_ = false, prompted_ = false, huge_force_ = false;
  std::size_t position_ = 0, context_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Script(data, size).run();
  return 0;
}
