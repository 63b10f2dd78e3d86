// Which model family a file holds (schema 1.3 `Model.kind`), and whether its header has exactly
// that family's parts: a transformer file has an architecture and no family table; a file of
// another kind has its own table (Model.dkvb, Model.protonet) and none of the transformer's parts.
#include <string>

#include "runtime/loader/loader_internal.hpp"
#include "schema/cbk_generated.h"

namespace cbk::loader {
namespace {

template <class V>
bool non_empty(const V* v) {
  return v != nullptr && v->size() > 0;
}

Error kind_error(ModelKind kind, const std::string& why) {
  return Error(Status::bad_architecture, std::string("a ") + to_string(kind) + " model " + why);
}

}  // namespace

Error read_model_kind(const std::uint8_t* bytes, ModelKind* kind_out) {
  const fb::Model* model = fb::GetSizePrefixedModel(bytes);
  const auto raw = static_cast<std::uint8_t>(model->kind());
  if (raw > kLastModelKind)
    return Error(Status::unsupported_model_kind,
                 "model kind " + std::to_string(raw) +
                     " is unknown to this runtime (it knows transformer, dkvb and protonet); a newer "
                     "codebook.cpp may read the file");
  const auto kind = static_cast<ModelKind>(raw);
  const bool has_dkvb = model->dkvb() != nullptr, has_protonet = model->protonet() != nullptr;
  if (kind == ModelKind::transformer) {
    if (has_dkvb || has_protonet)
      return kind_error(kind, std::string("must not carry a ") + (has_dkvb ? "dkvb" : "protonet") +
                                  " table (Model.kind is transformer)");
  } else {
    const bool own = kind == ModelKind::dkvb ? has_dkvb : has_protonet;
    if (!own) return kind_error(kind, std::string("needs its table Model.") + to_string(kind) + ", which is absent");
    if (kind == ModelKind::dkvb ? has_protonet : has_dkvb)
      return kind_error(kind, std::string("must not carry a ") + (has_dkvb ? "dkvb" : "protonet") + " table");
    const char* part = model->architecture() ? "an architecture"
                       : non_empty(model->tensors()) ? "transformer tensors (Model.tensors)"
                       : non_empty(model->codebooks()) ? "codebooks"
                       : non_empty(model->annotations()) ? "code annotations"
                       : model->tokenizer() ? "a tokenizer"
                       : model->generation() ? "generation defaults"
                                             : nullptr;
    if (part) return kind_error(kind, std::string("must not have ") + part + " (transformer parts)");
  }
  // The families this runtime implements.
  if (kind != ModelKind::transformer && kind != ModelKind::dkvb && kind != ModelKind::protonet)
    return Error(Status::unsupported_model_kind,
                 std::string("this runtime does not implement ") + to_string(kind) + " models (Model.kind = " +
                     std::to_string(raw) + "); it runs transformer, dkvb and protonet models");
  *kind_out = kind;
  return Error();
}

}  // namespace cbk::loader
