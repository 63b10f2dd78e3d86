// C API (versions 2-3): facts about the loaded file for tools such as `cbk info` — file layout and
// checksums, parameter counts, tensor tables and data, storage of codebooks, generation defaults.
#include <cstdint>
#include <string>

#include "bindings/c/cbk_c_internal.hpp"

using cbk::Status;
using cbk::capi::fail;
using cbk::capi::guarded;
using cbk::capi::null_argument;

namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

cbk_status check_model(const cbk_model* model, const char* fn) {
  return model == nullptr ? null_argument(fn, "model") : CBK_STATUS_OK;
}

const std::vector<cbk::TensorView>* tensor_list(const cbk_model* model, cbk_tensor_list list) {
  if (list == CBK_TENSORS_MODEL) return &model->model().tensors();
  if (list == CBK_TENSORS_EXTRA) return &model->model().extras();
  return nullptr;
}

}  // namespace

extern "C" {

cbk_status cbk_model_file_info(const cbk_model* model, cbk_file_info* out) {
  static const char* fn = "cbk_model_file_info";
  if (cbk_status st = check_model(model, fn)) return st;
  const cbk::FileFacts& f = model->model().file();
  cbk_file_info v{};
  v.struct_size = sizeof(v);
  v.file_size = f.file_size;
  v.schema_major = f.schema_major;
  v.schema_minor = f.schema_minor;
  v.header_size = f.header_size;
  v.data_offset = f.data_offset;
  v.data_size = f.data_size;
  v.header_crc32 = f.header_crc32;
  v.data_crc32 = f.data_crc32;
  v.data_crc_verified = f.data_crc_verified ? 1 : 0;
  v.memory_mapped = f.memory_mapped ? 1 : 0;
  return cbk::capi::write_out(out, v, fn);
}

cbk_status cbk_model_parameter_counts(const cbk_model* model, cbk_parameter_counts* out) {
  static const char* fn = "cbk_model_parameter_counts";
  if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
  cbk_parameter_counts p{};
  p.struct_size = sizeof(p);
  // Tensor names follow the converter's scheme (docs/format): classify by name.
  for (const cbk::TensorView& t : model->model().tensors()) {
    const std::uint64_t n = t.elements();
    if (t.name == "tok_embed" || t.name == "pos_embed") p.embeddings += n;
    else if (t.name == "lm_head.weight") p.lm_head += n;
    else if (starts_with(t.name, "final_norm") || contains(t.name, ".ln1.") || contains(t.name, ".ln2.")) p.norms += n;
    else if (contains(t.name, ".attn.")) p.attention += n;
    else if (contains(t.name, ".mlp.")) p.mlp += n;
  }
  for (const cbk::Codebook& cb : model->model().codebooks())
    for (const cbk::CodebookGroup& g : cb.group_data)
      p.codebooks += g.codes.elements() + g.ln_weight.elements() + g.ln_bias.elements();
  p.total = p.embeddings + p.attention + p.mlp + p.norms + p.lm_head + p.codebooks;
  return cbk::capi::write_out(out, p, fn);
}

cbk_status cbk_model_layer_attention(const cbk_model* model, uint32_t layer, int* local_out, int* scaled_out) {
  static const char* fn = "cbk_model_layer_attention";
  if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
  const cbk::Architecture& a = model->model().architecture();
  if (layer >= a.layer_attention.size())
    return fail(Status::out_of_range, fn, "layer " + std::to_string(layer) + " is out of range (the model has " +
                                              std::to_string(a.layer_attention.size()) + ")");
  if (local_out != nullptr) *local_out = a.layer_attention[layer] == cbk::AttentionKind::local ? 1 : 0;
  if (scaled_out != nullptr) *scaled_out = a.scale_attention ? 1 : 0;
  return CBK_STATUS_OK;
}

cbk_status cbk_model_layer_attention_scale(const cbk_model* model, uint32_t layer, float* scale_out,
                                           int* inverse_layer_out) {
  static const char* fn = "cbk_model_layer_attention_scale";
  if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
  const auto& layers = model->prepared->layers();
  if (layer >= layers.size())
    return fail(Status::out_of_range, fn, "layer " + std::to_string(layer) + " is out of range (the model has " +
                                              std::to_string(layers.size()) + ")");
  if (scale_out != nullptr) *scale_out = layers[layer].attention_scale;
  if (inverse_layer_out != nullptr)
    *inverse_layer_out = model->model().architecture().scale_attention_by_inverse_layer ? 1 : 0;
  return CBK_STATUS_OK;
}

cbk_status cbk_model_codebook_storage(const cbk_model* model, size_t index, const char** dtype_out,
                                      uint64_t* bytes_out) {
  static const char* fn = "cbk_model_codebook_storage";
  if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
  const auto& books = model->model().codebooks();
  if (index >= books.size())
    return fail(Status::out_of_range, fn, "codebook " + std::to_string(index) + " is out of range (the model has " +
                                              std::to_string(books.size()) + ")");
  const cbk::Codebook& cb = books[index];
  std::uint64_t bytes = 0;
  for (const cbk::CodebookGroup& g : cb.group_data) {
    bytes += g.codes.bytes + g.ln_weight.bytes + g.ln_bias.bytes + g.exact_codes.bytes;
    if (g.codes.dtype == cbk::DType::int8) bytes += g.codes.rows() * 4;  // one f32 scale per row
  }
  if (dtype_out != nullptr) *dtype_out = cbk::to_string(cb.group_data[0].codes.dtype);
  if (bytes_out != nullptr) *bytes_out = bytes;
  return CBK_STATUS_OK;
}

cbk_status cbk_model_codebook_exact(const cbk_model* model, size_t index, int* exact_out) {
  static const char* fn = "cbk_model_codebook_exact";
  if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
  if (exact_out == nullptr) return fail(Status::invalid_argument, fn, "exact_out is NULL");
  const auto& books = model->model().codebooks();
  if (index >= books.size())
    return fail(Status::out_of_range, fn, "codebook " + std::to_string(index) + " is out of range (the model has " +
                                              std::to_string(books.size()) + ")");
  *exact_out = books[index].group_data[0].has_exact_codes() ? 1 : 0;
  return CBK_STATUS_OK;
}

size_t cbk_model_tensor_count(const cbk_model* model, cbk_tensor_list list) {
  if (model == nullptr) return 0;
  const auto* tensors = tensor_list(model, list);
  return tensors == nullptr ? 0 : tensors->size();
}

cbk_status cbk_model_tensor_info(const cbk_model* model, cbk_tensor_list list, size_t index, cbk_tensor_info* out) {
  static const char* fn = "cbk_model_tensor_info";
  return guarded(fn, [&] {
    if (cbk_status st = check_model(model, fn)) return st;
    const auto* tensors = tensor_list(model, list);
    if (tensors == nullptr)
      return fail(Status::invalid_argument, fn, "unknown tensor list " + std::to_string(static_cast<int>(list)));
    if (index >= tensors->size())
      return fail(Status::out_of_range, fn, "tensor " + std::to_string(index) + " is out of range (the list has " +
                                                std::to_string(tensors->size()) + ")");
    const cbk::TensorView& t = (*tensors)[index];
    cbk_tensor_info v{};
    v.struct_size = sizeof(v);
    v.name = t.name.c_str();
    v.dtype = cbk::to_string(t.dtype);
    v.shape = t.shape.data();
    v.n_dims = t.shape.size();
    v.file_offset = t.file_offset;
    v.bytes = t.bytes;
    v.elements = t.elements();
    return cbk::capi::write_out(out, v, fn);
  });
}

cbk_status cbk_model_find_tensor(const cbk_model* model, cbk_tensor_list list, const char* name, size_t* index_out) {
  static const char* fn = "cbk_model_find_tensor";
  return guarded(fn, [&] {
    if (cbk_status st = check_model(model, fn)) return st;
    if (name == nullptr) return null_argument(fn, "name");
    if (index_out == nullptr) return null_argument(fn, "index_out");
    const auto* tensors = tensor_list(model, list);
    if (tensors == nullptr)
      return fail(Status::invalid_argument, fn, "unknown tensor list " + std::to_string(static_cast<int>(list)));
    for (std::size_t i = 0; i < tensors->size(); ++i)
      if ((*tensors)[i].name == name) {
        *index_out = i;
        return CBK_STATUS_OK;
      }
    return fail(Status::out_of_range, fn, std::string("no tensor named \"") + name + "\" in the list");
  });
}

cbk_status cbk_model_tensor_data(const cbk_model* model, cbk_tensor_list list, size_t index, const void** data_out,
                                 const float** scales_out) {
  static const char* fn = "cbk_model_tensor_data";
  return guarded(fn, [&] {
    if (cbk_status st = check_model(model, fn)) return st;
    if (data_out == nullptr) return null_argument(fn, "data_out");
    const auto* tensors = tensor_list(model, list);
    if (tensors == nullptr)
      return fail(Status::invalid_argument, fn, "unknown tensor list " + std::to_string(static_cast<int>(list)));
    if (index >= tensors->size())
      return fail(Status::out_of_range, fn, "tensor " + std::to_string(index) + " is out of range (the list has " +
                                                std::to_string(tensors->size()) + ")");
    const cbk::TensorView& t = (*tensors)[index];
    *data_out = t.data;
    if (scales_out != nullptr) *scales_out = t.dtype == cbk::DType::int8 ? t.scales : nullptr;
    return CBK_STATUS_OK;
  });
}

cbk_status cbk_model_generation_defaults(const cbk_model* model, cbk_generation_defaults* out) {
  static const char* fn = "cbk_model_generation_defaults";
  if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
  const cbk::GenerationDefaults& g = model->model().generation();
  cbk_generation_defaults v{};
  v.struct_size = sizeof(v);
  v.max_new_tokens = g.max_new_tokens;
  v.temperature = g.temperature;
  v.top_k = g.top_k;
  v.top_p = g.top_p;
  v.seed = g.seed;
  return cbk::capi::write_out(out, v, fn);
}

cbk_status cbk_model_tokenizer_sizes(const cbk_model* model, size_t* n_tokens_out, size_t* n_merges_out) {
  static const char* fn = "cbk_model_tokenizer_sizes";
  if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
  if (!model->model().has_tokenizer()) return fail(Status::unsupported, fn, "the model has no tokenizer");
  const cbk::TokenizerData& t = model->model().tokenizer();
  if (n_tokens_out != nullptr) *n_tokens_out = t.tokens.size();
  if (n_merges_out != nullptr) *n_merges_out = t.merges.size();
  return CBK_STATUS_OK;
}

}  // extern "C"
