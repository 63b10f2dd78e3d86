// `cbk info FILE [--json] [--no-data-checksum]`: what a model file contains, after full
// verification. Never crashes on a bad file: it prints one line naming the problem and exits 1.
#include <cstdio>
#include <iostream>

#include "runtime/loader/load_model.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/json_writer.hpp"
#include "tools/cli/model_summary.hpp"

namespace cbk::cli {
namespace {

constexpr const char* kInfoUsage =
    "usage: cbk info MODEL.cbk [--json] [--no-data-checksum]\n"
    "  Verifies a model file and prints its architecture, parameter counts, codebooks,\n"
    "  tokenizer and metadata.\n"
    "  --json              one JSON object on stdout\n"
    "  --no-data-checksum  skip the CRC of the tensor data (faster for very large files)\n";

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string shape_string(const TensorView& t) {
  std::string s = "[";
  for (std::size_t i = 0; i < t.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(t.shape[i]);
  return s + "]";
}

std::string attention_summary(const Architecture& a) {
  std::size_t local = 0;
  for (AttentionKind k : a.layer_attention) local += k == AttentionKind::local;
  std::string s = a.scale_attention ? "scaled 1/sqrt(d)" : "unscaled";
  if (local == 0) return s + ", all layers global";
  return s + ", " + std::to_string(local) + " of " + std::to_string(a.n_layers) + " layers local (window " +
         std::to_string(a.local_window) + ")";
}

void print_text(const std::string& path, const Model& m) {
  const FileFacts& f = m.file();
  const Architecture& a = m.architecture();
  const Metadata& md = m.metadata();
  std::printf("%s\n", path.c_str());
  std::printf("  file:          %s (%s bytes), schema %u.%u, header %s, data section %s at offset %s%s\n",
              human_bytes(f.file_size).c_str(), with_commas(f.file_size).c_str(), f.schema_major, f.schema_minor,
              human_bytes(f.header_size).c_str(), human_bytes(f.data_size).c_str(), with_commas(f.data_offset).c_str(),
              f.memory_mapped ? " (memory-mapped)" : "");
  std::printf("  verification:  ok — structure (FlatBuffers verifier), header CRC-32 %s, data CRC-32 %s, semantics\n",
              hex32(f.header_crc32).c_str(), f.data_crc_verified ? hex32(f.data_crc32).c_str() : "not checked");
  if (!md.name.empty()) std::printf("  name:          %s\n", md.name.c_str());
  if (!md.description.empty()) std::printf("  description:   %s\n", md.description.c_str());
  if (!md.license.empty()) std::printf("  license:       %s\n", md.license.c_str());
  if (!md.source_checkpoint.empty()) std::printf("  source:        %s\n", md.source_checkpoint.c_str());
  if (!md.converter.empty())
    std::printf("  written by:    %s %s\n", md.converter.c_str(), md.converter_version.c_str());
  for (const auto& kv : md.extra) std::printf("  %-14s %s\n", (kv.first + ":").c_str(), kv.second.c_str());

  std::printf("\narchitecture:    %s, %u layers, d_model %u, %u heads x %u, MLP %u (%s), vocab %u, context %u\n",
              to_string(a.family), a.n_layers, a.d_model, a.n_heads, a.head_dim, a.d_mlp, to_string(a.activation),
              a.vocab_size, a.max_positions);
  if (a.positions == PositionKind::rotary)
    std::printf("  positions:     rotary on %u of %u head dims, base %g\n", a.rotary_dims, a.head_dim, a.rotary_base);
  else
    std::printf("  positions:     learned absolute\n");
  std::printf("  residual:      %s; attention %s; LayerNorm eps %g; embeddings %s\n",
              a.parallel_residual ? "parallel" : "sequential", attention_summary(a).c_str(), a.norm_eps,
              a.tied_embeddings ? "tied" : "untied");

  const ParameterCounts p = count_parameters(m);
  std::printf("\nparameters:      %s\n", with_commas(p.total()).c_str());
  const std::pair<const char*, std::uint64_t> kinds[] = {{"embeddings", p.embeddings}, {"attention", p.attention},
                                                         {"mlp", p.mlp}, {"norms", p.norms}, {"lm head", p.lm_head},
                                                         {"codebooks", p.codebooks}};
  for (const auto& [name, n] : kinds) std::printf("  %-14s %14s\n", name, with_commas(n).c_str());

  std::printf("\ncodebooks:       %zu\n", m.codebooks().size());
  if (!m.codebooks().empty()) {
    std::printf("  %3s %5s %-17s %6s %7s %5s %3s %-13s %-5s %10s\n", "#", "layer", "site", "groups", "codes", "dim",
                "k", "metric", "dtype", "bytes");
    for (std::size_t i = 0; i < m.codebooks().size(); ++i) {
      const Codebook& cb = m.codebooks()[i];
      std::printf("  %3zu %5u %-17s %6u %7u %5u %3u %-13s %-5s %10s\n", i, cb.layer, to_string(cb.site), cb.groups,
                  cb.codes, cb.dim, cb.k, to_string(cb.similarity), to_string(cb.group_data[0].codes.dtype),
                  with_commas(codebook_bytes(cb)).c_str());
    }
  }
  if (!m.annotations().empty()) std::printf("  annotations:   %zu codes annotated\n", m.annotations().size());

  if (m.has_tokenizer()) {
    const TokenizerData& t = m.tokenizer();
    std::printf("\ntokenizer:       %s, %zu tokens, %zu merges, bos %d, eos %d, pad %d%s\n", to_string(t.kind),
                t.tokens.size(), t.merges.size(), t.bos_id, t.eos_id, t.pad_id, t.add_bos ? ", prepends bos" : "");
  } else {
    std::printf("\ntokenizer:       none (token ids only)\n");
  }
  const GenerationDefaults& g = m.generation();
  std::printf("generation:      %u new tokens, temperature %g, top-k %u, top-p %g, seed %llu\n", g.max_new_tokens,
              g.temperature, g.top_k, g.top_p, static_cast<unsigned long long>(g.seed));
  if (!m.extras().empty()) {
    std::printf("extras:\n");
    for (const TensorView& t : m.extras())
      std::printf("  %-24s %-5s %-16s %s\n", t.name.c_str(), to_string(t.dtype), shape_string(t).c_str(),
                  human_bytes(t.bytes).c_str());
  }
}

void write_tensor(JsonWriter& j, const TensorView& t) {
  j.begin_object().field("name", t.name).field("dtype", to_string(t.dtype));
  j.key("shape").begin_array();
  for (std::uint64_t d : t.shape) j.value(d);
  j.end_array().field("offset", t.file_offset).field("bytes", t.bytes).end_object();
}

std::string to_json(const std::string& path, const Model& m) {
  const FileFacts& f = m.file();
  const Architecture& a = m.architecture();
  JsonWriter j;
  j.begin_object().field("path", path);
  j.key("file").begin_object()
      .field("size", f.file_size).field("schema_version", std::to_string(f.schema_major) + "." + std::to_string(f.schema_minor))
      .field("header_size", f.header_size).field("data_offset", f.data_offset).field("data_size", f.data_size)
      .field("memory_mapped", f.memory_mapped).end_object();
  j.key("verification").begin_object()
      .field("ok", true).field("header_crc32", hex32(f.header_crc32))
      .field("data_crc32", hex32(f.data_crc32)).field("data_crc_checked", f.data_crc_verified).end_object();
  const Metadata& md = m.metadata();
  j.key("metadata").begin_object()
      .field("name", md.name).field("description", md.description).field("license", md.license)
      .field("source_checkpoint", md.source_checkpoint).field("converter", md.converter)
      .field("converter_version", md.converter_version);
  j.key("extra").begin_object();
  for (const auto& kv : md.extra) j.field(kv.first, kv.second);
  j.end_object().end_object();

  j.key("architecture").begin_object()
      .field("family", to_string(a.family)).field("vocab_size", a.vocab_size).field("d_model", a.d_model)
      .field("n_layers", a.n_layers).field("n_heads", a.n_heads).field("head_dim", a.head_dim).field("d_mlp", a.d_mlp)
      .field("max_positions", a.max_positions).field("norm_eps", static_cast<double>(a.norm_eps))
      .field("activation", to_string(a.activation)).field("positions", to_string(a.positions))
      .field("rotary_dims", a.rotary_dims).field("rotary_base", static_cast<double>(a.rotary_base))
      .field("parallel_residual", a.parallel_residual).field("scale_attention", a.scale_attention)
      .field("local_window", a.local_window).field("tied_embeddings", a.tied_embeddings);
  j.key("layer_attention").begin_array();
  for (AttentionKind k : a.layer_attention) j.value(to_string(k));
  j.end_array().end_object();

  const ParameterCounts p = count_parameters(m);
  j.key("parameters").begin_object()
      .field("embeddings", p.embeddings).field("attention", p.attention).field("mlp", p.mlp).field("norms", p.norms)
      .field("lm_head", p.lm_head).field("codebooks", p.codebooks).field("total", p.total()).end_object();

  j.key("codebooks").begin_array();
  for (const Codebook& cb : m.codebooks())
    j.begin_object().field("layer", cb.layer).field("site", to_string(cb.site)).field("groups", cb.groups)
        .field("codes", cb.codes).field("dim", cb.dim).field("k", cb.k).field("similarity", to_string(cb.similarity))
        .field("dtype", to_string(cb.group_data[0].codes.dtype)).field("bytes", codebook_bytes(cb)).end_object();
  j.end_array();
  j.field("annotations", static_cast<std::uint64_t>(m.annotations().size()));

  if (m.has_tokenizer()) {
    const TokenizerData& t = m.tokenizer();
    j.key("tokenizer").begin_object()
        .field("kind", to_string(t.kind)).field("tokens", static_cast<std::uint64_t>(t.tokens.size()))
        .field("merges", static_cast<std::uint64_t>(t.merges.size())).field("bos_id", t.bos_id)
        .field("eos_id", t.eos_id).field("pad_id", t.pad_id).field("add_bos", t.add_bos).end_object();
  } else {
    j.key("tokenizer").null();
  }
  const GenerationDefaults& g = m.generation();
  j.key("generation").begin_object()
      .field("max_new_tokens", g.max_new_tokens).field("temperature", static_cast<double>(g.temperature))
      .field("top_k", g.top_k).field("top_p", static_cast<double>(g.top_p)).field("seed", g.seed).end_object();
  j.key("tensors").begin_array();
  for (const TensorView& t : m.tensors()) write_tensor(j, t);
  j.end_array();
  j.key("extras").begin_array();
  for (const TensorView& t : m.extras()) write_tensor(j, t);
  j.end_array();
  j.end_object();
  return j.str();
}

}  // namespace

int run_info(const std::vector<std::string>& args) {
  std::string path;
  bool json = false;
  LoadOptions options;
  for (const std::string& arg : args) {
    if (arg == "--json") json = true;
    else if (arg == "--no-data-checksum") options.verify_data_checksum = false;
    else if (arg == "-h" || arg == "--help") { std::fputs(kInfoUsage, stdout); return kExitOk; }
    else if (!arg.empty() && arg[0] == '-') { std::fprintf(stderr, "cbk info: unknown option '%s'\n%s", arg.c_str(), kInfoUsage); return kExitUsage; }
    else if (path.empty()) path = arg;
    else { std::fprintf(stderr, "cbk info: only one model file, got '%s' too\n%s", arg.c_str(), kInfoUsage); return kExitUsage; }
  }
  if (path.empty()) {
    std::fprintf(stderr, "cbk info: missing MODEL.cbk\n%s", kInfoUsage);
    return kExitUsage;
  }
  std::shared_ptr<const Model> model;
  Error e = load_model_file(path, options, &model);
  if (!e.ok()) {
    std::fprintf(stderr, "cbk info: %s: %s\n", status_name(e.status), e.message.c_str());
    return kExitFailure;
  }
  if (json) std::cout << to_json(path, *model) << "\n";
  else print_text(path, *model);
  return kExitOk;
}

}  // namespace cbk::cli
