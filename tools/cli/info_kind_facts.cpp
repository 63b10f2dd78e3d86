// What `cbk info` reports for every non-transformer kind alike: the file, its metadata and its
// tensor table (tools/cli/info_kinds.hpp).
#include <cstdio>

#include "tools/cli/api_util.hpp"
#include "tools/cli/info_kinds.hpp"
#include "tools/cli/model_summary.hpp"

namespace cbk::cli {

cbk_status read_kind_facts(const cbk_model* m, KindFacts* out) {
  out->file = sized<cbk_file_info>();
  cbk_status st = cbk_model_file_info(m, &out->file);
  if (st) return st;
  for (std::size_t i = 0; i < cbk_model_metadata_count(m); ++i) {
    const char *k = nullptr, *v = nullptr;
    if ((st = cbk_model_metadata_at(m, i, &k, &v))) return st;
    if (*v) out->metadata.emplace_back(k, v);
  }
  out->tensors.assign(cbk_model_tensor_count(m, CBK_TENSORS_MODEL), sized<cbk_tensor_info>());
  out->parameters = 0;
  for (std::size_t i = 0; i < out->tensors.size(); ++i) {
    if ((st = cbk_model_tensor_info(m, CBK_TENSORS_MODEL, i, &out->tensors[i]))) return st;
    if (std::string(out->tensors[i].dtype) == "f32") out->parameters += out->tensors[i].elements;
  }
  return CBK_STATUS_OK;
}

void json_file_field(JsonWriter& j, const KindFacts& f) {
  j.key("file").begin_object().field("size", std::uint64_t{f.file.file_size})
      .field("schema_version", std::to_string(f.file.schema_major) + "." + std::to_string(f.file.schema_minor))
      .field("data_crc_checked", f.file.data_crc_verified != 0).end_object();
}

void json_metadata_and_tensors(JsonWriter& j, const KindFacts& f) {
  j.key("metadata").begin_object();
  for (const auto& [k, v] : f.metadata) j.field(k, v);
  j.end_object().key("tensors").begin_array();
  for (const cbk_tensor_info& t : f.tensors) {
    j.begin_object().field("name", t.name).field("dtype", t.dtype).key("shape").begin_array();
    for (std::size_t i = 0; i < t.n_dims; ++i) j.value(static_cast<std::uint64_t>(t.shape[i]));
    j.end_array().field("bytes", std::uint64_t{t.bytes}).end_object();
  }
  j.end_array();
}

void print_file_and_metadata(const std::string& path, const KindFacts& f) {
  std::printf("%s\n", path.c_str());
  std::printf("  file:          %s (%s bytes), schema %u.%u, data CRC-32 %s\n", human_bytes(f.file.file_size).c_str(),
              with_commas(f.file.file_size).c_str(), f.file.schema_major, f.file.schema_minor,
              f.file.data_crc_verified ? "checked" : "not checked");
  std::printf("  verification:  ok — structure, checksums, semantics\n");
  for (const auto& [k, v] : f.metadata) std::printf("  %-14s %s\n", (k + ":").c_str(), v.c_str());
}

void print_tensors(const KindFacts& f) {
  std::printf("tensors:\n");
  for (const cbk_tensor_info& t : f.tensors) {
    std::string shape = "[";
    for (std::size_t i = 0; i < t.n_dims; ++i) shape += (i ? ", " : "") + std::to_string(t.shape[i]);
    std::printf("  %-24s %-5s %-18s %s\n", t.name, t.dtype, (shape + "]").c_str(), human_bytes(t.bytes).c_str());
  }
}

}  // namespace cbk::cli
