// `cbk info FILE [--json] [--no-data-checksum]`: what a model file contains, after full
// verification. Never crashes on a bad file: it prints one line naming the problem and exits 1.
// Built on the C API only.
#include <cstdio>
#include <iostream>

#include "tools/cli/api_util.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/info_kinds.hpp"
#include "tools/cli/json_writer.hpp"
#include "tools/cli/model_summary.hpp"

namespace cbk::cli {
namespace {

constexpr const char* kInfoUsage =
    "usage: cbk info MODEL.cbk [--json] [--no-data-checksum]\n"
    "  Verifies a model file and prints its architecture, parameter counts, codebooks,\n"
    "  tokenizer and metadata (for a DKVB classifier: its encoder, heads, pairs and decoder).\n"
    "  --json              one JSON object on stdout\n"
    "  --no-data-checksum  skip the CRC of the tensor data (faster for very large files)\n";

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Everything info reports, read once through cbk.h.
struct Facts {
  cbk_file_info file = sized<cbk_file_info>();
  cbk_architecture arch = sized<cbk_architecture>();
  cbk_parameter_counts params = sized<cbk_parameter_counts>();
  cbk_tokenizer_info tok = sized<cbk_tokenizer_info>();
  cbk_generation_defaults gen = sized<cbk_generation_defaults>();
  std::size_t tok_tokens = 0, tok_merges = 0;
  std::vector<bool> layer_local;
  std::vector<float> layer_scale;  // the factor each layer's attention scores are multiplied by
  bool scaled = false;
  bool inverse_layer = false;      // scores also divided by layer + 1 (GPT-2 scale_attn_by_inverse_layer_idx)
  std::vector<CodebookRef> books;
  std::vector<const char*> book_dtype;
  std::vector<bool> book_exact;  // quantized scan table + f32 originals
  std::vector<std::uint64_t> book_bytes;
  std::vector<std::pair<std::string, std::string>> metadata;  // fixed keys first, then extras
  std::vector<cbk_tensor_info> tensors, extras;
};

cbk_status read_facts(const cbk_model* m, Facts* f) {
  cbk_status st;
  if ((st = cbk_model_file_info(m, &f->file)) || (st = cbk_model_architecture(m, &f->arch)) ||
      (st = cbk_model_parameter_counts(m, &f->params)) || (st = cbk_model_tokenizer_info(m, &f->tok)) ||
      (st = cbk_model_generation_defaults(m, &f->gen)))
    return st;
  if (f->tok.has_tokenizer && (st = cbk_model_tokenizer_sizes(m, &f->tok_tokens, &f->tok_merges))) return st;
  for (std::uint32_t l = 0; l < f->arch.n_layers; ++l) {
    int local = 0, scaled = 0, inverse = 0;
    float scale = 1.0f;
    if ((st = cbk_model_layer_attention(m, l, &local, &scaled)) ||
        (st = cbk_model_layer_attention_scale(m, l, &scale, &inverse)))
      return st;
    f->layer_local.push_back(local != 0);
    f->layer_scale.push_back(scale);
    f->scaled = scaled != 0;
    f->inverse_layer = inverse != 0;
  }
  f->books = codebooks(m);
  for (std::size_t i = 0; i < f->books.size(); ++i) {
    const char* dtype = "";
    std::uint64_t bytes = 0;
    int exact = 0;
    if ((st = cbk_model_codebook_storage(m, i, &dtype, &bytes))) return st;
    if ((st = cbk_model_codebook_exact(m, i, &exact))) return st;
    f->book_dtype.push_back(dtype);
    f->book_exact.push_back(exact != 0);
    f->book_bytes.push_back(bytes);
  }
  for (std::size_t i = 0; i < cbk_model_metadata_count(m); ++i) {
    const char *k = nullptr, *v = nullptr;
    if ((st = cbk_model_metadata_at(m, i, &k, &v))) return st;
    f->metadata.emplace_back(k, v);
  }
  for (cbk_tensor_list list : {CBK_TENSORS_MODEL, CBK_TENSORS_EXTRA}) {
    auto& out = list == CBK_TENSORS_MODEL ? f->tensors : f->extras;
    out.resize(cbk_model_tensor_count(m, list));
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i].struct_size = sizeof(cbk_tensor_info);
      if ((st = cbk_model_tensor_info(m, list, i, &out[i]))) return st;
    }
  }
  return CBK_STATUS_OK;
}

