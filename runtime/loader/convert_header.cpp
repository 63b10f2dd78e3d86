// Copies the verified FlatBuffer header into plain structs. Tensor locations are recorded, not
// trusted: validate_tensor_locations() checks them before any view is bound to data.
#include <string>

#include "runtime/loader/loader_internal.hpp"
#include "schema/cbk_generated.h"

namespace cbk::loader {
namespace {

std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

// Enum bytes are copied as they are (FlatBuffers does not range-check enums); validation rejects
// values outside the known range.
template <class E, class F>
E as_enum(F v) {
  return static_cast<E>(static_cast<std::uint8_t>(v));
}

void convert_tensor(const fb::Tensor* t, TensorView* view, std::string role,
                    std::vector<TensorLocation>* locations) {
  TensorLocation loc;
  loc.view = view;
  loc.role = std::move(role);
  loc.present = t != nullptr;
  if (t) {
    view->name = str(t->name());
    view->dtype = as_enum<DType>(t->dtype());
    if (t->shape()) view->shape.assign(t->shape()->begin(), t->shape()->end());
    loc.raw_dtype = static_cast<std::uint8_t>(t->dtype());
    loc.data_offset = t->data_offset();
    loc.data_length = t->data_length();
    loc.scales_offset = t->scales_offset();
    loc.scales_length = t->scales_length();
  }
  locations->push_back(loc);
}

void convert_architecture(const fb::Architecture* a, Architecture* arch) {
  arch->family = as_enum<Family>(a->family());
  arch->vocab_size = a->vocab_size();
  arch->d_model = a->d_model();
  arch->n_layers = a->n_layers();
  arch->n_heads = a->n_heads();
  arch->head_dim = a->head_dim();
  arch->d_mlp = a->d_mlp();
  arch->max_positions = a->max_positions();
  arch->norm_eps = a->norm_eps();
  arch->activation = as_enum<Activation>(a->activation());
  arch->positions = as_enum<PositionKind>(a->positions());
  arch->rotary_dims = a->rotary_dims();
  arch->rotary_base = a->rotary_base();
  arch->parallel_residual = a->parallel_residual();
  arch->scale_attention = a->scale_attention();
  arch->scale_attention_by_inverse_layer = a->scale_attention_by_inverse_layer();
  if (a->layer_attention())
    for (auto kind : *a->layer_attention()) arch->layer_attention.push_back(as_enum<AttentionKind>(kind));
  arch->local_window = a->local_window();
  arch->tied_embeddings = a->tied_embeddings();
}

void convert_metadata(const fb::Metadata* m, Metadata* meta) {
  if (!m) return;
  meta->name = str(m->name());
  meta->description = str(m->description());
  meta->license = str(m->license());
  meta->source_checkpoint = str(m->source_checkpoint());
  meta->converter = str(m->converter());
  meta->converter_version = str(m->converter_version());
  if (m->extra())
    for (const fb::KeyValue* kv : *m->extra())
      meta->extra.emplace_back(str(kv->key()), str(kv->value()));
}

void convert_annotations(const fb::Model* model, ModelContents* c) {
  if (!model->annotations()) return;
  for (const fb::CodeAnnotation* a : *model->annotations()) {
    CodeAnnotation out;
    out.codebook = a->codebook();
    out.group = a->group();
    out.code = a->code();
    out.label = str(a->label());
    out.description = str(a->description());
    out.frequency = a->frequency();
    if (a->top_contexts())
      for (const fb::CodeContext* ctx : *a->top_contexts()) {
        CodeContext cc;
        if (ctx->tokens()) cc.tokens.assign(ctx->tokens()->begin(), ctx->tokens()->end());
        if (ctx->highlight()) {
          cc.highlight_start = ctx->highlight()->start();
          cc.highlight_end = ctx->highlight()->end();
        }
        cc.score = ctx->score();
        out.top_contexts.push_back(std::move(cc));
      }
    c->annotations.push_back(std::move(out));
  }
}

void convert_tokenizer(const fb::Tokenizer* t, ModelContents* c) {
  if (!t) return;
  c->has_tokenizer = true;
  TokenizerData& tok = c->tokenizer;
  tok.kind = as_enum<TokenizerKind>(t->kind());
  if (t->tokens())
    for (const flatbuffers::String* s : *t->tokens()) tok.tokens.push_back(str(s));
  if (t->merges())
    for (const flatbuffers::String* s : *t->merges()) tok.merges.push_back(str(s));
  tok.bos_id = t->bos_id();
  tok.eos_id = t->eos_id();
  tok.pad_id = t->pad_id();
  tok.add_bos = t->add_bos();
}

}  // namespace

Error convert_header(const std::uint8_t* bytes, ModelContents* c,
                     std::vector<TensorLocation>* locations) {
  const fb::Model* model = fb::GetSizePrefixedModel(bytes);
  if (!model->architecture())
    return Error(Status::bad_architecture, "the file has no architecture table");
  convert_architecture(model->architecture(), &c->architecture);
  convert_metadata(model->metadata(), &c->metadata);

  // Views are created first and locations recorded afterwards, so the pointers stored in the
  // locations stay valid (no vector grows after its views' addresses are taken).
  const auto n_tensors = model->tensors() ? model->tensors()->size() : 0u;
  const auto n_extras = model->extras() ? model->extras()->size() : 0u;
  c->tensors.resize(n_tensors);
  c->extras.resize(n_extras);
  if (model->codebooks()) {
    c->codebooks.resize(model->codebooks()->size());
    for (flatbuffers::uoffset_t i = 0; i < model->codebooks()->size(); ++i) {
      const fb::Codebook* src = model->codebooks()->Get(i);
      Codebook& cb = c->codebooks[i];
      cb.layer = src->layer();
      cb.site = as_enum<CodebookSite>(src->site());
      cb.groups = src->groups();
      cb.codes = src->codes();
      cb.dim = src->dim();
      cb.k = src->k();
      cb.similarity = as_enum<Similarity>(src->similarity());
      cb.group_data.resize(src->group_data() ? src->group_data()->size() : 0u);
    }
  }
  for (flatbuffers::uoffset_t i = 0; i < n_tensors; ++i)
    convert_tensor(model->tensors()->Get(i), &c->tensors[i], "tensors[" + std::to_string(i) + "]", locations);
  for (flatbuffers::uoffset_t i = 0; i < n_extras; ++i)
    convert_tensor(model->extras()->Get(i), &c->extras[i], "extras[" + std::to_string(i) + "]", locations);
  for (flatbuffers::uoffset_t i = 0; i < c->codebooks.size(); ++i) {
    const fb::Codebook* src = model->codebooks()->Get(i);
    for (flatbuffers::uoffset_t g = 0; g < c->codebooks[i].group_data.size(); ++g) {
      const fb::CodebookGroup* grp = src->group_data()->Get(g);
      CodebookGroup& dst = c->codebooks[i].group_data[g];
      const std::string where = "codebooks[" + std::to_string(i) + "].group_data[" + std::to_string(g) + "].";
      convert_tensor(grp->ln_weight(), &dst.ln_weight, where + "ln_weight", locations);
      convert_tensor(grp->ln_bias(), &dst.ln_bias, where + "ln_bias", locations);
      convert_tensor(grp->codes(), &dst.codes, where + "codes", locations);
    }
  }
  convert_annotations(model, c);
  convert_tokenizer(model->tokenizer(), c);
  if (const fb::GenerationDefaults* g = model->generation()) {
    c->generation.max_new_tokens = g->max_new_tokens();
    c->generation.temperature = g->temperature();
    c->generation.top_k = g->top_k();
    c->generation.top_p = g->top_p();
    c->generation.seed = g->seed();
  }
  return Error();
}

}  // namespace cbk::loader
