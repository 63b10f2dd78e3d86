#include "runtime/protonet/prepared_protonet.hpp"

#include <algorithm>
#include <new>

#include "simd/prepare.hpp"

namespace cbk::protonet {
namespace {

// The loader validated the geometry (runtime/loader/validate_protonet.cpp); this only lays it out.
std::size_t lay_out(const std::vector<ProtoNetConv>& stack, std::size_t c, std::size_t h, std::size_t w,
                    std::vector<PreparedConv>* out, std::size_t* max_activation, std::size_t* max_scratch) {
  for (const ProtoNetConv& l : stack) {
    PreparedConv p;
    p.shape.in_channels = c;
    p.shape.in_height = h;
    p.shape.in_width = w;
    p.shape.out_channels = l.out_channels;
    p.shape.out_height = static_cast<std::size_t>(l.output_size(h));
    p.shape.out_width = static_cast<std::size_t>(l.output_size(w));
    p.shape.kernel = l.kernel;
    p.shape.stride = l.stride;
    p.shape.padding = l.padding;
    p.transposed = l.transposed;
    p.activation = l.activation;
    p.weight = l.weight.f32();
    p.bias = l.bias.f32();
    c = p.shape.out_channels;
    h = p.shape.out_height;
    w = p.shape.out_width;
    *max_activation = std::max({*max_activation, c * h * w, p.shape.in_channels * p.shape.in_height * p.shape.in_width});
    *max_scratch = std::max(*max_scratch, l.transposed ? simd::conv_transpose2d_scratch_floats(p.shape)
                                                       : simd::conv2d_scratch_floats(p.shape));
    out->push_back(p);
  }
  return c * h * w;
}

}  // namespace

Error PreparedProtoNet::prepare(std::shared_ptr<const Model> model, std::shared_ptr<const PreparedProtoNet>* out) {
  if (!model || model->kind() != ModelKind::protonet)
    return Error(Status::wrong_model_kind, "not a prototype-network model");
  try {
    auto p = std::make_shared<PreparedProtoNet>();
    const ProtoNetContents& c = model->protonet();
    p->kernels_ = &simd::kernels_for(simd::isa_from_env_or_best());
    p->image_floats_ = std::size_t{c.image_channels} * c.image_height * c.image_width;
    p->latent_dim_ = lay_out(c.encoder, c.image_channels, c.image_height, c.image_width, &p->encoder_,
                             &p->max_activation_, &p->max_scratch_);
    const ProtoNetConv& last = c.encoder.back();
    const std::size_t lh = p->encoder_.back().shape.out_height, lw = p->encoder_.back().shape.out_width;
    lay_out(c.decoder, last.out_channels, lh, lw, &p->decoder_, &p->max_activation_, &p->max_scratch_);
    p->transposed_weights_.resize(p->decoder_.size());
    for (std::size_t i = 0; i < p->decoder_.size(); ++i) {
      const simd::ConvShape& s = p->decoder_[i].shape;
      std::vector<float>& w = p->transposed_weights_[i];
      w.resize(s.in_channels * s.out_channels * s.kernel * s.kernel);
      simd::prepare_conv_transpose_weight(p->decoder_[i].weight, s.in_channels, s.out_channels, s.kernel, w.data());
      p->decoder_[i].weight = w.data();
    }
    p->prototypes_ = c.has_prototypes() ? static_cast<std::size_t>(c.prototypes.rows()) : 0;
    p->classes_ = c.class_names.size();
    p->model_ = std::move(model);
    *out = std::move(p);
    return Error();
  } catch (const std::bad_alloc&) {
    return Error(Status::out_of_memory, "out of memory while preparing the prototype network");
  }
}

}  // namespace cbk::protonet