const std::string& meta(const Facts& f, std::size_t i) { return f.metadata[i].second; }  // fixed keys 0..5
constexpr std::size_t kFixedMetadata = 6;

std::string shape_string(const cbk_tensor_info& t) {
  std::string s = "[";
  for (std::size_t i = 0; i < t.n_dims; ++i) s += (i ? ", " : "") + std::to_string(t.shape[i]);
  return s + "]";
}

std::string attention_summary(const Facts& f) {
  std::size_t local = 0;
  for (bool l : f.layer_local) local += l;
  std::string s = f.scaled ? "scaled 1/sqrt(d)" : "unscaled";
  if (f.inverse_layer) s = f.scaled ? "scaled 1/sqrt(d) and 1/(layer+1)" : "scaled 1/(layer+1)";
  if (local == 0) return s + ", all layers global";
  return s + ", " + std::to_string(local) + " of " + std::to_string(f.arch.n_layers) + " layers local (window " +
         std::to_string(f.arch.local_window) + ")";
}

void print_text(const std::string& path, const Facts& x, std::size_t n_annotations) {
  const cbk_file_info& f = x.file;
  const cbk_architecture& a = x.arch;
  std::printf("%s\n", path.c_str());
  std::printf("  file:          %s (%s bytes), schema %u.%u, header %s, data section %s at offset %s%s\n",
              human_bytes(f.file_size).c_str(), with_commas(f.file_size).c_str(), f.schema_major, f.schema_minor,
              human_bytes(f.header_size).c_str(), human_bytes(f.data_size).c_str(), with_commas(f.data_offset).c_str(),
              f.memory_mapped ? " (memory-mapped)" : "");
  std::printf("  verification:  ok — structure (FlatBuffers verifier), header CRC-32 %s, data CRC-32 %s, semantics\n",
              hex32(f.header_crc32).c_str(), f.data_crc_verified ? hex32(f.data_crc32).c_str() : "not checked");
  const char* labels[] = {"name:", "description:", "license:", "source:"};
  for (std::size_t i = 0; i < 4; ++i)
    if (!meta(x, i).empty()) std::printf("  %-14s %s\n", labels[i], meta(x, i).c_str());
  if (!meta(x, 4).empty()) std::printf("  written by:    %s %s\n", meta(x, 4).c_str(), meta(x, 5).c_str());
  for (std::size_t i = kFixedMetadata; i < x.metadata.size(); ++i)
    std::printf("  %-14s %s\n", (x.metadata[i].first + ":").c_str(), x.metadata[i].second.c_str());

  std::printf("\narchitecture:    %s, %u layers, d_model %u, %u heads x %u, MLP %u (%s), vocab %u, context %u\n",
              a.family, a.n_layers, a.d_model, a.n_heads, a.head_dim, a.d_mlp, a.activation, a.vocab_size,
              a.max_positions);
  if (std::string(a.positions) == "rotary")
    std::printf("  positions:     rotary on %u of %u head dims, base %g\n", a.rotary_dims, a.head_dim, a.rotary_base);
  else
    std::printf("  positions:     learned absolute\n");
  std::printf("  residual:      %s; attention %s; LayerNorm eps %g; embeddings %s\n",
              a.parallel_residual ? "parallel" : "sequential", attention_summary(x).c_str(), a.norm_eps,
              a.tied_embeddings ? "tied" : "untied");

  const cbk_parameter_counts& p = x.params;
  std::printf("\nparameters:      %s\n", with_commas(p.total).c_str());
  const std::pair<const char*, std::uint64_t> kinds[] = {{"embeddings", p.embeddings}, {"attention", p.attention},
                                                         {"mlp", p.mlp}, {"norms", p.norms}, {"lm head", p.lm_head},
                                                         {"codebooks", p.codebooks}};
  for (const auto& [name, n] : kinds) std::printf("  %-14s %14s\n", name, with_commas(n).c_str());

  std::printf("\ncodebooks:       %zu\n", x.books.size());
  if (!x.books.empty()) {
    std::printf("  %3s %5s %-17s %6s %7s %5s %3s %-13s %-10s %10s\n", "#", "layer", "site", "groups", "codes", "dim",
                "k", "metric", "dtype", "bytes");
    for (std::size_t i = 0; i < x.books.size(); ++i) {
      const cbk_codebook_info& cb = x.books[i].info;
      const std::string dtype = std::string(x.book_dtype[i]) + (x.book_exact[i] ? " exact" : "");
      std::printf("  %3zu %5u %-17s %6u %7u %5u %3u %-13s %-10s %10s\n", i, cb.layer, x.books[i].site_name, cb.groups,
                  cb.codes, cb.dim, cb.k, cb.metric == CBK_METRIC_EUCLIDEAN ? "euclidean" : "inner_product",
                  dtype.c_str(), with_commas(x.book_bytes[i]).c_str());
    }
  }
  if (n_annotations) std::printf("  annotations:   %zu codes annotated\n", n_annotations);
  if (x.tok.has_tokenizer) {
    const cbk_tokenizer_info& t = x.tok;
    std::printf("\ntokenizer:       %s, %zu tokens, %zu merges, bos %d, eos %d, pad %d%s\n", t.kind, x.tok_tokens,
                x.tok_merges, t.bos, t.eos, t.pad, t.add_bos ? ", prepends bos" : "");
    if (x.arch.vocab_size > t.vocab_size)
      std::printf("                 ids %u..%u are padding rows of the embedding: no text (they decode to nothing)\n",
                  t.vocab_size, x.arch.vocab_size - 1);
  } else {
    std::printf("\ntokenizer:       none (token ids only)\n");
  }
  const cbk_generation_defaults& g = x.gen;
  std::printf("generation:      %u new tokens, temperature %g, top-k %u, top-p %g, seed %llu\n", g.max_new_tokens,
              g.temperature, g.top_k, g.top_p, static_cast<unsigned long long>(g.seed));
  if (!x.extras.empty()) {
    std::printf("extras:\n");
    for (const cbk_tensor_info& t : x.extras)
      std::printf("  %-24s %-5s %-16s %s\n", t.name, t.dtype, shape_string(t).c_str(), human_bytes(t.bytes).c_str());
  }
}

