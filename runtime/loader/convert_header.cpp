// Copies the verified FlatBuffer header into plain structs. Tensor locations are recorded, not
// trusted: validate_tensor_locations() checks them before any view is bound to data.
//
// Memory: a FlatBuffer may share one string, vector or table among any number of references (a
// DAG), so a small header can describe a huge tree (a million offsets to one 1 MB token string is
// a 4 MB header and a 1 TB copy). Every allocation below is therefore charged, before it is made,
// against a budget proportional to the header's size (HeaderBudget); a header that would exceed
// it is refused with verify_failed instead of being copied.
#include <string>

#include "runtime/loader/loader_internal.hpp"
#include "schema/cbk_generated.h"

namespace cbk::loader {
namespace {

// Bytes the copy of a header of `header_size` bytes may allocate. Honest headers need between one
// and four times their size (a short token string costs 12-16 header bytes and a 32-byte
// std::string; a tensor ~100 header bytes and ~250 bytes of views); the factor leaves room, the
// slack covers tiny headers.
constexpr std::uint64_t kHeaderExpansion = 8;
constexpr std::uint64_t kHeaderSlack = 1u << 20;

// Thrown by HeaderBudget and turned into a status by convert_header (it never leaves this file).
struct OverBudget {
  Error error;
};

class HeaderBudget {
 public:
  explicit HeaderBudget(std::uint64_t header_size)
      : limit_(kHeaderExpansion * header_size + kHeaderSlack), left_(limit_) {}

  // Charges n objects of `each` bytes before they are allocated; throws OverBudget past the limit.
  void charge(std::uint64_t n, std::uint64_t each, const char* what) {
    if (each != 0 && n > left_ / each)
      throw OverBudget{Error(Status::verify_failed,
                             std::string("the header's ") + what + " would need more than the " +
                                 std::to_string(limit_) + " bytes a header of " + std::to_string(header_size()) +
                                 " bytes may expand to (strings or vectors shared by many references?)")};
    left_ -= n * each;
  }
  // The characters of a copied string (its object is charged with the struct or vector holding
  // it; the short-string optimisation is ignored).
  void charge_chars(std::uint64_t length, const char* what) { charge(1, length + 1, what); }

