// The DKVB case of `cbk classify`, and the steered classifier dkvb-eval shares.
#include <cstdio>

#include "tools/cli/api_util.hpp"
#include "tools/cli/classify.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/json_writer.hpp"

namespace cbk::cli {

dkvb_ptr steered_dkvb(const cbk_model* model, const ClassifyOptions& o, const char* verb) {
  cbk_status st = CBK_STATUS_OK;
  dkvb_ptr d = create_dkvb(model, &st);
  if (!d) {
    api_failure(verb, st);
    return nullptr;
  }
  if (o.no_file_mask && (st = cbk_dkvb_use_file_mask(d.get(), 0))) {
    api_failure(verb, st);
    return nullptr;
  }
  for (const auto& [head, keys] : o.mask)
    if ((st = cbk_dkvb_mask_pairs(d.get(), head, keys.data(), keys.size(), 1))) {
      api_failure(verb, st);
      return nullptr;
    }
  for (const auto& [head, key] : o.force)
    if ((st = cbk_dkvb_force_key(d.get(), head, key))) {
      api_failure(verb, st);
      return nullptr;
    }
  return d;
}

int classify_dkvb(const cbk_model* model, const Vectors& inputs, const ClassifyOptions& o) {
  cbk_dkvb_info info = sized<cbk_dkvb_info>();
  cbk_status st = cbk_model_dkvb_info(model, &info);
  if (st) return api_failure("classify", st);
  dkvb_ptr d = steered_dkvb(model, o, "classify");
  if (!d) return kExitFailure;
  const std::size_t rows = inputs.rows();
  std::vector<std::int32_t> keys(rows * info.heads);
  std::vector<float> logits(rows * info.classes);
  if ((st = cbk_dkvb_classify(d.get(), inputs.values.data(), rows, inputs.width, keys.data(), keys.size(),
                              logits.data(), logits.size())))
    return api_failure("classify", st);
  auto best = [&](std::size_t r) {
    std::size_t b = 0;
    for (std::size_t k = 1; k < info.classes; ++k) b = logits[r * info.classes + k] > logits[r * info.classes + b] ? k : b;
    return b;
  };
  if (o.json) {
    JsonWriter j;
    j.begin_object().field("model", o.model_path).field("kind", "dkvb")
        .field("heads", static_cast<std::uint64_t>(info.heads)).field("classes", static_cast<std::uint64_t>(info.classes))
        .key("rows").begin_array();
    for (std::size_t r = 0; r < rows; ++r) {
      j.begin_object().field("class", static_cast<std::uint64_t>(best(r))).key("keys").begin_array();
      for (std::size_t h = 0; h < info.heads; ++h) j.value(static_cast<std::int64_t>(keys[r * info.heads + h]));
      j.end_array().key("logits").begin_array();
      for (std::size_t k = 0; k < info.classes; ++k) j.value(static_cast<double>(logits[r * info.classes + k]));
      j.end_array().end_object();
    }
    j.end_array().end_object();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  for (std::size_t r = 0; r < rows; ++r) {
    std::printf("%zu: class %zu  keys", r, best(r));
    for (std::size_t h = 0; h < info.heads; ++h) std::printf("%s%d", h ? "," : " ", keys[r * info.heads + h]);
    std::printf("  logits");
    for (std::size_t k = 0; k < info.classes; ++k) std::printf(" %.6g", static_cast<double>(logits[r * info.classes + k]));
    std::printf("\n");
  }
  return kExitOk;
}

}  // namespace cbk::cli
