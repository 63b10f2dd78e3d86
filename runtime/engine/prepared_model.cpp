#include "runtime/engine/prepared_model.hpp"

#include <cmath>
#include <new>
#include <string>
#include <utility>

#include "simd/prepare.hpp"

namespace cbk {
namespace {

simd::DType to_simd(DType d) noexcept {
  switch (d) {
    case DType::f16: return simd::DType::f16;
    case DType::int8: return simd::DType::int8;
    default: return simd::DType::f32;
  }
}

simd::CodebookView view_of(const TensorView& codes, const Codebook& cb) noexcept {
  simd::CodebookView v;
  v.codes = codes.data;
  v.dtype = to_simd(codes.dtype);
  v.row_scale = codes.scales;
  v.n_codes = cb.codes;
  v.dim = cb.dim;
  v.metric = cb.similarity == Similarity::euclidean ? simd::Metric::euclidean : simd::Metric::inner_product;
  return v;
}

Error need_tensor(const Model& m, const std::string& name, const TensorView** out) {
  *out = m.find_tensor(name);
  if (*out == nullptr) return Error(Status::missing_tensor, "tensor '" + name + "' is missing");
  return Error();
}

Error linear(const Model& m, const simd::Kernels& k, const std::string& name, const char* bias_name,
             PreparedLinear* out) {
  const TensorView* t = nullptr;
  if (Error e = need_tensor(m, name, &t); !e.ok()) return e;
  simd::WeightView& w = out->w;
  w.data = t->data;
  w.dtype = to_simd(t->dtype);
  w.row_scale = t->scales;
  w.out_features = static_cast<std::size_t>(t->rows());
  w.in_features = static_cast<std::size_t>(t->row_length());
  switch (w.dtype) {
    case simd::DType::f32: out->gemm = k.f32_linear_gemm; out->gemv = k.f32_linear_gemv; break;
    case simd::DType::f16: out->gemm = k.f16_linear_gemm; out->gemv = k.f16_linear_gemv; break;
    case simd::DType::int8: out->gemm = k.q8_linear_gemm; out->gemv = k.q8_linear_gemv; break;
  }
  out->bias = nullptr;
  if (bias_name != nullptr) {
    const TensorView* b = nullptr;
    if (Error e = need_tensor(m, bias_name, &b); !e.ok()) return e;
    if (b->dtype != DType::f32) return Error(Status::bad_dtype, "tensor '" + std::string(bias_name) + "' must be f32");
    out->bias = b->f32();
  }
  return Error();
}

Error f32_vector(const Model& m, const std::string& name, const float** out) {
  const TensorView* t = nullptr;
  if (Error e = need_tensor(m, name, &t); !e.ok()) return e;
  if (t->dtype != DType::f32) return Error(Status::bad_dtype, "tensor '" + name + "' must be f32");
  *out = t->f32();
  return Error();
}

Error embedding(const Model& m, const std::string& name, EmbeddingView* e) {
  const TensorView* t = nullptr;
  if (Error err = need_tensor(m, name, &t); !err.ok()) return err;
  e->data = t->data;
  e->dtype = to_simd(t->dtype);
  e->row_scale = t->scales;
  e->rows = static_cast<std::size_t>(t->rows());
  e->width = static_cast<std::size_t>(t->row_length());
  return Error();
}

// Per-code norm terms of the codes as the kernels see them (dequantized), in double precision.
void norm_terms_of(const simd::CodebookView& book, std::vector<float>* out) {
  out->assign(book.n_codes, 0.0f);
  if (book.dtype == simd::DType::f32) {
    simd::compute_norm_terms(static_cast<const float*>(book.codes), book.n_codes, book.dim,
                             book.metric, out->data());
    return;
  }
  EmbeddingView rows{book.codes, book.dtype, book.row_scale, book.n_codes, book.dim};
  std::vector<float> row(book.dim);
  for (std::size_t j = 0; j < book.n_codes; ++j) {
    rows.read_row(j, row.data());
    simd::compute_norm_terms(row.data(), 1, book.dim, book.metric, out->data() + j);
  }
}

void set_entries(const simd::Kernels& k, PreparedGroup* pg) noexcept {
  switch (pg->book.dtype) {
    case simd::DType::f32:
      pg->search = k.f32_codebook_search;
      pg->search_multi = k.f32_codebook_search_multi;
      pg->gather_mean = k.f32_gather_mean;
      break;
    case simd::DType::f16:
      pg->search = k.f16_codebook_search;
      pg->search_multi = k.f16_codebook_search_multi;
      pg->gather_mean = k.f16_gather_mean;
      break;
    case simd::DType::int8:
      pg->search = k.q8_codebook_search;
      pg->search_multi = k.q8_codebook_search_multi;
      pg->gather_mean = k.q8_gather_mean;
      break;
  }
}

SpecialTokens special_tokens_of(const TokenizerData& t) {
  SpecialTokens s;
  s.bos = t.bos_id;
  s.eos = t.eos_id;
  s.pad = t.pad_id;
  for (std::int32_t id : {t.bos_id, t.eos_id, t.pad_id}) {
    bool seen = false;
    for (std::int32_t x : s.in_text) seen = seen || x == id;
    if (id >= 0 && !seen) s.in_text.push_back(id);
  }
  return s;
}

}  // namespace

// Lossy (or f32) groups rank and gather the file's table as it is. Exact quantized groups rank and
// gather the f32 originals (`book`) and scan the quantized table with bounds computed here from both
// tables, so nothing in the file has to be trusted for the results to be exact.
void PreparedModel::prepare_group(const Codebook& src, const CodebookGroup& sg, PreparedGroup* pg) {
  pg->ln_weight = sg.ln_weight.f32();
  pg->ln_bias = sg.ln_bias.f32();
  pg->book = view_of(sg.has_exact_codes() ? sg.exact_codes : sg.codes, src);
  set_entries(*kernels_, pg);
  norm_terms_.emplace_back();
  norm_terms_of(pg->book, &norm_terms_.back());
  pg->book.norm_term = norm_terms_.back().data();
  if (!sg.has_exact_codes()) return;

  simd::CodebookView scan = view_of(sg.codes, src);
  scan.norm_term = pg->book.norm_term;  // the exact search ranks by the f32 codes' norms
  norm_terms_.emplace_back(scan.n_codes);
  simd::compute_quant_error(scan, sg.exact_codes.f32(), norm_terms_.back().data());
  pg->exact.quantized = scan;
  pg->exact.exact_codes = sg.exact_codes.f32();
  pg->exact.quant_error = norm_terms_.back().data();
  pg->search_exact = scan.dtype == simd::DType::f16 ? kernels_->f16_codebook_search_exact
                                                    : kernels_->q8_codebook_search_exact;
}

void EmbeddingView::read_row(std::size_t r, float* out) const noexcept {
  switch (dtype) {
    case simd::DType::f32: {
      const float* src = static_cast<const float*>(data) + r * width;
      for (std::size_t i = 0; i < width; ++i) out[i] = src[i];
      break;
    }
    case simd::DType::f16: {
      const std::uint16_t* src = static_cast<const std::uint16_t*>(data) + r * width;
      for (std::size_t i = 0; i < width; ++i) out[i] = simd::f16_to_f32(src[i]);
      break;
    }
    case simd::DType::int8: {
      const std::int8_t* src = static_cast<const std::int8_t*>(data) + r * width;
      const float scale = row_scale[r];
      for (std::size_t i = 0; i < width; ++i) out[i] = scale * static_cast<float>(src[i]);
      break;
    }
  }
}

PreparedModel::~PreparedModel() = default;

Error PreparedModel::prepare(std::shared_ptr<const Model> model,
                             std::shared_ptr<const PreparedModel>* out) noexcept {
  if (!model || out == nullptr) return Error(Status::invalid_argument, "prepare: null model or output");
  try {
    std::shared_ptr<PreparedModel> p(new PreparedModel());
    if (Error e = p->build(std::move(model)); !e.ok()) return e;
    *out = std::move(p);
    return Error();
  } catch (const std::bad_alloc&) {
    return Error(Status::out_of_memory, "prepare: out of memory");
  } catch (...) {
    return Error(Status::internal, "prepare: unexpected exception");
  }
}

Error PreparedModel::build(std::shared_ptr<const Model> model) {
  model_ = std::move(model);
  const Model& m = *model_;
  const Architecture& a = m.architecture();
  kernels_ = &simd::kernels_for(simd::isa_from_env_or_best());

  if (a.positions == PositionKind::rotary && a.rotary_dims > 1024)
    return Error(Status::unsupported, "rotary_dims " + std::to_string(a.rotary_dims) +
                                          " exceeds the kernel limit of 1024");

  if (Error e = embedding(m, "tok_embed", &tok_embed_); !e.ok()) return e;
  if (a.positions == PositionKind::learned) {
    if (Error e = embedding(m, "pos_embed", &pos_embed_); !e.ok()) return e;
  }
  if (Error e = f32_vector(m, "final_norm.weight", &final_norm_weight_); !e.ok()) return e;
  if (Error e = f32_vector(m, "final_norm.bias", &final_norm_bias_); !e.ok()) return e;
  if (Error e = linear(m, *kernels_, a.tied_embeddings ? "tok_embed" : "lm_head.weight", nullptr, &lm_head_);
      !e.ok())
    return e;

  layers_.resize(a.n_layers);
  for (std::uint32_t l = 0; l < a.n_layers; ++l) {
    PreparedLayer& L = layers_[l];
    const std::string p = "layers." + std::to_string(l) + ".";
    for (auto& [name, ptr] : {std::pair<const char*, const float**>{"ln1.weight", &L.ln1_weight},
                              {"ln1.bias", &L.ln1_bias},
                              {"ln2.weight", &L.ln2_weight},
                              {"ln2.bias", &L.ln2_bias}}) {
      if (Error e = f32_vector(m, p + name, ptr); !e.ok()) return e;
    }
    for (auto& [name, lin] : {std::pair<const char*, PreparedLinear*>{"attn.qkv", &L.qkv},
                              {"attn.out", &L.out},
                              {"mlp.up", &L.up},
                              {"mlp.down", &L.down}}) {
      const std::string base = p + name;
      if (Error e = linear(m, *kernels_, base + ".weight", (base + ".bias").c_str(), lin); !e.ok()) return e;
    }
    const bool local = l < a.layer_attention.size() && a.layer_attention[l] == AttentionKind::local;
    L.window = local ? a.local_window : 0;
    // HF divides the scores by sqrt(head_dim), then (GPT-2 scale_attn_by_inverse_layer_idx) by l + 1.
    L.attention_scale = a.scale_attention ? 1.0f / std::sqrt(static_cast<float>(a.head_dim)) : 1.0f;
    if (a.scale_attention_by_inverse_layer)
      L.attention_scale = static_cast<float>(static_cast<double>(L.attention_scale) / (static_cast<double>(l) + 1.0));
    L.site_codebook.fill(-1);
  }

  const auto& books = m.codebooks();
  codebooks_.resize(books.size());
  for (std::size_t i = 0; i < books.size(); ++i) {
    const Codebook& src = books[i];
    PreparedCodebook& cb = codebooks_[i];
    if (src.k > simd::kMaxTopK)
      return Error(Status::unsupported, "codebook " + std::to_string(i) + ": k = " +
                                            std::to_string(src.k) + " exceeds the kernel limit of " +
                                            std::to_string(simd::kMaxTopK));
    cb.layer = src.layer;
    cb.site = src.site;
    cb.groups = src.groups;
    cb.codes = src.codes;
    cb.dim = src.dim;
    cb.k = src.k;
    cb.similarity = src.similarity;
    cb.group.resize(src.groups);
    for (std::uint32_t g = 0; g < src.groups; ++g) {
      prepare_group(src, src.group_data[g], &cb.group[g]);
    }
    layers_[src.layer].site_codebook[static_cast<std::size_t>(src.site)] = static_cast<int>(i);
    if (src.k > max_k_) max_k_ = src.k;
    if (src.dim > max_group_dim_) max_group_dim_ = src.dim;
  }

  if (m.has_tokenizer()) {
    const TokenizerData& t = m.tokenizer();
    Error e = t.kind == TokenizerKind::byte_bpe
                  ? Tokenizer::create_byte_bpe(t.tokens, t.merges, special_tokens_of(t), &tokenizer_)
                  : Tokenizer::create_vocab(t.tokens, special_tokens_of(t), &tokenizer_);
    if (!e.ok()) return e;
  }
  return Error();
}

int PreparedModel::find_codebook(std::uint32_t layer, CodebookSite site) const noexcept {
  const auto s = static_cast<std::size_t>(site);
  if (layer >= layers_.size() || s >= kSiteCount) return -1;
  return layers_[layer].site_codebook[s];
}

std::size_t PreparedModel::q_offset(std::size_t head) const noexcept {
  const std::size_t hd = arch().head_dim;
  return arch().family == Family::gpt_neox ? head * 3 * hd : head * hd;
}

std::size_t PreparedModel::k_offset(std::size_t head) const noexcept {
  const std::size_t hd = arch().head_dim;
  return arch().family == Family::gpt_neox ? head * 3 * hd + hd : arch().d_model + head * hd;
}

std::size_t PreparedModel::v_offset(std::size_t head) const noexcept {
  const std::size_t hd = arch().head_dim;
  return arch().family == Family::gpt_neox ? head * 3 * hd + 2 * hd
                                           : 2 * std::size_t{arch().d_model} + head * hd;
}

}  // namespace cbk
