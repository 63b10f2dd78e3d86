// Semantic validation of a DKVB model (schema table DkvbModel): sizes within limits, every tensor's
// shape and dtype consistent with them, the decoder's parts, and (after binding) the used-pair mask.
#include <string>
#include <vector>

#include "runtime/loader/loader_internal.hpp"

namespace cbk::loader {
namespace {

// Generous caps that keep every size computation (and int32 pair ids) far from overflow.
constexpr std::uint32_t kMaxDkvbWidth = 1u << 24;   // input, embedding, hidden widths
constexpr std::uint32_t kMaxDkvbHeads = 1u << 16;
constexpr std::uint32_t kMaxDkvbPairs = 1u << 24;
constexpr std::uint32_t kMaxDkvbDim = 1u << 16;     // key_dim, value_dim, classes
constexpr std::uint64_t kMaxDkvbRows = (1ull << 31) - 1;  // heads * pairs: int32 value-row ids
constexpr std::size_t kMaxDkvbLayers = 64;

Error dkvb_error(const std::string& field, std::uint64_t value, const std::string& why) {
  return Error(Status::bad_architecture, "dkvb." + field + " = " + std::to_string(value) + ": " + why);
}

Error check_size(const char* field, std::uint32_t value, std::uint32_t max) {
  if (value == 0 || value > max) return dkvb_error(field, value, "must be between 1 and " + std::to_string(max));
  return Error();
}

Error expect(const TensorView& t, const std::vector<std::uint64_t>& shape, DType dtype, const std::string& why) {
  if (t.shape != shape)
    return Error(Status::shape_mismatch, "tensor '" + t.name + "' has shape " + shape_string(t.shape) + ", expected " +
                                             shape_string(shape) + " (" + why + ")");
  if (t.dtype != dtype)
    return Error(Status::bad_dtype, "tensor '" + t.name + "' has dtype " + to_string(t.dtype) + ", expected " +
                                        to_string(dtype));
  return Error();
}

}  // namespace

Error validate_dkvb(const ModelContents& c) {
  const DkvbContents& d = c.dkvb;
  if (Error e = check_size("input_dim", d.input_dim, kMaxDkvbWidth); !e.ok()) return e;
  if (Error e = check_size("heads", d.heads, kMaxDkvbHeads); !e.ok()) return e;
  if (Error e = check_size("pairs", d.pairs, kMaxDkvbPairs); !e.ok()) return e;
  if (Error e = check_size("key_dim", d.key_dim, kMaxDkvbDim); !e.ok()) return e;
  if (Error e = check_size("value_dim", d.value_dim, kMaxDkvbDim); !e.ok()) return e;
  if (static_cast<std::uint64_t>(d.heads) * d.pairs > kMaxDkvbRows)
    return dkvb_error("pairs", d.pairs, "heads x pairs must stay below 2^31");
  if (static_cast<std::uint8_t>(d.decoder) > static_cast<std::uint8_t>(DkvbDecoder::linear))
    return dkvb_error("decoder", static_cast<std::uint8_t>(d.decoder), "unknown decoder (0 voting, 1 linear)");
  if (d.encoder.size() > kMaxDkvbLayers)
    return dkvb_error("encoder", d.encoder.size(), "at most " + std::to_string(kMaxDkvbLayers) + " layers");

  std::uint64_t width = d.input_dim;
  for (std::size_t l = 0; l < d.encoder.size(); ++l) {
    const DkvbLayer& layer = d.encoder[l];
    const std::uint64_t out = layer.weight.rows();
    if (out == 0 || out > kMaxDkvbWidth)
      return dkvb_error("encoder[" + std::to_string(l) + "] width", out, "must be between 1 and " + std::to_string(kMaxDkvbWidth));
    const std::string why = "encoder layer " + std::to_string(l) + ": out x in, in = " + std::to_string(width);
    if (Error e = expect(layer.weight, {out, width}, DType::f32, why); !e.ok()) return e;
    if (Error e = expect(layer.bias, {out}, DType::f32, "encoder layer " + std::to_string(l) + " width"); !e.ok()) return e;
    width = out;
  }
  const std::uint64_t heads = d.heads, pairs = d.pairs, dk = d.key_dim, dv = d.value_dim;
  if (d.has_projection()) {
    if (Error e = expect(d.projection, {heads, dk, width}, DType::f32, "heads x key_dim x embed_dim"); !e.ok()) return e;
  } else if (width != heads * dk) {
    return dkvb_error("key_dim", dk, "without a projection each head reads key_dim entries of the embedding, so "
                                     "heads x key_dim must equal its width " + std::to_string(width));
  }
  if (Error e = expect(d.keys, {heads, pairs, dk}, DType::f32, "heads x pairs x key_dim"); !e.ok()) return e;
  if (Error e = expect(d.values, {heads, pairs, dv}, DType::f32, "heads x pairs x value_dim"); !e.ok()) return e;
  if (d.has_used_pairs())
    if (Error e = expect(d.used_pairs, {heads, pairs}, DType::u8, "heads x pairs"); !e.ok()) return e;
  if (d.decoder == DkvbDecoder::voting) {
    if (d.classes != d.value_dim)
      return dkvb_error("classes", d.classes, "the voting decoder averages values, so classes must equal value_dim (" +
                                                  std::to_string(d.value_dim) + ")");
    if (!d.decoder_weight.name.empty() || !d.decoder_bias.name.empty())
      return Error(Status::bad_architecture, "dkvb: the voting decoder has no decoder_weight/decoder_bias tensors");
  } else {
    if (Error e = check_size("classes", d.classes, kMaxDkvbDim); !e.ok()) return e;
    if (Error e = expect(d.decoder_weight, {d.classes, heads * dv}, DType::f32, "classes x heads*value_dim"); !e.ok())
      return e;
    if (Error e = expect(d.decoder_bias, {d.classes}, DType::f32, "classes"); !e.ok()) return e;
  }
  return Error();
}

std::vector<const TensorView*> dkvb_tensors(const ModelContents& c) {
  const DkvbContents& d = c.dkvb;
  std::vector<const TensorView*> out;
  for (const DkvbLayer& layer : d.encoder) {
    out.push_back(&layer.weight);
    out.push_back(&layer.bias);
  }
  for (const TensorView* t : {&d.projection, &d.keys, &d.values, &d.used_pairs, &d.decoder_weight, &d.decoder_bias})
    if (!t->name.empty()) out.push_back(t);
  return out;
}

Error validate_dkvb_data(const ModelContents& c) {
  const DkvbContents& d = c.dkvb;
  if (!d.has_used_pairs()) return Error();
  const std::uint8_t* used = d.used_pairs.data;
  for (std::uint64_t h = 0; h < d.heads; ++h) {
    std::uint64_t n_used = 0;
    for (std::uint64_t j = 0; j < d.pairs; ++j) {
      const std::uint8_t u = used[h * d.pairs + j];
      if (u > 1)
        return Error(Status::out_of_range, "tensor '" + d.used_pairs.name + "' entry [" + std::to_string(h) + ", " +
                                               std::to_string(j) + "] is " + std::to_string(u) + " (must be 0 or 1)");
      n_used += u;
    }
    if (n_used == 0)
      return Error(Status::bad_architecture, "tensor '" + d.used_pairs.name + "': head " + std::to_string(h) +
                                                 " has no used pair, so its search could pick nothing");
  }
  return Error();
}

}  // namespace cbk::loader
