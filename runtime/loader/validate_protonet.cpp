// Semantic validation of a prototype network (schema table ProtoNetModel): every conv's geometry
// chains from the image shape to the latent and back, every tensor has the shape and dtype its
// layer needs, and the head is either prototypes + class weights (with a decoder) or the
// baseline's linear layer. Runs before any tensor data is bound; finiteness is checked by
// verify_data over protonet_tensors().
#include <string>

#include "runtime/loader/loader_internal.hpp"

namespace cbk::loader {
namespace {

// Bounds that keep every buffer the engine allocates small and every product far from overflow.
constexpr std::uint64_t kMaxImageSide = 4096;
constexpr std::uint64_t kMaxChannels = 4096;
constexpr std::uint64_t kMaxKernel = 15;
constexpr std::uint64_t kMaxStride = 8;
constexpr std::uint64_t kMaxLayers = 32;
constexpr std::uint64_t kMaxActivation = 1ull << 24;  // floats in one layer's input or output
constexpr std::uint64_t kMaxPrototypes = 128;  // one distance-kernel call ranks them all (simd::kMaxTopK)
constexpr std::uint64_t kMaxClasses = 4096;
constexpr std::uint64_t kMaxClassName = 256;

Error arch(const std::string& what) { return Error(Status::bad_architecture, "protonet: " + what); }

std::string dims(std::uint64_t c, std::uint64_t h, std::uint64_t w) {
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

Error check_tensor(const TensorView& t, std::vector<std::uint64_t> want, const std::string& role) {
  if (t.dtype != DType::f32)
    return Error(Status::bad_dtype, "protonet: " + role + " '" + t.name + "' is " + to_string(t.dtype) + ", must be f32");
  if (t.shape != want) {
    std::string s = "[";
    for (std::size_t i = 0; i < want.size(); ++i) s += (i ? ", " : "") + std::to_string(want[i]);
    return Error(Status::shape_mismatch, "protonet: " + role + " '" + t.name + "' must have shape " + s + "]");
  }
  return Error();
}

// Checks one stack of convs (the encoder: plain, or the decoder: transposed) starting from a
// c x h x w input; leaves the output shape in c, h, w.
Error check_stack(const std::vector<ProtoNetConv>& stack, bool transposed, const char* name, std::uint64_t& c,
                  std::uint64_t& h, std::uint64_t& w) {
  if (stack.empty() || stack.size() > kMaxLayers)
    return arch(std::string(name) + " needs 1 to " + std::to_string(kMaxLayers) + " conv layers, has " +
                std::to_string(stack.size()));
  for (std::size_t i = 0; i < stack.size(); ++i) {
    const ProtoNetConv& l = stack[i];
    const std::string where = std::string(name) + "[" + std::to_string(i) + "]";
    if (l.transposed != transposed)
      return arch(where + " must be a " + (transposed ? "transposed conv" : "plain conv"));
    if (l.in_channels != c)
      return arch(where + " reads " + std::to_string(l.in_channels) + " channels, its input has " + std::to_string(c));
    if (l.out_channels == 0 || l.out_channels > kMaxChannels)
      return arch(where + " has " + std::to_string(l.out_channels) + " output channels (1 to " +
                  std::to_string(kMaxChannels) + ")");
    if (l.kernel == 0 || l.kernel > kMaxKernel) return arch(where + " kernel " + std::to_string(l.kernel) + " is not 1 to 15");
    if (l.stride == 0 || l.stride > kMaxStride) return arch(where + " stride " + std::to_string(l.stride) + " is not 1 to 8");
    if (l.padding >= l.kernel) return arch(where + " padding " + std::to_string(l.padding) + " is not below the kernel");
    if (transposed ? l.output_padding >= l.stride : l.output_padding != 0)
      return arch(where + " output_padding " + std::to_string(l.output_padding) +
                  (transposed ? " is not below the stride" : " is only for transposed convs"));
    if (static_cast<std::uint8_t>(l.activation) > static_cast<std::uint8_t>(ProtoNetActivation::sigmoid))
      return arch(where + " activation " + std::to_string(static_cast<unsigned>(l.activation)) + " is unknown");
    const std::uint64_t oh = l.output_size(h), ow = l.output_size(w);
    if (oh == 0 || ow == 0 || oh > kMaxImageSide || ow > kMaxImageSide ||
        l.out_channels * oh * ow > kMaxActivation)
      return arch(where + " turns a " + dims(c, h, w) + " input into an unusable " + dims(l.out_channels, oh, ow) +
                  " output");
    const std::vector<std::uint64_t> wshape =
        transposed ? std::vector<std::uint64_t>{l.in_channels, l.out_channels, l.kernel, l.kernel}
                   : std::vector<std::uint64_t>{l.out_channels, l.in_channels, l.kernel, l.kernel};
    if (Error e = check_tensor(l.weight, wshape, where + ".weight"); !e.ok()) return e;
    if (Error e = check_tensor(l.bias, {l.out_channels}, where + ".bias"); !e.ok()) return e;
    c = l.out_channels;
    h = oh;
    w = ow;
  }
  return Error();
}

}  // namespace

Error validate_protonet(const ModelContents& contents) {
  const ProtoNetContents& p = contents.protonet;
  if (p.image_channels == 0 || p.image_channels > kMaxChannels || p.image_height == 0 ||
      p.image_height > kMaxImageSide || p.image_width == 0 || p.image_width > kMaxImageSide ||
      std::uint64_t{p.image_channels} * p.image_height * p.image_width > kMaxActivation)
    return arch("image shape " + dims(p.image_channels, p.image_height, p.image_width) + " is not usable");
  std::uint64_t c = p.image_channels, h = p.image_height, w = p.image_width;
  if (Error e = check_stack(p.encoder, false, "encoder", c, h, w); !e.ok()) return e;
  const std::uint64_t latent = c * h * w;
  const std::uint64_t classes = p.class_names.size();
  if (classes == 0 || classes > kMaxClasses)
    return arch("needs 1 to " + std::to_string(kMaxClasses) + " class names, has " + std::to_string(classes));
  for (std::size_t i = 0; i < classes; ++i)
    if (p.class_names[i].empty() || p.class_names[i].size() > kMaxClassName)
      return arch("class name " + std::to_string(i) + " must have 1 to " + std::to_string(kMaxClassName) + " bytes");
  if (p.has_prototypes()) {
    if (!p.linear_weight.name.empty()) return arch("has both prototypes and a linear head");
    const std::uint64_t m = p.prototypes.rows();
    if (m == 0 || m > kMaxPrototypes)
      return Error(Status::shape_mismatch, "protonet: needs 1 to " + std::to_string(kMaxPrototypes) +
                                               " prototypes, has " + std::to_string(m));
    if (Error e = check_tensor(p.prototypes, {m, latent}, "prototypes"); !e.ok()) return e;
    if (Error e = check_tensor(p.class_weights, {m, classes}, "class_weights"); !e.ok()) return e;
    std::uint64_t dc = c, dh = h, dw = w;
    if (Error e = check_stack(p.decoder, true, "decoder", dc, dh, dw); !e.ok()) return e;
    if (dc != p.image_channels || dh != p.image_height || dw != p.image_width)
      return arch("the decoder renders " + dims(dc, dh, dw) + " images, the model's images are " +
                  dims(p.image_channels, p.image_height, p.image_width));
  } else {
    if (!p.decoder.empty()) return arch("a baseline (no prototypes) has no decoder");
    if (Error e = check_tensor(p.linear_weight, {classes, latent}, "linear_weight"); !e.ok()) return e;
    if (Error e = check_tensor(p.linear_bias, {classes}, "linear_bias"); !e.ok()) return e;
  }
  return Error();
}

std::vector<const TensorView*> protonet_tensors(const ModelContents& contents) {
  const ProtoNetContents& p = contents.protonet;
  std::vector<const TensorView*> out;
  for (const ProtoNetConv& l : p.encoder) out.insert(out.end(), {&l.weight, &l.bias});
  for (const TensorView* t : {&p.prototypes, &p.class_weights})
    if (p.has_prototypes()) out.push_back(t);
  for (const ProtoNetConv& l : p.decoder) out.insert(out.end(), {&l.weight, &l.bias});
  for (const TensorView* t : {&p.linear_weight, &p.linear_bias})
    if (!t->name.empty()) out.push_back(t);
  return out;
}

}  // namespace cbk::loader
