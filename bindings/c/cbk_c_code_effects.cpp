// C API (version 4): one code's vector as the engine uses it, and that vector's direct effect on the
// next-token logits (the residual-stream contribution through the final LayerNorm and unembedding),
// computed with the same kernels as the forward pass.
#include <cstdint>
#include <string>
#include <vector>

#include "bindings/c/cbk_c_internal.hpp"

using cbk::CodebookSite;
using cbk::Status;
using cbk::capi::fail;
using cbk::capi::guarded;
using cbk::capi::null_argument;

namespace {

// Resolves (codebook, group, code) or reports OUT_OF_RANGE naming the bad index.
cbk_status find_code(const cbk_model* model, size_t codebook, uint32_t group, uint32_t code, const char* fn,
                     const cbk::PreparedCodebook** out) {
  if (cbk_status st = cbk::capi::require_transformer(model, fn)) return st;
  if (cbk_status st = cbk::capi::check_code_index(model, codebook, group, code, fn)) return st;
  *out = &model->prepared->codebooks()[codebook];
  return CBK_STATUS_OK;
}

// The two-call size check shared by both functions: reports `needed`, refuses a short buffer.
cbk_status check_capacity(const float* out, size_t capacity, size_t needed, size_t* needed_out, const char* fn) {
  if (needed_out == nullptr) return null_argument(fn, "size output");
  *needed_out = needed;
  if (capacity < needed)
    return fail(Status::buffer_too_small, fn, "the buffer holds " + std::to_string(capacity) + " floats; " +
                                                  std::to_string(needed) + " are needed");
  if (out == nullptr) return null_argument(fn, "out");
  return CBK_STATUS_OK;
}

// The code's vector exactly as the engine adds it to a mean: the gather kernel of the table's dtype
// with one slot (dequantized for f16/int8 tables).
void read_code(const cbk::PreparedCodebook& cb, uint32_t group, uint32_t code, float* out) noexcept {
  const cbk::PreparedGroup& g = cb.group[group];
  const std::int32_t id = static_cast<std::int32_t>(code);
  g.gather_mean(g.book, &id, 1, nullptr, out);
}

}  // namespace

extern "C" {

cbk_status cbk_model_code_vector(const cbk_model* model, size_t codebook, uint32_t group, uint32_t code, float* out,
                                 size_t capacity, size_t* dim_out) {
  static const char* fn = "cbk_model_code_vector";
  return guarded(fn, [&] {
    const cbk::PreparedCodebook* cb = nullptr;
    if (cbk_status st = find_code(model, codebook, group, code, fn, &cb)) return st;
    if (cbk_status st = check_capacity(out, capacity, cb->dim, dim_out, fn)) return st;
    read_code(*cb, group, code, out);
    return CBK_STATUS_OK;
  });
}

cbk_status cbk_model_code_logits(const cbk_model* model, size_t codebook, uint32_t group, uint32_t code,
                                 float* logits, size_t capacity, size_t* n_out) {
  static const char* fn = "cbk_model_code_logits";
  return guarded(fn, [&] {
    const cbk::PreparedCodebook* cb = nullptr;
    if (cbk_status st = find_code(model, codebook, group, code, fn, &cb)) return st;
    if (cb->site == CodebookSite::qkv)
      return fail(Status::unsupported, fn,
                  "qkv codes feed the attention scores and values, not the residual stream: they have no "
                  "direct logit effect");
    const cbk::PreparedModel& pm = *model->prepared;
    const cbk::Architecture& a = pm.arch();
    if (cbk_status st = check_capacity(logits, capacity, a.vocab_size, n_out, fn)) return st;

    // The site's vector: the code in its group's slice, zeros elsewhere.
    const std::size_t width = static_cast<std::size_t>(cb->groups) * cb->dim;
    std::vector<float> site(width, 0.0f);
    read_code(*cb, group, code, site.data() + static_cast<std::size_t>(group) * cb->dim);

    // Its contribution to the residual stream: through the layer's output projection (no bias)
    // for the sites inside a block, as is for the sites on the residual stream.
    const cbk::PreparedLayer& layer = pm.layers()[cb->layer];
    std::vector<float> resid;
    if (cb->site == CodebookSite::attn_preproj || cb->site == CodebookSite::mlp_mid) {
      const cbk::PreparedLinear& proj = cb->site == CodebookSite::attn_preproj ? layer.out : layer.down;
      resid.assign(a.d_model, 0.0f);
      proj.gemv(proj.w, nullptr, site.data(), resid.data());
    } else {
      resid = std::move(site);
    }

    std::vector<float> normed(a.d_model);
    pm.kernels().f32_layernorm(resid.data(), pm.final_norm_weight(), pm.final_norm_bias(), a.d_model, a.norm_eps,
                               normed.data());
    pm.lm_head().gemv(pm.lm_head().w, nullptr, normed.data(), logits);
    return CBK_STATUS_OK;
  });
}

}  // extern "C"
