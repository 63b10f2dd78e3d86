// libFuzzer target for the model loader: arbitrary bytes must never crash, hang or leak, and a
// successful load must describe a self-consistent model.
//
// Random bytes almost never get past the CRC checks, which would leave the semantic validation
// unexplored. So when the input parses as a FlatBuffer, the harness recomputes both checksums
// before loading ("reseals" it): mutations then reach every later rule.
#include <cstring>
#include <vector>

#include "runtime/loader/load_model.hpp"
#include "runtime/protonet/protonet_session.hpp"
#include "tests/loader/reseal.hpp"

namespace {

// A loaded prototype network must run: the engine trusts the loader's geometry checks, so one
// classification of a blank image and one render per prototype (ASan watches every buffer).
void run_protonet(const std::shared_ptr<const cbk::Model>& model) {
  std::shared_ptr<const cbk::protonet::PreparedProtoNet> net;
  std::unique_ptr<cbk::protonet::Session> session;
  if (!cbk::protonet::PreparedProtoNet::prepare(model, &net).ok() || !cbk::protonet::Session::create(net, &session).ok())
    __builtin_trap();
  std::vector<float> image(net->image_floats(), 0.5f);
  cbk::protonet::Classification result;
  if (!session->classify(image.data(), &result).ok() || result.logits.size() != net->classes()) __builtin_trap();
  for (std::size_t j = 0; j < net->prototypes(); ++j)
    if (!session->decode(session->prototype(j), image.data()).ok()) __builtin_trap();
}

// Touches every byte range a successful load hands out, so ASan flags any that escapes the file.
void check_consistent(const std::shared_ptr<const cbk::Model>& model, const std::uint8_t* base, std::size_t size) {
  const cbk::Model& m = *model;
  auto touch = [&](const cbk::TensorView& t) {
    if (t.data < base || t.data + t.bytes > base + size || t.file_offset % 64 != 0) __builtin_trap();
    volatile std::uint8_t sink = t.data[0];
    sink = t.data[t.bytes - 1];
    if (t.scales) {
      volatile float s = t.scales[0];
      s = t.scales[t.rows() - 1];
      (void)s;
    }
    (void)sink;
  };
  for (const cbk::TensorView& t : m.tensors()) touch(t);
  for (const cbk::TensorView& t : m.extras()) touch(t);
  if (m.kind() == cbk::ModelKind::dkvb) {  // the sizes the DKVB engine indexes with
    const cbk::DkvbContents& d = m.dkvb();
    const std::uint64_t rows = static_cast<std::uint64_t>(d.heads) * d.pairs;
    if (d.keys.elements() != rows * d.key_dim || d.values.elements() != rows * d.value_dim ||
        (d.has_used_pairs() && d.used_pairs.elements() != rows))
      __builtin_trap();
  }
  if (m.kind() == cbk::ModelKind::protonet) run_protonet(model);
  for (const cbk::Codebook& cb : m.codebooks()) {
    if (cb.group_data.size() != cb.groups || cb.k == 0 || cb.k > cb.codes) __builtin_trap();
    for (const cbk::CodebookGroup& g : cb.group_data) {
      touch(g.ln_weight);
      touch(g.ln_bias);
      touch(g.codes);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A 64-byte aligned copy, so the borrow path (zero-copy) is what gets fuzzed.
  std::vector<std::uint8_t> buf(data, data + size);
  cbk::test::reseal(buf);
  std::vector<std::uint8_t> storage(buf.size() + 64);
  auto* aligned = reinterpret_cast<std::uint8_t*>((reinterpret_cast<std::uintptr_t>(storage.data()) + 63) / 64 * 64);
  if (!buf.empty()) std::memcpy(aligned, buf.data(), buf.size());
  std::shared_ptr<const cbk::Model> model;
  cbk::Error e = cbk::load_model_memory(aligned, buf.size(), cbk::BufferMode::borrow, {}, &model);
  if (e.ok() != static_cast<bool>(model) || (!e.ok() && e.message.empty())) __builtin_trap();
  if (model) check_consistent(model, aligned, buf.size());
  return 0;
}