 private:
  std::uint64_t header_size() const { return (limit_ - kHeaderSlack) / kHeaderExpansion; }
  std::uint64_t limit_;
  std::uint64_t left_;
};

std::string copy_string(const flatbuffers::String* s, HeaderBudget& budget, const char* what) {
  if (!s) return std::string();
  budget.charge_chars(s->size(), what);
  return s->str();
}

// Enum bytes are copied as they are (FlatBuffers does not range-check enums); validation rejects
// values outside the known range.
template <class E, class F>
E as_enum(F v) {
  return static_cast<E>(static_cast<std::uint8_t>(v));
}

template <class T, class Src>
void copy_vector(const flatbuffers::Vector<Src>* src, std::vector<T>* out, HeaderBudget& budget, const char* what) {
  if (!src) return;
  budget.charge(src->size(), sizeof(T), what);
  out->reserve(src->size());
  for (auto v : *src) out->push_back(static_cast<T>(v));
}

void convert_tensor(const fb::Tensor* t, TensorView* view, std::string role,
                    std::vector<TensorLocation>* locations, HeaderBudget& budget) {
  TensorLocation loc;
  budget.charge_chars(role.size(), "tensor roles");
  loc.view = view;
  loc.role = std::move(role);
  loc.present = t != nullptr;
  if (t) {
    view->name = copy_string(t->name(), budget, "tensor names");
    view->dtype = as_enum<DType>(t->dtype());
    copy_vector(t->shape(), &view->shape, budget, "tensor shapes");
    loc.raw_dtype = static_cast<std::uint8_t>(t->dtype());
    loc.data_offset = t->data_offset();
    loc.data_length = t->data_length();
    loc.scales_offset = t->scales_offset();
    loc.scales_length = t->scales_length();
  }
  locations->push_back(std::move(loc));  // capacity reserved by convert_header
}

void convert_architecture(const fb::Architecture* a, Architecture* arch, HeaderBudget& budget) {
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
  if (a->layer_attention()) {
    budget.charge(a->layer_attention()->size(), sizeof(AttentionKind), "layer_attention");
    arch->layer_attention.reserve(a->layer_attention()->size());
    for (auto kind : *a->layer_attention()) arch->layer_attention.push_back(as_enum<AttentionKind>(kind));
  }
  arch->local_window = a->local_window();
  arch->tied_embeddings = a->tied_embeddings();
}

void convert_metadata(const fb::Metadata* m, Metadata* meta, HeaderBudget& budget) {
  if (!m) return;
  meta->name = copy_string(m->name(), budget, "metadata");
  meta->description = copy_string(m->description(), budget, "metadata");
  meta->license = copy_string(m->license(), budget, "metadata");
  meta->source_checkpoint = copy_string(m->source_checkpoint(), budget, "metadata");
  meta->converter = copy_string(m->converter(), budget, "metadata");
  meta->converter_version = copy_string(m->converter_version(), budget, "metadata");
  if (!m->extra()) return;
  budget.charge(m->extra()->size(), sizeof(meta->extra[0]), "metadata.extra");
  meta->extra.reserve(m->extra()->size());
  for (const fb::KeyValue* kv : *m->extra())
    meta->extra.emplace_back(copy_string(kv->key(), budget, "metadata.extra"),
                             copy_string(kv->value(), budget, "metadata.extra"));
}

void convert_annotations(const fb::Model* model, ModelContents* c, HeaderBudget& budget) {
  const auto* list = model->annotations();
  if (!list) return;
  budget.charge(list->size(), sizeof(CodeAnnotation), "annotations");
  c->annotations.resize(list->size());
  for (flatbuffers::uoffset_t i = 0; i < list->size(); ++i) {
    const fb::CodeAnnotation* a = list->Get(i);
    CodeAnnotation& out = c->annotations[i];
    out.codebook = a->codebook();
    out.group = a->group();
    out.code = a->code();
    out.label = copy_string(a->label(), budget, "annotation labels");
    out.description = copy_string(a->description(), budget, "annotation descriptions");
    out.frequency = a->frequency();
    if (!a->top_contexts()) continue;
    budget.charge(a->top_contexts()->size(), sizeof(CodeContext), "annotation contexts");
    out.top_contexts.resize(a->top_contexts()->size());
    for (flatbuffers::uoffset_t j = 0; j < a->top_contexts()->size(); ++j) {
      const fb::CodeContext* ctx = a->top_contexts()->Get(j);
      CodeContext& cc = out.top_contexts[j];
      copy_vector(ctx->tokens(), &cc.tokens, budget, "annotation context tokens");
      if (ctx->highlight()) {
        cc.highlight_start = ctx->highlight()->start();
        cc.highlight_end = ctx->highlight()->end();
      }
      cc.score = ctx->score();
    }
  }
}

void copy_strings(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* list,
                  std::vector<std::string>* out, HeaderBudget& budget, const char* what) {
  if (!list) return;
  budget.charge(list->size(), sizeof(std::string), what);
  out->reserve(list->size());
  for (const flatbuffers::String* s : *list) out->push_back(copy_string(s, budget, what));
}

void convert_tokenizer(const fb::Tokenizer* t, ModelContents* c, HeaderBudget& budget) {
  if (!t) return;
  c->has_tokenizer = true;
  TokenizerData& tok = c->tokenizer;
  tok.kind = as_enum<TokenizerKind>(t->kind());
  copy_strings(t->tokens(), &tok.tokens, budget, "tokenizer tokens");
  copy_strings(t->merges(), &tok.merges, budget, "tokenizer merges");
  tok.bos_id = t->bos_id();
  tok.eos_id = t->eos_id();
  tok.pad_id = t->pad_id();
  tok.add_bos = t->add_bos();
}

void convert_codebooks(const fb::Model* model, ModelContents* c, HeaderBudget& budget) {
  const auto* list = model->codebooks();
  if (!list) return;
  budget.charge(list->size(), sizeof(Codebook), "codebooks");
  c->codebooks.resize(list->size());
  for (flatbuffers::uoffset_t i = 0; i < list->size(); ++i) {
    const fb::Codebook* src = list->Get(i);
    Codebook& cb = c->codebooks[i];
    cb.layer = src->layer();
    cb.site = as_enum<CodebookSite>(src->site());
    cb.groups = src->groups();
    cb.codes = src->codes();
    cb.dim = src->dim();
    cb.k = src->k();
    cb.similarity = as_enum<Similarity>(src->similarity());
    const std::uint64_t groups = src->group_data() ? src->group_data()->size() : 0u;
    // Up to four views per group, each with a location.
    budget.charge(groups, sizeof(CodebookGroup) + 4 * sizeof(TensorLocation), "codebook groups");
    cb.group_data.resize(groups);
  }
}

void convert_all(const fb::Model* model, ModelContents* c, std::vector<TensorLocation>* locations,
                 HeaderBudget& budget) {
  convert_architecture(model->architecture(), &c->architecture, budget);
  convert_metadata(model->metadata(), &c->metadata, budget);

  // Views are created first and locations recorded afterwards, so the pointers stored in the
  // locations stay valid (no vector grows after its views' addresses are taken).
  const std::uint64_t n_tensors = model->tensors() ? model->tensors()->size() : 0u;
  const std::uint64_t n_extras = model->extras() ? model->extras()->size() : 0u;
  budget.charge(n_tensors + n_extras, sizeof(TensorView) + sizeof(TensorLocation), "tensor lists");
  c->tensors.resize(n_tensors);
  c->extras.resize(n_extras);
  convert_codebooks(model, c, budget);
  std::uint64_t n_locations = n_tensors + n_extras;
  for (const Codebook& cb : c->codebooks) n_locations += 4 * cb.group_data.size();
  locations->reserve(n_locations);

  for (flatbuffers::uoffset_t i = 0; i < n_tensors; ++i)
    convert_tensor(model->tensors()->Get(i), &c->tensors[i], "tensors[" + std::to_string(i) + "]", locations, budget);
  for (flatbuffers::uoffset_t i = 0; i < n_extras; ++i)
    convert_tensor(model->extras()->Get(i), &c->extras[i], "extras[" + std::to_string(i) + "]", locations, budget);
  for (flatbuffers::uoffset_t i = 0; i < c->codebooks.size(); ++i) {
    const fb::Codebook* src = model->codebooks()->Get(i);
    for (flatbuffers::uoffset_t g = 0; g < c->codebooks[i].group_data.size(); ++g) {
      const fb::CodebookGroup* grp = src->group_data()->Get(g);
      CodebookGroup& dst = c->codebooks[i].group_data[g];
      const std::string where = "codebooks[" + std::to_string(i) + "].group_data[" + std::to_string(g) + "].";
      convert_tensor(grp->ln_weight(), &dst.ln_weight, where + "ln_weight", locations, budget);
      convert_tensor(grp->ln_bias(), &dst.ln_bias, where + "ln_bias", locations, budget);
      convert_tensor(grp->codes(), &dst.codes, where + "codes", locations, budget);
      if (grp->exact_codes())  // optional (schema 1.2): no location, and so no view, when absent
        convert_tensor(grp->exact_codes(), &dst.exact_codes, where + "exact_codes", locations, budget);
    }
  }
  convert_annotations(model, c, budget);
  convert_tokenizer(model->tokenizer(), c, budget);
  if (const fb::GenerationDefaults* g = model->generation()) {
    c->generation.max_new_tokens = g->max_new_tokens();
    c->generation.temperature = g->temperature();
    c->generation.top_k = g->top_k();
    c->generation.top_p = g->top_p();
    c->generation.seed = g->seed();
  }
}

// A prototype-network file: metadata and the ProtoNetModel table (read_model_kind checked that it
// is there and that no transformer part is).
void convert_protonet_conv(const fb::ProtoNetConv* src, ProtoNetConv* dst, const std::string& where,
                           std::vector<TensorLocation>* locations, HeaderBudget& budget) {
  dst->transposed = src->transposed();
  dst->in_channels = src->in_channels();
  dst->out_channels = src->out_channels();
  dst->kernel = src->kernel();
  dst->stride = src->stride();
  dst->padding = src->padding();
  dst->output_padding = src->output_padding();
  dst->activation = as_enum<ProtoNetActivation>(src->activation());
  convert_tensor(src->weight(), &dst->weight, where + "weight", locations, budget);
  convert_tensor(src->bias(), &dst->bias, where + "bias", locations, budget);
}

void convert_protonet(const fb::Model* model, ModelContents* c, std::vector<TensorLocation>* locations,
                      HeaderBudget& budget) {
  convert_metadata(model->metadata(), &c->metadata, budget);
  const fb::ProtoNetModel* p = model->protonet();
  ProtoNetContents& k = c->protonet;
  k.image_channels = p->image_channels();
  k.image_height = p->image_height();
  k.image_width = p->image_width();
  const std::uint64_t n_enc = p->encoder() ? p->encoder()->size() : 0u;
  const std::uint64_t n_dec = p->decoder() ? p->decoder()->size() : 0u;
  budget.charge(n_enc + n_dec, sizeof(ProtoNetConv) + 2 * sizeof(TensorLocation), "protonet conv layers");
  k.encoder.resize(n_enc);
  k.decoder.resize(n_dec);
  locations->reserve(2 * (n_enc + n_dec) + 4);
  for (flatbuffers::uoffset_t i = 0; i < n_enc; ++i)
    convert_protonet_conv(p->encoder()->Get(i), &k.encoder[i], "protonet.encoder[" + std::to_string(i) + "].",
                          locations, budget);
  for (flatbuffers::uoffset_t i = 0; i < n_dec; ++i)
    convert_protonet_conv(p->decoder()->Get(i), &k.decoder[i], "protonet.decoder[" + std::to_string(i) + "].",
                          locations, budget);
  // The baseline (no prototypes) has a linear head instead; whichever is declared must be complete.
  if (p->prototypes() || !p->linear_weight()) {
    convert_tensor(p->prototypes(), &k.prototypes, "protonet.prototypes", locations, budget);
    convert_tensor(p->class_weights(), &k.class_weights, "protonet.class_weights", locations, budget);
  }
  if (p->linear_weight()) {
    convert_tensor(p->linear_weight(), &k.linear_weight, "protonet.linear_weight", locations, budget);
    convert_tensor(p->linear_bias(), &k.linear_bias, "protonet.linear_bias", locations, budget);
  }
  if (const auto* names = p->class_names()) {
    budget.charge(names->size(), sizeof(std::string), "protonet class names");
    k.class_names.reserve(names->size());
    for (flatbuffers::uoffset_t i = 0; i < names->size(); ++i)
      k.class_names.push_back(copy_string(names->Get(i), budget, "protonet class names"));
  }
}

// A DKVB file: metadata, extras and the DkvbModel table (read_model_kind checked that it is there
// and that no transformer part is).
void convert_dkvb(const fb::Model* model, ModelContents* c, std::vector<TensorLocation>* locations,
                  HeaderBudget& budget) {
  convert_metadata(model->metadata(), &c->metadata, budget);
  const fb::DkvbModel* d = model->dkvb();
  DkvbContents& k = c->dkvb;
  k.input_dim = d->input_dim();
  k.heads = d->heads();
  k.pairs = d->pairs();
  k.key_dim = d->key_dim();
  k.value_dim = d->value_dim();
  k.classes = d->classes();
  k.decoder = as_enum<DkvbDecoder>(d->decoder());
  const std::uint64_t n_layers = d->encoder() ? d->encoder()->size() : 0u;
  const std::uint64_t n_extras = model->extras() ? model->extras()->size() : 0u;
  budget.charge(n_layers, sizeof(DkvbLayer) + 2 * sizeof(TensorLocation), "dkvb encoder layers");
  budget.charge(n_extras, sizeof(TensorView) + sizeof(TensorLocation), "tensor lists");
  k.encoder.resize(n_layers);
  c->extras.resize(n_extras);
  locations->reserve(n_extras + 2 * n_layers + 6);
  for (flatbuffers::uoffset_t i = 0; i < n_extras; ++i)
    convert_tensor(model->extras()->Get(i), &c->extras[i], "extras[" + std::to_string(i) + "]", locations, budget);
  for (flatbuffers::uoffset_t i = 0; i < n_layers; ++i) {
    const fb::DkvbLayer* layer = d->encoder()->Get(i);
    const std::string where = "dkvb.encoder[" + std::to_string(i) + "].";
    convert_tensor(layer->weight(), &k.encoder[i].weight, where + "weight", locations, budget);
    convert_tensor(layer->bias(), &k.encoder[i].bias, where + "bias", locations, budget);
  }
  // Optional tensors get a location (and so a view) only when present; required ones always, so an
  // absent one is reported as missing.
  if (d->projection()) convert_tensor(d->projection(), &k.projection, "dkvb.projection", locations, budget);
  convert_tensor(d->keys(), &k.keys, "dkvb.keys", locations, budget);
  convert_tensor(d->values(), &k.values, "dkvb.values", locations, budget);
  if (d->used_pairs()) convert_tensor(d->used_pairs(), &k.used_pairs, "dkvb.used_pairs", locations, budget);
  if (k.decoder == DkvbDecoder::linear || d->decoder_weight())
    convert_tensor(d->decoder_weight(), &k.decoder_weight, "dkvb.decoder_weight", locations, budget);
  if (k.decoder == DkvbDecoder::linear || d->decoder_bias())
    convert_tensor(d->decoder_bias(), &k.decoder_bias, "dkvb.decoder_bias", locations, budget);
}

}  // namespace

Error convert_header(const std::uint8_t* bytes, ModelContents* c,
                     std::vector<TensorLocation>* locations) {
  const fb::Model* model = fb::GetSizePrefixedModel(bytes);
  if (Error e = read_model_kind(bytes, &c->kind); !e.ok()) return e;
  if (c->kind == ModelKind::transformer && !model->architecture())
    return Error(Status::bad_architecture, "the file has no architecture table");
  HeaderBudget budget(c->file.header_size);
  try {
    if (c->kind == ModelKind::dkvb)
      convert_dkvb(model, c, locations, budget);
    else if (c->kind == ModelKind::protonet)
      convert_protonet(model, c, locations, budget);
    else
      convert_all(model, c, locations, budget);
  } catch (const OverBudget& over) {
    return over.error;
  }
  return Error();
}

}  // namespace cbk::loader
