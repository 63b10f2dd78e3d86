// Semantic validation of the architecture, the base tensors and the codebooks.
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "runtime/loader/loader_internal.hpp"

namespace cbk::loader {
namespace {

// Generous caps that keep every later size computation far from overflow.
constexpr std::uint32_t kMaxVocab = 1u << 24;
constexpr std::uint32_t kMaxWidth = 1u << 16;
constexpr std::uint32_t kMaxMlp = 1u << 20;
constexpr std::uint32_t kMaxLayers = 4096;
constexpr std::uint32_t kMaxPositions = 1u << 24;
constexpr std::uint32_t kMaxCodes = 1u << 24;

Error arch_error(const std::string& field, std::uint64_t value, const std::string& why) {
  return Error(Status::bad_architecture, "architecture." + field + " = " + std::to_string(value) + ": " + why);
}

Error check_range(const std::string& field, std::uint32_t value, std::uint32_t max) {
  if (value == 0 || value > max) return arch_error(field, value, "must be between 1 and " + std::to_string(max));
  return Error();
}

Error expect_shape(const TensorView& t, const std::vector<std::uint64_t>& shape, const std::string& why) {
  if (t.shape != shape)
    return Error(Status::shape_mismatch, "tensor '" + t.name + "' has shape " + shape_string(t.shape) +
                                             ", expected " + shape_string(shape) + " (" + why + ")");
  return Error();
}

Error expect_dtype(const TensorView& t, bool allow_quantized) {
  if (t.dtype == DType::f32) return Error();
  if (allow_quantized && (t.dtype == DType::f16 || t.dtype == DType::int8)) return Error();
  return Error(Status::bad_dtype, "tensor '" + t.name + "' has dtype " + to_string(t.dtype) + ", expected " +
                                      (allow_quantized ? "f32, f16 or int8" : "f32"));
}

struct Expected {
  std::vector<std::uint64_t> shape;
  bool quantizable;  // weight matrices may be f16/int8; norms and biases stay f32
  std::string why;
};

std::map<std::string, Expected> expected_base_tensors(const Architecture& a) {
  const std::uint64_t d = a.d_model, v = a.vocab_size, m = a.d_mlp;
  std::map<std::string, Expected> e;
  e["tok_embed"] = {{v, d}, true, "vocab_size x d_model"};
  if (a.positions == PositionKind::learned) e["pos_embed"] = {{a.max_positions, d}, true, "max_positions x d_model"};
  e["final_norm.weight"] = {{d}, false, "d_model"};
  e["final_norm.bias"] = {{d}, false, "d_model"};
  if (!a.tied_embeddings) e["lm_head.weight"] = {{v, d}, true, "vocab_size x d_model"};
  for (std::uint32_t l = 0; l < a.n_layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    e[p + "ln1.weight"] = {{d}, false, "d_model"};
    e[p + "ln1.bias"] = {{d}, false, "d_model"};
    e[p + "ln2.weight"] = {{d}, false, "d_model"};
    e[p + "ln2.bias"] = {{d}, false, "d_model"};
    e[p + "attn.qkv.weight"] = {{3 * d, d}, true, "3*d_model x d_model"};
    e[p + "attn.qkv.bias"] = {{3 * d}, false, "3*d_model"};
    e[p + "attn.out.weight"] = {{d, d}, true, "d_model x d_model"};
    e[p + "attn.out.bias"] = {{d}, false, "d_model"};
    e[p + "mlp.up.weight"] = {{m, d}, true, "d_mlp x d_model"};
    e[p + "mlp.up.bias"] = {{m}, false, "d_mlp"};
    e[p + "mlp.down.weight"] = {{d, m}, true, "d_model x d_mlp"};
    e[p + "mlp.down.bias"] = {{d}, false, "d_model"};
  }
  return e;
}

std::uint64_t site_width(const Architecture& a, CodebookSite site) {
  switch (site) {
    case CodebookSite::mlp_mid: return a.d_mlp;
    case CodebookSite::qkv: return 3ull * a.d_model;
    default: return a.d_model;
  }
}

bool is_finite_f16(std::uint16_t h) { return (h & 0x7C00u) != 0x7C00u; }

// Index of the first non-finite element, or -1.
std::int64_t first_non_finite(const TensorView& t) {
  const std::uint64_t n = t.elements();
  if (t.dtype == DType::f32) {
    for (std::uint64_t i = 0; i < n; ++i)
      if (!std::isfinite(t.f32()[i])) return static_cast<std::int64_t>(i);
  } else if (t.dtype == DType::f16) {
    for (std::uint64_t i = 0; i < n; ++i) {
      std::uint16_t h;
      std::memcpy(&h, t.data + 2 * i, 2);
      if (!is_finite_f16(h)) return static_cast<std::int64_t>(i);
    }
  }
  return -1;
}


}  // namespace

Error validate_architecture(const Architecture& a) {
  if (static_cast<std::uint8_t>(a.family) > static_cast<std::uint8_t>(Family::gpt_neo))
    return arch_error("family", static_cast<std::uint8_t>(a.family), "unknown model family");
  if (Error e = check_range("vocab_size", a.vocab_size, kMaxVocab); !e.ok()) return e;
  if (Error e = check_range("d_model", a.d_model, kMaxWidth); !e.ok()) return e;
  if (Error e = check_range("n_layers", a.n_layers, kMaxLayers); !e.ok()) return e;
  if (Error e = check_range("n_heads", a.n_heads, kMaxWidth); !e.ok()) return e;
  if (Error e = check_range("head_dim", a.head_dim, kMaxWidth); !e.ok()) return e;
  if (Error e = check_range("d_mlp", a.d_mlp, kMaxMlp); !e.ok()) return e;
  if (Error e = check_range("max_positions", a.max_positions, kMaxPositions); !e.ok()) return e;
  if (static_cast<std::uint64_t>(a.n_heads) * a.head_dim != a.d_model)
    return arch_error("head_dim", a.head_dim, "n_heads (" + std::to_string(a.n_heads) + ") x head_dim must equal d_model (" +
                                                  std::to_string(a.d_model) + ")");
  if (!std::isfinite(a.norm_eps) || a.norm_eps <= 0.0f)
    return Error(Status::bad_architecture, "architecture.norm_eps = " + std::to_string(a.norm_eps) + ": must be finite and > 0");
  if (static_cast<std::uint8_t>(a.activation) > static_cast<std::uint8_t>(Activation::relu))
    return arch_error("activation", static_cast<std::uint8_t>(a.activation), "unknown activation");
  if (static_cast<std::uint8_t>(a.positions) > static_cast<std::uint8_t>(PositionKind::rotary))
    return arch_error("positions", static_cast<std::uint8_t>(a.positions), "unknown position kind");
  if (a.positions == PositionKind::rotary) {
    if (a.rotary_dims == 0 || a.rotary_dims > a.head_dim || a.rotary_dims % 2 != 0)
      return arch_error("rotary_dims", a.rotary_dims, "must be even and between 2 and head_dim (" + std::to_string(a.head_dim) + ")");
    if (!std::isfinite(a.rotary_base) || a.rotary_base <= 1.0f)
      return Error(Status::bad_architecture, "architecture.rotary_base = " + std::to_string(a.rotary_base) + ": must be finite and > 1");
  }
  if (a.scale_attention_by_inverse_layer && a.family != Family::gpt2)
    return arch_error("scale_attention_by_inverse_layer", 1,
                      std::string("a GPT-2 option, but the family is ") + to_string(a.family));
  if (!a.layer_attention.empty() && a.layer_attention.size() != a.n_layers)
    return arch_error("layer_attention", a.layer_attention.size(), "needs one entry per layer (" + std::to_string(a.n_layers) + ")");
  for (std::size_t l = 0; l < a.layer_attention.size(); ++l) {
    if (static_cast<std::uint8_t>(a.layer_attention[l]) > static_cast<std::uint8_t>(AttentionKind::local))
      return arch_error("layer_attention[" + std::to_string(l) + "]", static_cast<std::uint8_t>(a.layer_attention[l]),
                        "unknown attention kind");
    if (a.layer_attention[l] == AttentionKind::local && a.local_window == 0)
      return arch_error("local_window", 0, "layer " + std::to_string(l) + " is local, so the window must be > 0");
  }
  return Error();
}

namespace {
// How many base tensors the architecture names (expected_base_tensors(a).size(), without
// building the table: a hostile n_layers must not make the loader allocate before it is checked
// against the tensors the file really has).
std::uint64_t expected_base_tensor_count(const Architecture& a) {
  return 3 + (a.positions == PositionKind::learned ? 1 : 0) + (a.tied_embeddings ? 0 : 1) + 12ull * a.n_layers;
}
}  // namespace

Error validate_base_tensors(const ModelContents& c) {
  const std::uint64_t want = expected_base_tensor_count(c.architecture);
  if (c.tensors.size() != want)
    return Error(c.tensors.size() < want ? Status::missing_tensor : Status::bad_architecture,
                 "the architecture (n_layers = " + std::to_string(c.architecture.n_layers) + ") needs " +
                     std::to_string(want) + " base tensors but the file has " + std::to_string(c.tensors.size()));
  const auto expected = expected_base_tensors(c.architecture);
  std::set<std::string> seen;
  for (const TensorView& t : c.tensors) {
    auto it = expected.find(t.name);
    if (it == expected.end())
      return Error(Status::bad_architecture, "tensor '" + t.name + "' is not part of a " +
                                                 to_string(c.architecture.family) + " model with this configuration");
    if (Error e = expect_shape(t, it->second.shape, it->second.why); !e.ok()) return e;
    if (Error e = expect_dtype(t, it->second.quantizable); !e.ok()) return e;
    seen.insert(t.name);
  }
  for (const auto& entry : expected)
    if (!seen.count(entry.first))
      return Error(Status::missing_tensor, "tensor '" + entry.first + "' (" + entry.second.why + ") is missing");
  return Error();
}

Error validate_codebooks(const ModelContents& c) {
  const Architecture& a = c.architecture;
  std::set<std::pair<std::uint32_t, int>> placed;
  for (std::size_t i = 0; i < c.codebooks.size(); ++i) {
    const Codebook& cb = c.codebooks[i];
    const std::string where = "codebooks[" + std::to_string(i) + "]";
    auto bad = [&](const std::string& why) { return Error(Status::bad_codebook, where + ": " + why); };
    if (static_cast<std::uint8_t>(cb.site) > static_cast<std::uint8_t>(CodebookSite::transformer_block))
      return bad("unknown site value " + std::to_string(static_cast<int>(cb.site)));
    if (static_cast<std::uint8_t>(cb.similarity) > static_cast<std::uint8_t>(Similarity::euclidean))
      return bad("unknown similarity value " + std::to_string(static_cast<int>(cb.similarity)));
    if (cb.layer >= a.n_layers)
      return Error(Status::out_of_range, where + ": layer " + std::to_string(cb.layer) + " is out of range (the model has " +
                                             std::to_string(a.n_layers) + " layers)");
    if (!placed.insert({cb.layer, static_cast<int>(cb.site)}).second)
      return bad("a second codebook at layer " + std::to_string(cb.layer) + " site " + to_string(cb.site));
    if (cb.codes == 0 || cb.codes > kMaxCodes)
      return bad("codes = " + std::to_string(cb.codes) + " must be between 1 and " + std::to_string(kMaxCodes));
    if (cb.k == 0 || cb.k > cb.codes)
      return bad("k = " + std::to_string(cb.k) + " must be between 1 and codes (" + std::to_string(cb.codes) + ")");
    const std::uint64_t width = site_width(a, cb.site);
    if (cb.groups == 0 || width % cb.groups != 0)
      return bad("groups = " + std::to_string(cb.groups) + " does not divide the " + to_string(cb.site) + " width " +
                 std::to_string(width));
    if (static_cast<std::uint64_t>(cb.dim) * cb.groups != width)
      return bad("dim = " + std::to_string(cb.dim) + " but width " + std::to_string(width) + " / groups " +
                 std::to_string(cb.groups) + " = " + std::to_string(width / cb.groups));
    if (cb.group_data.size() != cb.groups)
      return bad("has " + std::to_string(cb.group_data.size()) + " group tables for groups = " + std::to_string(cb.groups));
    for (const CodebookGroup& g : cb.group_data) {
      for (const TensorView* ln : {&g.ln_weight, &g.ln_bias}) {
        if (Error e = expect_shape(*ln, {cb.dim}, "codebook dim"); !e.ok()) return e;
        if (Error e = expect_dtype(*ln, false); !e.ok()) return e;
      }
      if (Error e = expect_shape(g.codes, {cb.codes, cb.dim}, "codes x dim"); !e.ok()) return e;
      if (Error e = expect_dtype(g.codes, true); !e.ok()) return e;
      if (g.has_exact_codes()) {
        if (g.codes.dtype == DType::f32)
          return bad("tensor '" + g.exact_codes.name + "': exact_codes are only allowed next to f16 or int8 codes, "
                     "and '" + g.codes.name + "' is f32");
        if (Error e = expect_shape(g.exact_codes, {cb.codes, cb.dim}, "codes x dim"); !e.ok()) return e;
        if (Error e = expect_dtype(g.exact_codes, false); !e.ok()) return e;
      }
    }
  }
  return Error();
}

Error check_finite_values(const TensorView& t) {
  if (std::int64_t i = first_non_finite(t); i >= 0)
    return Error(Status::non_finite_value, "tensor '" + t.name + "' element " + std::to_string(i) + " is NaN or infinite");
  if (t.dtype == DType::int8)
    for (std::uint64_t r = 0; r < t.rows(); ++r)
      if (!std::isfinite(t.scales[r]) || t.scales[r] == 0.0f)
        return Error(Status::non_finite_value, "tensor '" + t.name + "' row " + std::to_string(r) +
                                                   " has int8 scale " + std::to_string(t.scales[r]) +
                                                   " (must be finite and non-zero)");
  return Error();
}

std::vector<const TensorView*> tensors_needing_finite_values(const ModelContents& c) {
  std::vector<const TensorView*> out;
  if (c.kind == ModelKind::dkvb) {  // every float tensor of a DKVB model
    for (const TensorView* t : dkvb_tensors(c))
      if (t->dtype == DType::f32) out.push_back(t);
    return out;
  }
  for (const TensorView& t : c.tensors)
    if (t.name.find("norm") != std::string::npos || t.name.find(".ln") != std::string::npos || t.dtype == DType::int8)
      out.push_back(&t);
  for (const Codebook& cb : c.codebooks)
    for (const CodebookGroup& g : cb.group_data)
      for (const TensorView* t : {&g.ln_weight, &g.ln_bias, &g.codes, &g.exact_codes})
        if (t != &g.exact_codes || g.has_exact_codes()) out.push_back(t);
  for (const TensorView* t : protonet_tensors(c)) out.push_back(t);
  return out;
}

Error validate_values(const ModelContents& c) {
  for (const TensorView* t : tensors_needing_finite_values(c))
    if (Error e = check_finite_values(*t); !e.ok()) return e;
  return Error();
}

}  // namespace cbk::loader
