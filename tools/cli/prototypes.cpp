// `cbk prototypes MODEL.cbk [--png OUT.png] [--scale N] [--columns N]`: a prototype network's
// prototypes: the class the model gives the rendered prototype, the class of its most negative
// weight (logits are d . W: being far from the prototype costs that class most) and, with --png,
// every decoded prototype in a grid.
#include <cstdio>

#include "tools/cli/api_util.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/images.hpp"

namespace cbk::cli {
namespace {

constexpr const char* kPrototypesUsage =
    "usage: cbk prototypes MODEL.cbk [--png OUT.png] [--scale N] [--columns N]\n"
    "  Lists a prototype network's prototypes with the class the model gives each rendered prototype\n"
    "  and the class of its most negative weight, and writes the decoded prototypes as a PNG grid.\n"
    "  --png OUT.png   write the grid (prototype 0 top left, row by row)\n"
    "  --scale N       pixels per image pixel, 1..16 (default 4)\n"
    "  --columns N     prototypes per grid row (default 5)\n";

}  // namespace

int run_prototypes(const std::vector<std::string>& args) {
  std::string model_path, png;
  long long scale = 4, columns = 5;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::printf("%s", kPrototypesUsage);
      return kExitOk;
    } else if (a == "--png" && i + 1 < args.size()) {
      png = args[++i];
    } else if (a == "--scale") {
      if (i + 1 >= args.size() || !parse_count(args[++i], 1, 16, &scale))
        return usage_error("prototypes", "--scale needs an integer in [1, 16]", kPrototypesUsage);
    } else if (a == "--columns") {
      if (i + 1 >= args.size() || !parse_count(args[++i], 1, 1024, &columns))
        return usage_error("prototypes", "--columns needs an integer in [1, 1024]", kPrototypesUsage);
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("prototypes", "unknown option '" + a + "'", kPrototypesUsage);
    } else if (model_path.empty()) {
      model_path = a;
    } else {
      return usage_error("prototypes", "expected one MODEL.cbk", kPrototypesUsage);
    }
  }
  if (model_path.empty()) return usage_error("prototypes", "expected MODEL.cbk", kPrototypesUsage);
  cbk_status st = CBK_STATUS_OK;
  model_ptr model = load_model(model_path.c_str(), nullptr, &st);
  if (!model) return api_failure("prototypes", st);
  cbk_protonet_info info = sized<cbk_protonet_info>();
  if ((st = cbk_model_protonet_info(model.get(), &info))) return api_failure("prototypes", st);
  if (info.prototypes == 0) return failure("prototypes", "'" + model_path + "' is a baseline: it has no prototypes");
  protonet_ptr net = create_protonet(model.get(), &st);
  if (!net) return api_failure("prototypes", st);

  const std::size_t h = info.image_height, w = info.image_width, plane = h * w;
  const std::size_t cols = static_cast<std::size_t>(columns) < info.prototypes ? static_cast<std::size_t>(columns)
                                                                                : info.prototypes;
  const std::size_t rows = (info.prototypes + cols - 1) / cols, s = static_cast<std::size_t>(scale), gap = s;
  const std::size_t gw = cols * (w * s + gap) + gap, gh = rows * (h * s + gap) + gap;
  std::vector<std::uint8_t> grid(gw * gh, 255);
  std::vector<float> image(info.image_channels * plane), weights(info.classes);
  for (std::uint32_t j = 0; j < info.prototypes; ++j) {
    if ((st = cbk_protonet_render_prototype(net.get(), j, image.data(), image.size())) ||
        (st = cbk_protonet_prototype_weights(net.get(), j, weights.data(), weights.size())))
      return api_failure("prototypes", st);
    std::uint32_t votes = 0;
    for (std::uint32_t c = 1; c < info.classes; ++c) votes = weights[c] < weights[votes] ? c : votes;
    std::int32_t seen_as = -1;  // the model's class for the rendered image
    if ((st = cbk_protonet_classify(net.get(), image.data(), image.size(), &seen_as))) return api_failure("prototypes", st);
    const char *name = "", *seen_name = "";
    if ((st = cbk_protonet_class_name(model.get(), votes, &name)) ||
        (st = cbk_protonet_class_name(model.get(), static_cast<std::uint32_t>(seen_as), &seen_name)))
      return api_failure("prototypes", st);
    std::printf("prototype %u: rendered image classified as %s; most negative weight %s (%.3f)\n", j, seen_name, name,
                static_cast<double>(weights[votes]));
    const std::size_t x0 = gap + (j % cols) * (w * s + gap), y0 = gap + (j / cols) * (h * s + gap);
    for (std::size_t y = 0; y < h * s; ++y)
      for (std::size_t x = 0; x < w * s; ++x) {
        const float v = image[(y / s) * w + x / s];  // the first channel: the models are grayscale
        const float clamped = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        grid[(y0 + y) * gw + x0 + x] = static_cast<std::uint8_t>(255.0f - 255.0f * clamped + 0.5f);  // dark ink on white
      }
  }
  std::string error;
  if (!png.empty()) {
    if (!write_png_gray(png, grid, gw, gh, &error)) return failure("prototypes", error);
    std::printf("wrote %s (%zux%zu)\n", png.c_str(), gw, gh);
  }
  return kExitOk;
}

}  // namespace cbk::cli
