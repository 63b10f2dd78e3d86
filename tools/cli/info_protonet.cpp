// `cbk info` for a prototype network: the file, the network's shape (image, encoder, latent,
// prototypes or the baseline's linear head, decoder, classes), metadata and tensors. C API only.
#include <cstdio>
#include <iostream>

#include "tools/cli/api_util.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/info_kinds.hpp"
#include "tools/cli/model_summary.hpp"

namespace cbk::cli {

int info_protonet(const std::string& path, const cbk_model* m, bool json) {
  KindFacts facts;
  cbk_protonet_info p = sized<cbk_protonet_info>();
  cbk_status st;
  if ((st = read_kind_facts(m, &facts)) || (st = cbk_model_protonet_info(m, &p))) return api_failure("info", st);
  std::vector<std::string> classes(p.classes);
  for (std::uint32_t c = 0; c < p.classes; ++c) {
    const char* name = "";
    if ((st = cbk_protonet_class_name(m, c, &name))) return api_failure("info", st);
    classes[c] = name;
  }
  const std::string image = std::to_string(p.image_channels) + "x" + std::to_string(p.image_height) + "x" +
                            std::to_string(p.image_width);
  if (json) {
    JsonWriter j;
    j.begin_object().field("path", path).field("kind", "protonet");
    json_file_field(j, facts);
    j.key("protonet").begin_object().field("image", image).field("latent_dim", p.latent_dim)
        .field("prototypes", p.prototypes).field("classes", p.classes).field("parameters", facts.parameters)
        .key("class_names").begin_array();
    for (const std::string& c : classes) j.value(c);
    j.end_array().end_object();
    json_metadata_and_tensors(j, facts);
    j.end_object();
    std::cout << j.str() << "\n";
    return kExitOk;
  }
  print_file_and_metadata(path, facts);
  std::printf("\nkind:            protonet (prototype network)\n");
  std::printf("  image:         %s\n", image.c_str());
  std::printf("  latent:        %u floats\n", p.latent_dim);
  if (p.prototypes)
    std::printf("  prototypes:    %u, logits = squared distances . class weights; decoder renders them\n", p.prototypes);
  else
    std::printf("  head:          linear (a baseline without prototypes)\n");
  std::string names;
  for (const std::string& c : classes) names += (names.empty() ? "" : ", ") + c;
  std::printf("  classes:       %u (%s)\n", p.classes, names.c_str());
  std::printf("  parameters:    %s\n", with_commas(facts.parameters).c_str());
  print_tensors(facts);
  return kExitOk;
}

}  // namespace cbk::cli
