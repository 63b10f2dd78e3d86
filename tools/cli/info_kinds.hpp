// `cbk info` per model kind: info.cpp describes transformers and dispatches the other kinds here.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bindings/c/include/cbk.h"
#include "tools/cli/json_writer.hpp"

namespace cbk::cli {

int info_dkvb(const std::string& path, const cbk_model* model, bool json);      // tools/cli/info_dkvb.cpp
int info_protonet(const std::string& path, const cbk_model* model, bool json);  // tools/cli/info_protonet.cpp

// The parts every kind reports alike (tools/cli/info_kind_facts.cpp).
struct KindFacts {
  cbk_file_info file;
  std::vector<std::pair<std::string, std::string>> metadata;  // non-empty values only
  std::vector<cbk_tensor_info> tensors;
  std::uint64_t parameters = 0;                               // f32 elements of the tensors
};
cbk_status read_kind_facts(const cbk_model* model, KindFacts* out);
void json_file_field(JsonWriter& j, const KindFacts& facts);            // "file": {...}
void json_metadata_and_tensors(JsonWriter& j, const KindFacts& facts);  // "metadata": {...}, "tensors": [...]
void print_file_and_metadata(const std::string& path, const KindFacts& facts);
void print_tensors(const KindFacts& facts);

}  // namespace cbk::cli
