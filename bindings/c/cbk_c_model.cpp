// C API: loading models and reading what they contain (architecture, codebooks, annotations,
// tokenizer facts, metadata).
#include <cstdint>

#include "bindings/c/cbk_c_internal.hpp"
#include "runtime/engine/steering.hpp"
#include "runtime/loader/load_model.hpp"

using cbk::Status;
using cbk::capi::fail;
using cbk::capi::guarded;
using cbk::capi::null_argument;

namespace {

std::vector<std::pair<std::string, std::string>> flatten_metadata(const cbk::Metadata& m) {
  std::vector<std::pair<std::string, std::string>> out = {
      {"name", m.name},           {"description", m.description}, {"license", m.license},
      {"source_checkpoint", m.source_checkpoint}, {"converter", m.converter},
      {"converter_version", m.converter_version}};
  out.insert(out.end(), m.extra.begin(), m.extra.end());
  return out;
}

cbk::LoadOptions load_options(const cbk_model_params& p) {
  cbk::LoadOptions o;
  o.allow_mmap = p.use_mmap != 0;
  o.verify_data_checksum = p.verify_checksum != 0;
  return o;
}

// Prepares a loaded model and wraps it in a new handle.
cbk_status finish_load(const char* function, const cbk::Error& load_error, std::shared_ptr<const cbk::Model> model,
                       cbk_model** model_out) {
  if (!load_error.ok()) return fail(load_error.status, function, load_error.message);
  auto handle = std::make_unique<cbk_model>();
  handle->metadata = flatten_metadata(model->metadata());
  std::string summary;
  switch (model->kind()) {
    case cbk::ModelKind::transformer: {
      if (cbk::Error e = cbk::PreparedModel::prepare(model, &handle->prepared); !e.ok())
        return fail(e.status, function, e.message);
      const cbk::Architecture& a = model->architecture();
      summary = std::string(cbk::to_string(a.family)) + ", " + std::to_string(a.n_layers) + " layers, " +
                std::to_string(model->codebooks().size()) + " codebooks";
      break;
    }
    case cbk::ModelKind::dkvb: {
      if (cbk::Error e = cbk::dkvb::PreparedDkvb::prepare(model, &handle->dkvb); !e.ok())
        return fail(e.status, function, e.message);
      const cbk::DkvbContents& d = model->dkvb();
      summary = "dkvb, " + std::to_string(d.heads) + " heads x " + std::to_string(d.pairs) + " pairs, " +
                std::to_string(d.classes) + " classes";
      break;
    }
    case cbk::ModelKind::protonet: {
      if (cbk::Error e = cbk::protonet::PreparedProtoNet::prepare(model, &handle->protonet); !e.ok())
        return fail(e.status, function, e.message);
      summary = "protonet, " + std::to_string(handle->protonet->prototypes()) + " prototypes, " +
                std::to_string(handle->protonet->classes()) + " classes";
      break;
    }
    default:  // the loader refuses the kinds this runtime does not implement
      return fail(Status::unsupported_model_kind, function, std::string("no engine for ") + cbk::to_string(model->kind()));
  }
  handle->loaded = std::move(model);
  cbk::capi::log_message(CBK_LOG_INFO, std::string(function) + ": loaded '" + handle->model().metadata().name +
                                           "' (" + summary + ")");
  *model_out = handle.release();
  return CBK_STATUS_OK;
}

cbk_status check_model(const cbk_model* model, const char* function) {
  return model == nullptr ? null_argument(function, "model") : CBK_STATUS_OK;
}

}  // namespace

namespace cbk::capi {

cbk_status require_kind(const cbk_model* model, cbk::ModelKind kind, const char* function) noexcept {
  if (model == nullptr) return null_argument(function, "model");
  if (model->kind() == kind) return CBK_STATUS_OK;
  return fail(Status::wrong_model_kind, function,
              std::string("the model is a ") + cbk::to_string(model->kind()) + " model; this function needs a " +
                  cbk::to_string(kind) + " model (see cbk_model_kind)");
}

}  // namespace cbk::capi

