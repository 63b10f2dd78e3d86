// C API: the human annotations of codes stored in a model file, and their top contexts.
#include <cstdint>

#include "bindings/c/cbk_c_internal.hpp"

using cbk::Status;
using cbk::capi::fail;
using cbk::capi::guarded;
using cbk::capi::null_argument;

namespace {

cbk_status check_annotation(const cbk_model* model, size_t index, const char* fn) {
  if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
  const std::size_t count = model->model().annotations().size();
  if (index >= count)
    return fail(Status::out_of_range, fn,
                "annotation " + std::to_string(index) + " is out of range (the model has " + std::to_string(count) + ")");
  return CBK_STATUS_OK;
}

}  // namespace

namespace cbk::capi {

cbk_status check_code_index(const cbk_model* model, size_t codebook, uint32_t group, uint32_t code, const char* fn) {
  const auto& books = model->model().codebooks();
  if (codebook >= books.size())
    return fail(Status::out_of_range, fn, "codebook " + std::to_string(codebook) + " is out of range (the model has " +
                                              std::to_string(books.size()) + ")");
  const cbk::Codebook& c = books[codebook];
  if (group >= c.groups)
    return fail(Status::out_of_range, fn, "group " + std::to_string(group) + " is out of range (codebook " +
                                              std::to_string(codebook) + " has " + std::to_string(c.groups) + ")");
  if (code >= c.codes)
    return fail(Status::out_of_range, fn, "code " + std::to_string(code) + " is out of range (codebook " +
                                              std::to_string(codebook) + " has " + std::to_string(c.codes) + ")");
  return CBK_STATUS_OK;
}

}  // namespace cbk::capi

extern "C" {

size_t cbk_model_annotation_count(const cbk_model* model) {
  return model == nullptr ? 0 : model->model().annotations().size();
}

cbk_status cbk_model_annotation(const cbk_model* model, size_t index, cbk_code_annotation* out) {
  static const char* fn = "cbk_model_annotation";
  return guarded(fn, [&] {
    if (cbk_status st = check_annotation(model, index, fn)) return st;
    const cbk::CodeAnnotation& a = model->model().annotations()[index];
    cbk_code_annotation v{};
    v.struct_size = sizeof(v);
    v.codebook = a.codebook;
    v.group = a.group;
    v.code = a.code;
    v.label = a.label.c_str();
    v.description = a.description.c_str();
    v.frequency = a.frequency;
    v.n_contexts = a.top_contexts.size();
    return cbk::capi::write_out(out, v, fn);
  });
}

cbk_status cbk_model_find_annotation(const cbk_model* model, size_t codebook, uint32_t group, uint32_t code,
                                     size_t* index_out) {
  static const char* fn = "cbk_model_find_annotation";
  return guarded(fn, [&] {
    if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
    if (index_out == nullptr) return null_argument(fn, "index_out");
    if (cbk_status st = cbk::capi::check_code_index(model, codebook, group, code, fn)) return st;
    const auto& notes = model->model().annotations();
    for (std::size_t i = 0; i < notes.size(); ++i)
      if (notes[i].codebook == codebook && notes[i].group == group && notes[i].code == code) {
        *index_out = i;
        return CBK_STATUS_OK;
      }
    *index_out = SIZE_MAX;
    return fail(Status::out_of_range, fn, "code " + std::to_string(code) + " of codebook " + std::to_string(codebook) +
                                              " group " + std::to_string(group) + " has no annotation");
  });
}

cbk_status cbk_model_annotation_context(const cbk_model* model, size_t annotation, size_t context,
                                        cbk_code_context* out) {
  static const char* fn = "cbk_model_annotation_context";
  return guarded(fn, [&] {
    if (cbk_status st = check_annotation(model, annotation, fn)) return st;
    const auto& contexts = model->model().annotations()[annotation].top_contexts;
    if (context >= contexts.size())
      return fail(Status::out_of_range, fn, "context " + std::to_string(context) + " is out of range (annotation " +
                                                std::to_string(annotation) + " has " + std::to_string(contexts.size()) +
                                                ")");
    const cbk::CodeContext& c = contexts[context];
    cbk_code_context v{};
    v.struct_size = sizeof(v);
    v.tokens = c.tokens.data();
    v.n_tokens = c.tokens.size();
    v.highlight_start = c.highlight_start;
    v.highlight_end = c.highlight_end;
    v.score = c.score;
    return cbk::capi::write_out(out, v, fn);
  });
}

}  // extern "C"
