#include "runtime/protonet/protonet_session.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <new>

namespace cbk::protonet {
namespace {

bool all_finite(const float* v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) return false;
  return true;
}

Error no_prototypes() {
  return Error(Status::unsupported, "this prototype-network file is a baseline: it has no prototypes or decoder");
}

}  // namespace

Error Session::create(std::shared_ptr<const PreparedProtoNet> net, std::unique_ptr<Session>* out) {
  if (!net || !out) return Error(Status::invalid_argument, "net and out must not be null");
  try {
    std::unique_ptr<Session> s(new Session());
    s->net_ = std::move(net);
    const PreparedProtoNet& n = *s->net_;
    s->ping_.resize(n.max_activation());
    s->pong_.resize(n.max_activation());
    s->scratch_.resize(n.max_scratch());
    s->latent_.resize(n.latent_dim());
    s->gemv_in_.resize(n.prototypes());
    s->ids_.resize(n.prototypes());
    s->reset();
    *out = std::move(s);
    return Error();
  } catch (const std::bad_alloc&) {
    return Error(Status::out_of_memory, "out of memory while creating a prototype-network session");
  }
}

void Session::reset() {
  const PreparedProtoNet& n = *net_;
  const ProtoNetContents& c = n.model().protonet();
  const std::size_t m = n.prototypes(), k = n.classes();
  if (m == 0) return;
  prototypes_.assign(c.prototypes.f32(), c.prototypes.f32() + m * n.latent_dim());
  weights_.assign(c.class_weights.f32(), c.class_weights.f32() + m * k);
  removed_.assign(m, 0);
  weights_t_.resize(m * k);  // the GEMV reads [classes x m]
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t i = 0; i < k; ++i) weights_t_[i * m + j] = weights_[j * k + i];
}

void Session::run_stack(const std::vector<PreparedConv>& stack, const float* in, float* out) {
  const simd::Kernels& kern = net_->kernels();
  const float* src = in;
  for (std::size_t i = 0; i < stack.size(); ++i) {
    const PreparedConv& l = stack[i];
    float* dst = i + 1 == stack.size() ? out : (src == ping_.data() ? pong_.data() : ping_.data());
    (l.transposed ? kern.f32_conv_transpose2d : kern.f32_conv2d)(l.shape, l.weight, l.bias, src, scratch_.data(), dst);
    const std::size_t n = l.shape.out_channels * l.shape.out_height * l.shape.out_width;
    if (l.activation == ProtoNetActivation::relu) kern.f32_relu(dst, dst, n);
    if (l.activation == ProtoNetActivation::sigmoid) kern.f32_sigmoid(dst, dst, n);
    src = dst;
  }
}

Error Session::encode(const float* image, float* latent_out) {
  if (!image || !latent_out) return Error(Status::invalid_argument, "image and latent_out must not be null");
  if (!all_finite(image, net_->image_floats()))
    return Error(Status::non_finite_value, "the image has a NaN or infinite pixel");
  run_stack(net_->encoder(), image, latent_out);
  return Error();
}

Error Session::decode(const float* latent, float* image_out) {
  if (!latent || !image_out) return Error(Status::invalid_argument, "latent and image_out must not be null");
  if (!net_->has_prototypes()) return no_prototypes();
  if (!all_finite(latent, net_->latent_dim()))
    return Error(Status::non_finite_value, "the latent vector has a NaN or infinite value");
  run_stack(net_->decoder(), latent, image_out);
  return Error();
}