void write_tensor(JsonWriter& j, const cbk_tensor_info& t) {
  j.begin_object().field("name", t.name).field("dtype", t.dtype);
  j.key("shape").begin_array();
  for (std::size_t i = 0; i < t.n_dims; ++i) j.value(static_cast<std::uint64_t>(t.shape[i]));
  j.end_array().field("offset", static_cast<std::uint64_t>(t.file_offset))
      .field("bytes", static_cast<std::uint64_t>(t.bytes)).end_object();
}

std::string to_json(const std::string& path, const Facts& x, std::size_t n_annotations) {
  const cbk_file_info& f = x.file;
  const cbk_architecture& a = x.arch;
  using u64 = std::uint64_t;
  JsonWriter j;
  j.begin_object().field("path", path);
  j.key("file").begin_object()
      .field("size", u64{f.file_size}).field("schema_version", std::to_string(f.schema_major) + "." + std::to_string(f.schema_minor))
      .field("header_size", u64{f.header_size}).field("data_offset", u64{f.data_offset}).field("data_size", u64{f.data_size})
      .field("memory_mapped", f.memory_mapped != 0).end_object();
  j.key("verification").begin_object()
      .field("ok", true).field("header_crc32", hex32(f.header_crc32))
      .field("data_crc32", hex32(f.data_crc32)).field("data_crc_checked", f.data_crc_verified != 0).end_object();
  j.key("metadata").begin_object()
      .field("name", meta(x, 0)).field("description", meta(x, 1)).field("license", meta(x, 2))
      .field("source_checkpoint", meta(x, 3)).field("converter", meta(x, 4)).field("converter_version", meta(x, 5));
  j.key("extra").begin_object();
  for (std::size_t i = kFixedMetadata; i < x.metadata.size(); ++i) j.field(x.metadata[i].first, x.metadata[i].second);
  j.end_object().end_object();

  j.key("architecture").begin_object()
      .field("family", a.family).field("vocab_size", a.vocab_size).field("d_model", a.d_model)
      .field("n_layers", a.n_layers).field("n_heads", a.n_heads).field("head_dim", a.head_dim).field("d_mlp", a.d_mlp)
      .field("max_positions", a.max_positions).field("norm_eps", static_cast<double>(a.norm_eps))
      .field("activation", a.activation).field("positions", a.positions)
      .field("rotary_dims", a.rotary_dims).field("rotary_base", static_cast<double>(a.rotary_base))
      .field("parallel_residual", a.parallel_residual != 0).field("scale_attention", x.scaled)
      .field("scale_attention_by_inverse_layer", x.inverse_layer)
      .field("local_window", a.local_window).field("tied_embeddings", a.tied_embeddings != 0);
  j.key("layer_attention").begin_array();
  for (bool local : x.layer_local) j.value(local ? "local" : "global");
  j.end_array().key("attention_scale").begin_array();
  for (float s : x.layer_scale) j.value(static_cast<double>(s));
  j.end_array().end_object();

  const cbk_parameter_counts& p = x.params;
  j.key("parameters").begin_object()
      .field("embeddings", u64{p.embeddings}).field("attention", u64{p.attention}).field("mlp", u64{p.mlp})
      .field("norms", u64{p.norms}).field("lm_head", u64{p.lm_head}).field("codebooks", u64{p.codebooks})
      .field("total", u64{p.total}).end_object();

  j.key("codebooks").begin_array();
  for (std::size_t i = 0; i < x.books.size(); ++i) {
    const cbk_codebook_info& cb = x.books[i].info;
    j.begin_object().field("layer", cb.layer).field("site", x.books[i].site_name).field("groups", cb.groups)
        .field("codes", cb.codes).field("dim", cb.dim).field("k", cb.k)
        .field("similarity", cb.metric == CBK_METRIC_EUCLIDEAN ? "euclidean" : "inner_product")
        .field("dtype", x.book_dtype[i]).field("exact", static_cast<bool>(x.book_exact[i]))
        .field("bytes", u64{x.book_bytes[i]}).end_object();
  }
  j.end_array();
  j.field("annotations", static_cast<u64>(n_annotations));

  if (x.tok.has_tokenizer) {
    const cbk_tokenizer_info& t = x.tok;
    j.key("tokenizer").begin_object()
        .field("kind", t.kind).field("tokens", static_cast<u64>(x.tok_tokens))
        .field("merges", static_cast<u64>(x.tok_merges)).field("bos_id", t.bos)
        .field("eos_id", t.eos).field("pad_id", t.pad).field("add_bos", t.add_bos != 0).end_object();
  } else {
    j.key("tokenizer").null();
  }
  const cbk_generation_defaults& g = x.gen;
  j.key("generation").begin_object()
      .field("max_new_tokens", g.max_new_tokens).field("temperature", static_cast<double>(g.temperature))
      .field("top_k", g.top_k).field("top_p", static_cast<double>(g.top_p)).field("seed", u64{g.seed}).end_object();
  j.key("tensors").begin_array();
  for (const cbk_tensor_info& t : x.tensors) write_tensor(j, t);
  j.end_array();
  j.key("extras").begin_array();
  for (const cbk_tensor_info& t : x.extras) write_tensor(j, t);
  j.end_array();
  j.end_object();
  return j.str();
}

}  // namespace

