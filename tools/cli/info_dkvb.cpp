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
  KindFacts facts;
  cbk_dkvb_info d = sized<cbk_dkvb_info>();
  cbk_status st;
  if ((st = read_kind_facts(m, &facts)) || (st = cbk_model_dkvb_info(m, &d))) return api_failure("info", st);
  const std::uint64_t parameters = facts.parameters;
  const char* decoder = d.decoder == CBK_DKVB_LINEAR ? "linear" : "voting";
  const std::uint64_t all_pairs = static_cast<std::uint64_t>(d.heads) * d.pairs;
  if (json) {
    JsonWriter j;
    j.begin_object().field("path", path).field("kind", "dkvb");
    json_file_field(j, facts);
    j.key("dkvb").begin_object().field("input_dim", d.input_dim).field("encoder_layers", d.encoder_layers)
        .field("embed_dim", d.embed_dim).field("projection", d.has_projection != 0).field("heads", d.heads)
        .field("pairs", d.pairs).field("key_dim", d.key_dim).field("value_dim", d.value_dim)
        .field("classes", d.classes).field("decoder", decoder).field("used_pairs", std::uint64_t{d.used_pairs})
        .field("parameters", parameters).end_object();
    json_metadata_and_tensors(j, facts);
    j.end_object();
    std::cout << j.str() << "\n";
    return kExitOk;
  }
  print_file_and_metadata(path, facts);
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
  print_tensors(facts);
  return kExitOk;
}

}  // namespace cbk::cli