extern "C" {

const char* cbk_kind_name(cbk_kind kind) {
  if (static_cast<int>(kind) < 0 || static_cast<int>(kind) > cbk::kLastModelKind) return "unknown";
  return cbk::to_string(static_cast<cbk::ModelKind>(kind));
}

cbk_status cbk_model_kind(const cbk_model* model, cbk_kind* kind_out) {
  static const char* fn = "cbk_model_kind";
  if (cbk_status st = check_model(model, fn)) return st;
  if (kind_out == nullptr) return null_argument(fn, "kind_out");
  *kind_out = static_cast<cbk_kind>(model->kind());
  return CBK_STATUS_OK;
}

cbk_model_params cbk_model_default_params(void) {
  cbk_model_params p;
  p.struct_size = sizeof(p);
  p.use_mmap = 1;
  p.verify_checksum = 1;
  return p;
}

cbk_status cbk_model_load_file(const char* path, const cbk_model_params* params, cbk_model** model_out) {
  static const char* fn = "cbk_model_load_file";
  return guarded(fn, [&] {
    if (model_out == nullptr) return null_argument(fn, "model_out");
    if (path == nullptr) return null_argument(fn, "path");
    cbk_model_params p;
    if (cbk_status st = cbk::capi::read_params(params, cbk_model_default_params(), fn, &p)) return st;
    std::shared_ptr<const cbk::Model> model;
    cbk::Error e = cbk::load_model_file(path, load_options(p), &model);
    return finish_load(fn, e, std::move(model), model_out);
  });
}

cbk_status cbk_model_load_memory(const void* data, size_t size, cbk_memory_mode mode, const cbk_model_params* params,
                                 cbk_model** model_out) {
  static const char* fn = "cbk_model_load_memory";
  return guarded(fn, [&] {
    if (model_out == nullptr) return null_argument(fn, "model_out");
    if (data == nullptr) return null_argument(fn, "data");
    if (size == 0) return fail(Status::invalid_argument, fn, "size is 0");
    if (mode != CBK_MEMORY_BORROW && mode != CBK_MEMORY_COPY)
      return fail(Status::invalid_argument, fn, "unknown memory mode " + std::to_string(static_cast<int>(mode)));
    cbk_model_params p;
    if (cbk_status st = cbk::capi::read_params(params, cbk_model_default_params(), fn, &p)) return st;
    std::shared_ptr<const cbk::Model> model;
    cbk::Error e = cbk::load_model_memory(data, size, mode == CBK_MEMORY_BORROW ? cbk::BufferMode::borrow
                                                                                : cbk::BufferMode::copy,
                                          load_options(p), &model);
    return finish_load(fn, e, std::move(model), model_out);
  });
}

void cbk_model_free(cbk_model* model) { delete model; }

cbk_status cbk_model_schema_version(const cbk_model* model, uint32_t* major, uint32_t* minor) {
  static const char* fn = "cbk_model_schema_version";
  if (cbk_status st = check_model(model, fn)) return st;
  if (major == nullptr || minor == nullptr) return null_argument(fn, "major/minor");
  *major = model->model().file().schema_major;
  *minor = model->model().file().schema_minor;
  return CBK_STATUS_OK;
}

cbk_status cbk_model_architecture(const cbk_model* model, cbk_architecture* out) {
  static const char* fn = "cbk_model_architecture";
  if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
  const cbk::Architecture& a = model->model().architecture();
  cbk_architecture v{};
  v.struct_size = sizeof(v);
  v.family = cbk::to_string(a.family);
  v.vocab_size = a.vocab_size;
  v.d_model = a.d_model;
  v.n_layers = a.n_layers;
  v.n_heads = a.n_heads;
  v.head_dim = a.head_dim;
  v.d_mlp = a.d_mlp;
  v.max_positions = a.max_positions;
  v.rotary_dims = a.positions == cbk::PositionKind::rotary ? a.rotary_dims : 0;
  v.local_window = a.local_window;
  v.norm_eps = a.norm_eps;
  v.rotary_base = a.rotary_base;
  v.activation = cbk::to_string(a.activation);
  v.positions = cbk::to_string(a.positions);
  v.parallel_residual = a.parallel_residual ? 1 : 0;
  v.tied_embeddings = a.tied_embeddings ? 1 : 0;
  return cbk::capi::write_out(out, v, fn);
}

const char* cbk_site_name(cbk_site site) {
  if (static_cast<int>(site) < 0 || static_cast<std::size_t>(site) >= cbk::kSiteCount) return "unknown";
  return cbk::to_string(static_cast<cbk::CodebookSite>(site));
}

cbk_status cbk_site_from_name(const char* name, cbk_site* site_out) {
  static const char* fn = "cbk_site_from_name";
  return guarded(fn, [&] {
    if (name == nullptr || site_out == nullptr) return null_argument(fn, "name/site_out");
    cbk::CodebookSite site;
    if (!cbk::site_from_name(name, &site))
      return fail(Status::invalid_argument, fn, std::string("unknown site name '") + name + "'");
    *site_out = static_cast<cbk_site>(site);
    return CBK_STATUS_OK;
  });
}

size_t cbk_model_codebook_count(const cbk_model* model) {
  return model == nullptr ? 0 : model->model().codebooks().size();
}

cbk_status cbk_model_codebook_info(const cbk_model* model, size_t index, cbk_codebook_info* out) {
  static const char* fn = "cbk_model_codebook_info";
  return guarded(fn, [&] {
    if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
    const auto& books = model->model().codebooks();
    if (index >= books.size())
      return fail(Status::out_of_range, fn, "codebook " + std::to_string(index) + " is out of range (the model has " +
                                                std::to_string(books.size()) + ")");
    const cbk::Codebook& c = books[index];
    cbk_codebook_info v{};
    v.struct_size = sizeof(v);
    v.layer = c.layer;
    v.site = static_cast<cbk_site>(c.site);
    v.groups = c.groups;
    v.codes = c.codes;
    v.dim = c.dim;
    v.k = c.k;
    v.metric = c.similarity == cbk::Similarity::euclidean ? CBK_METRIC_EUCLIDEAN : CBK_METRIC_INNER_PRODUCT;
    return cbk::capi::write_out(out, v, fn);
  });
}

cbk_status cbk_model_find_codebook(const cbk_model* model, uint32_t layer, cbk_site site, size_t* index_out) {
  static const char* fn = "cbk_model_find_codebook";
  return guarded(fn, [&] {
    if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
    if (index_out == nullptr) return null_argument(fn, "index_out");
    if (static_cast<int>(site) < 0 || static_cast<std::size_t>(site) >= cbk::kSiteCount)
      return fail(Status::invalid_argument, fn, "unknown site value " + std::to_string(static_cast<int>(site)));
    const int index = model->prepared->find_codebook(layer, static_cast<cbk::CodebookSite>(site));
    if (index < 0)
      return fail(Status::out_of_range, fn, "the model has no codebook at layer " + std::to_string(layer) +
                                                " site " + cbk_site_name(site));
    *index_out = static_cast<size_t>(index);
    return CBK_STATUS_OK;
  });
}

size_t cbk_model_metadata_count(const cbk_model* model) { return model == nullptr ? 0 : model->metadata.size(); }

cbk_status cbk_model_metadata_at(const cbk_model* model, size_t index, const char** key_out, const char** value_out) {
  static const char* fn = "cbk_model_metadata_at";
  return guarded(fn, [&] {
    if (cbk_status st = check_model(model, fn)) return st;
    if (key_out == nullptr || value_out == nullptr) return null_argument(fn, "key_out/value_out");
    if (index >= model->metadata.size())
      return fail(Status::out_of_range, fn, "metadata entry " + std::to_string(index) + " is out of range (" +
                                                std::to_string(model->metadata.size()) + " entries)");
    *key_out = model->metadata[index].first.c_str();
    *value_out = model->metadata[index].second.c_str();
    return CBK_STATUS_OK;
  });
}

cbk_status cbk_model_metadata(const cbk_model* model, const char* key, const char** value_out) {
  static const char* fn = "cbk_model_metadata";
  return guarded(fn, [&] {
    if (cbk_status st = check_model(model, fn)) return st;
    if (key == nullptr || value_out == nullptr) return null_argument(fn, "key/value_out");
    for (const auto& kv : model->metadata)
      if (kv.first == key) {
        *value_out = kv.second.c_str();
        return CBK_STATUS_OK;
      }
    return fail(Status::invalid_argument, fn, std::string("no metadata key '") + key + "'");
  });
}

}  // extern "C"
