#include "runtime/dkvb/prepared_dkvb.hpp"

#include <new>

#include "simd/prepare.hpp"

namespace cbk::dkvb {
namespace {

Linear linear_of(const TensorView& weight, const TensorView* bias) noexcept {
  Linear l;
  l.w.data = weight.data;
  l.w.dtype = simd::DType::f32;
  l.w.out_features = static_cast<std::size_t>(weight.rows());
  l.w.in_features = static_cast<std::size_t>(weight.row_length());
  l.bias = bias != nullptr ? bias->f32() : nullptr;
  return l;
}

}  // namespace

Error PreparedDkvb::prepare(std::shared_ptr<const Model> model, std::shared_ptr<const PreparedDkvb>* out,
                            const simd::Kernels* kernels) noexcept {
  if (out == nullptr || model == nullptr) return Error(Status::invalid_argument, "model and out must not be NULL");
  if (model->kind() != ModelKind::dkvb)
    return Error(Status::invalid_argument, std::string("not a dkvb model but a ") + to_string(model->kind()) + " model");
  try {
    std::shared_ptr<PreparedDkvb> p(new PreparedDkvb());
    p->model_ = std::move(model);
    p->kernels_ = kernels != nullptr ? kernels : &simd::kernels_for(simd::isa_from_env_or_best());
    const DkvbContents& c = p->contents();
    for (const DkvbLayer& layer : c.encoder) p->encoder_.push_back(linear_of(layer.weight, &layer.bias));
    if (c.has_projection()) {
      // [heads, key_dim, embed_dim] is row-major [heads * key_dim, embed_dim]: one GEMV gives every query.
      p->projection_ = linear_of(c.projection, nullptr);
      p->projection_.w.out_features = static_cast<std::size_t>(c.heads) * c.key_dim;
      p->projection_.w.in_features = c.embed_dim();
      p->has_projection_ = true;
    }
    if (c.decoder == DkvbDecoder::linear) p->decoder_ = linear_of(c.decoder_weight, &c.decoder_bias);
    const std::size_t rows = static_cast<std::size_t>(c.heads) * c.pairs;
    p->key_norms_.resize(rows);
    simd::compute_norm_terms(c.keys.f32(), rows, c.key_dim, simd::Metric::euclidean, p->key_norms_.data());
    *out = std::move(p);
    return Error();
  } catch (const std::bad_alloc&) {
    return Error(Status::out_of_memory, "out of memory while preparing the dkvb model");
  }
}

simd::CodebookView PreparedDkvb::head_keys(std::size_t head) const noexcept {
  simd::CodebookView v;
  const std::size_t n = pairs(), d = key_dim();
  v.codes = keys() + head * n * d;
  v.dtype = simd::DType::f32;
  v.n_codes = n;
  v.dim = d;
  v.metric = simd::Metric::euclidean;
  v.norm_term = key_norms_.data() + head * n;
  return v;
}

}  // namespace cbk::dkvb
