// The prototype-network case of `cbk classify`: each image's class, its nearest prototypes with
// their squared distances, or with --labels the accuracy over the file (the README's evaluation).
#include <cstdio>

#include "tools/cli/api_util.hpp"
#include "tools/cli/classify.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/images.hpp"
#include "tools/cli/json_writer.hpp"

namespace cbk::cli {

int classify_protonet(const cbk_model* model, const ClassifyOptions& o) {
  cbk_protonet_info info = sized<cbk_protonet_info>();
  cbk_status st = cbk_model_protonet_info(model, &info);
  if (st) return api_failure("classify", st);
  Images images, labels;
  std::string error;
  if (o.input_path == "-") return failure("classify", "a prototype network reads an IDX or PGM file, not standard input");
  if (!read_images(o.input_path, &images, &error)) return failure("classify", error);
  if (info.image_channels != 1 || images.height != info.image_height || images.width != info.image_width)
    return failure("classify", "the images are " + std::to_string(images.height) + "x" + std::to_string(images.width) +
                                   "; the model reads " + std::to_string(info.image_channels) + "x" +
                                   std::to_string(info.image_height) + "x" + std::to_string(info.image_width));
  const bool labelled = !o.labels_path.empty();
  if (labelled) {
    if (!read_idx(o.labels_path, &labels, &error)) return failure("classify", error);
    if (labels.height != 1 || labels.count != images.count)
      return failure("classify", "'" + o.labels_path + "' does not hold one label per image");
  }
  std::size_t n = images.count;
  if (o.limit > 0 && static_cast<std::size_t>(o.limit) < n) n = static_cast<std::size_t>(o.limit);
  std::vector<const char*> names(info.classes);
  for (std::uint32_t c = 0; c < info.classes; ++c)
    if ((st = cbk_protonet_class_name(model, c, &names[c]))) return api_failure("classify", st);

  protonet_ptr net = create_protonet(model, &st);
  if (!net) return api_failure("classify", st);
  const std::size_t plane = images.height * images.width;
  std::vector<float> pixels(plane), dist(info.prototypes);
  std::vector<std::int32_t> nearest(info.prototypes);
  std::size_t correct = 0;
  JsonWriter j;
  if (o.json) {
    j.begin_object().field("model", o.model_path).field("kind", "protonet")
        .field("prototypes", static_cast<std::uint64_t>(info.prototypes)).field("images", static_cast<std::uint64_t>(n));
    if (!labelled) j.key("rows").begin_array();
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t p = 0; p < plane; ++p) pixels[p] = static_cast<float>(images.pixels[i * plane + p]) / 255.0f;
    std::int32_t predicted = -1;
    std::size_t m = 0, n_near = 0;
    if ((st = cbk_protonet_classify(net.get(), pixels.data(), plane, &predicted)) ||
        (st = cbk_protonet_distances(net.get(), dist.data(), dist.size(), &m)) ||
        (st = cbk_protonet_nearest(net.get(), nearest.data(), nearest.size(), &n_near)))
      return api_failure("classify", st);
    if (labelled) {
      correct += predicted == static_cast<std::int32_t>(labels.pixels[i]);
      continue;
    }
    const std::size_t shown = n_near < 3 ? n_near : 3;
    if (o.json) {
      j.begin_object().field("class", static_cast<std::int64_t>(predicted)).field("name", names[size_t(predicted)])
          .key("nearest").begin_array();
      for (std::size_t k = 0; k < n_near; ++k) j.value(static_cast<std::int64_t>(nearest[k]));
      j.end_array().key("distances").begin_array();
      for (std::size_t k = 0; k < m; ++k) j.value(static_cast<double>(dist[k]));
      j.end_array().end_object();
    } else {
      std::printf("%zu: %s (class %d)", i, names[size_t(predicted)], predicted);
      if (shown) std::printf("; nearest prototypes");
      for (std::size_t k = 0; k < shown; ++k)
        std::printf(" %d (d=%.3f)", nearest[k], static_cast<double>(dist[size_t(nearest[k])]));
      std::printf("\n");
    }
  }
  const double accuracy = n ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
  if (o.json) {
    if (labelled)
      j.field("correct", static_cast<std::uint64_t>(correct)).field("accuracy", accuracy);
    else
      j.end_array();
    j.end_object();
    std::printf("%s\n", j.str().c_str());
  } else if (labelled) {
    std::printf("accuracy %.4f (%zu of %zu images)\n", accuracy, correct, n);
  }
  return kExitOk;
}

}  // namespace cbk::cli