Error Session::classify(const float* image, Classification* out) {
  if (!out) return Error(Status::invalid_argument, "out must not be null");
  try {
    const PreparedProtoNet& n = *net_;
    const std::size_t m = n.prototypes(), k = n.classes(), dim = n.latent_dim();
    out->latent.resize(dim);
    out->logits.resize(k);
    out->distances.resize(m);
    out->nearest.clear();
    if (Error e = encode(image, out->latent.data()); !e.ok()) return e;
    const simd::Kernels& kern = n.kernels();
    if (m == 0) {  // the baseline's linear head
      const ProtoNetContents& c = n.model().protonet();
      simd::WeightView w{c.linear_weight.data, simd::DType::f32, nullptr, k, dim};
      kern.f32_linear_gemv(w, c.linear_bias.f32(), out->latent.data(), out->logits.data());
    } else {
      simd::CodebookView book;
      book.codes = prototypes_.data();
      book.n_codes = m;
      book.dim = dim;
      book.metric = simd::Metric::euclidean;
      // Every id in distance order, in blocks the kernel's top-k holds; removed ones are dropped.
      const std::size_t ranked = m < simd::kMaxTopK ? m : simd::kMaxTopK;
      kern.f32_codebook_distances(book, out->latent.data(), out->distances.data(), ranked, ids_.data());
      out->nearest.reserve(m);
      for (std::size_t i = 0; i < ranked; ++i)
        if (!removed_[static_cast<std::size_t>(ids_[i])]) out->nearest.push_back(ids_[i]);
      for (std::size_t j = 0; j < m; ++j) gemv_in_[j] = removed_[j] ? 0.0f : out->distances[j];
      simd::WeightView w{weights_t_.data(), simd::DType::f32, nullptr, k, m};
      kern.f32_linear_gemv(w, nullptr, gemv_in_.data(), out->logits.data());
      for (std::size_t j = 0; j < m; ++j)
        if (removed_[j]) out->distances[j] = std::numeric_limits<float>::infinity();
    }
    out->probabilities = out->logits;
    kern.f32_softmax(out->probabilities.data(), k);
    out->predicted = 0;
    for (std::size_t i = 1; i < k; ++i)
      if (out->logits[i] > out->logits[static_cast<std::size_t>(out->predicted)]) out->predicted = static_cast<std::int32_t>(i);
    return Error();
  } catch (const std::bad_alloc&) {
    return Error(Status::out_of_memory, "out of memory while classifying");
  }
}

std::size_t Session::active_prototypes() const noexcept {
  std::size_t n = 0;
  for (std::uint8_t r : removed_) n += r == 0;
  return n;
}

Error Session::check_id(std::size_t id, bool allow_removed) const {
  if (!net_->has_prototypes()) return no_prototypes();
  if (id >= net_->prototypes())
    return Error(Status::out_of_range, "prototype " + std::to_string(id) + " does not exist (the model has " +
                                           std::to_string(net_->prototypes()) + ")");
  if (!allow_removed && removed_[id])
    return Error(Status::wrong_state, "prototype " + std::to_string(id) + " was removed");
  return Error();
}

Error Session::set_prototype(std::size_t id, const float* latent) {
  if (Error e = check_id(id, true); !e.ok()) return e;
  if (!latent) return Error(Status::invalid_argument, "latent must not be null");
  if (!all_finite(latent, net_->latent_dim()))
    return Error(Status::non_finite_value, "the latent vector has a NaN or infinite value");
  std::memcpy(prototypes_.data() + id * net_->latent_dim(), latent, net_->latent_dim() * sizeof(float));
  removed_[id] = 0;
  return Error();
}

Error Session::set_prototype_from_image(std::size_t id, const float* image) {
  if (Error e = check_id(id, true); !e.ok()) return e;
  if (Error e = encode(image, latent_.data()); !e.ok()) return e;
  return set_prototype(id, latent_.data());
}

Error Session::interpolate_prototypes(std::size_t target, std::size_t a, std::size_t b, float t) {
  for (std::size_t id : {a, b})
    if (Error e = check_id(id, false); !e.ok()) return e;
  if (Error e = check_id(target, true); !e.ok()) return e;
  if (!std::isfinite(t)) return Error(Status::non_finite_value, "the interpolation weight must be finite");
  const std::size_t dim = net_->latent_dim();
  const float* pa = prototype(a);
  const float* pb = prototype(b);
  for (std::size_t i = 0; i < dim; ++i) latent_[i] = (1.0f - t) * pa[i] + t * pb[i];
  if (!all_finite(latent_.data(), dim))
    return Error(Status::non_finite_value, "the interpolated prototype overflows");
  return set_prototype(target, latent_.data());
}

Error Session::set_class_weights(std::size_t id, const float* weights) {
  if (Error e = check_id(id, false); !e.ok()) return e;
  if (!weights) return Error(Status::invalid_argument, "weights must not be null");
  const std::size_t k = net_->classes(), m = net_->prototypes();
  if (!all_finite(weights, k)) return Error(Status::non_finite_value, "a class weight is NaN or infinite");
  for (std::size_t i = 0; i < k; ++i) {
    weights_[id * k + i] = weights[i];
    weights_t_[i * m + id] = weights[i];
  }
  return Error();
}

Error Session::remove_prototype(std::size_t id) {
  if (Error e = check_id(id, false); !e.ok()) return e;
  if (active_prototypes() == 1) return Error(Status::wrong_state, "the last active prototype cannot be removed");
  removed_[id] = 1;
  return Error();
}

}  // namespace cbk::protonet
