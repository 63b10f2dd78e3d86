// `cbk info` for a DKVB model: the file, the classifier's shape (encoder, heads, pairs, decoder,
// used pairs), metadata and tensors. Built on the C API only.
#include <cstdio>
#include <iostream>

#include "tools/cli/api_util.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/info_kinds.hpp"
#include "tools/cli/json_writer.hpp"
#include "tools/cli/model_summary.hpp"

namespace cbk::cli {

int info_dkvb(const std::string& path, const cbk_model* m, bool json) {
  cbk_file_info f = sized<cbk_file_info>();
  cbk_dkvb_info d = sized<cbk_dkvb_info>();
  cbk_status st;
  if ((st = cbk_model_file_info(m, &f)) || (st = cbk_model_dkvb_info(m, &d))) return api_failure("info", st);
  std::vector<std::pair<std::string, std::string>> metadata;
  for (std::size_t i = 0; i < cbk_model_metadata_count(m); ++i) {
    const char *k = nullptr, *v = nullptr;
    if ((st = cbk_model_metadata_at(m, i, &k, &v))) return api_failure("info", st);
    if (*v) metadata.emplace_back(k, v);
  }
  std::vector<cbk_tensor_info> tensors(cbk_model_tensor_count(m, CBK_TENSORS_MODEL), sized<cbk_tensor_info>());
  std::uint64_t parameters = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if ((st = cbk_model_tensor_info(m, CBK_TENSORS_MODEL, i, &tensors[i]))) return api_failure("info", st);
    if (std::string(tensors[i].dtype) == "f32") parameters += tensors[i].elements;
  }
  const char* decoder = d.decoder == CBK_DKVB_LINEAR ? "linear" : "voting";
  const std::uint64_t all_pairs = static_cast<std::uint64_t>(d.heads) * d.pairs;
  if (json) {
    JsonWriter j;
    j.begin_object().field("path", path).field("kind", "dkvb");
    j.key("file").begin_object().field("size", std::uint64_t{f.file_size})
        .field("schema_version", std::to_string(f.schema_major) + "." + std::to_string(f.schema_minor))
        .field("data_crc_checked", f.data_crc_verified != 0).end_object();
    j.key("dkvb").begin_object().field("input_dim", d.input_dim).field("encoder_layers", d.encoder_layers)
        .field("embed_dim", d.embed_dim).field("projection", d.has_projection != 0).field("heads", d.heads)
        .field("pairs", d.pairs).field("key_dim", d.key_dim).field("value_dim", d.value_dim)
        .field("classes", d.classes).field("decoder", decoder).field("used_pairs", std::uint64_t{d.used_pairs})
        .field("parameters", parameters).end_object();
    j.key("metadata").begin_object();
    for (const auto& [k, v] : metadata) j.field(k, v);
    j.end_object().key("tensors").begin_array();
    for (const cbk_tensor_info& t : tensors) {
      j.begin_object().field("name", t.name).field("dtype", t.dtype).key("shape").begin_array();
      for (std::size_t i = 0; i < t.n_dims; ++i) j.value(static_cast<std::uint64_t>(t.shape[i]));
      j.end_array().field("bytes", std::uint64_t{t.bytes}).end_object();
    }
    j.end_array().end_object();
    std::cout << j.str() << "\n";
    return kExitOk;
  }
  std::printf("%s\n", path.c_str());
  std::printf("  file:          %s (%s bytes), schema %u.%u, data CRC-32 %s\n", human_bytes(f.file_size).c_str(),
              with_commas(f.file_size).c_str(), f.schema_major, f.schema_minor,
              f.data_crc_verified ? "checked" : "not checked");
  std::printf("  verification:  ok — structure, checksums, semantics\n");
  for (const auto& [k, v] : metadata) std::printf("  %-14s %s\n", (k + ":").c_str(), v.c_str());
  std::printf("\nkind:            dkvb (Discrete Key-Value Bottleneck classifier)\n");
  std::printf("  encoder:       %s, %u -> %u\n", d.encoder_layers ? (std::to_string(d.encoder_layers) + "-layer MLP (ReLU)").c_str()
                                                                   : "identity",
              d.input_dim, d.embed_dim);
  std::printf("  projection:    %s\n", d.has_projection ? ("fixed, " + std::to_string(d.embed_dim) + " -> " +
                                                           std::to_string(d.heads) + " x " + std::to_string(d.key_dim)).c_str()
                                                        : "none (each head reads its slice of the embedding)");
  std::printf("  key-value:     %u heads x %u pairs, key_dim %u, value_dim %u; %s of %s pairs used\n", d.heads, d.pairs,
              d.key_dim, d.value_dim, with_commas(d.used_pairs).c_str(), with_commas(all_pairs).c_str());
  std::printf("  decoder:       %s, %u classes\n", decoder, d.classes);
  std::printf("  parameters:    %s\n", with_commas(parameters).c_str());
  std::printf("tensors:\n");
  for (const cbk_tensor_info& t : tensors) {
    std::string shape = "[";
    for (std::size_t i = 0; i < t.n_dims; ++i) shape += (i ? ", " : "") + std::to_string(t.shape[i]);
    std::printf("  %-24s %-5s %-18s %s\n", t.name, t.dtype, (shape + "]").c_str(), human_bytes(t.bytes).c_str());
  }
  return kExitOk;
}

}  // namespace cbk::cli