int run_info(const std::vector<std::string>& args) {
  std::string path;
  bool json = false;
  cbk_model_params params = cbk_model_default_params();
  for (const std::string& arg : args) {
    if (arg == "--json") json = true;
    else if (arg == "--no-data-checksum") params.verify_checksum = 0;
    else if (arg == "-h" || arg == "--help") { std::fputs(kInfoUsage, stdout); return kExitOk; }
    else if (!arg.empty() && arg[0] == '-') return usage_error("info", "unknown option '" + arg + "'", kInfoUsage);
    else if (path.empty()) path = arg;
    else return usage_error("info", "only one model file, got '" + arg + "' too", kInfoUsage);
  }
  if (path.empty()) return usage_error("info", "missing MODEL.cbk", kInfoUsage);
  cbk_status st = CBK_STATUS_OK;
  model_ptr model = load_model(path.c_str(), &params, &st);
  if (!model) return api_failure("info", st);
  cbk_kind kind = CBK_KIND_TRANSFORMER;
  if ((st = cbk_model_kind(model.get(), &kind))) return api_failure("info", st);
  if (kind == CBK_KIND_DKVB) return info_dkvb(path, model.get(), json);
  if (kind == CBK_KIND_PROTONET) return info_protonet(path, model.get(), json);
  Facts facts;
  if ((st = read_facts(model.get(), &facts))) return api_failure("info", st);
  const std::size_t n_annotations = cbk_model_annotation_count(model.get());
  if (json) std::cout << to_json(path, facts, n_annotations) << "\n";
  else print_text(path, facts, n_annotations);
  return kExitOk;
}

}  // namespace cbk::cli
