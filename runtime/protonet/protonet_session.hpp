// A prototype network at work: classify images, render latents, and edit the prototypes.
//
// A session owns an editable copy of the prototypes and class weights (and which prototypes are
// removed); edits never touch the shared, immutable Model, so other sessions keep the trained
// model. One session per thread; sessions of one PreparedProtoNet run in parallel.
//
//   classify(image)  -> latent z, d_j = ||z - p_j||^2 for every prototype slot, the active
//                       prototypes by ascending distance (ties to the lower id), logits = d . W
//                       (removed prototypes add nothing) and their softmax.
//   A baseline file (no prototypes) classifies with its linear head; prototype calls on it
//   return Status::unsupported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/protonet/prepared_protonet.hpp"

namespace cbk::protonet {

struct Classification {
  std::vector<float> latent;         // [latent_dim]
  std::vector<float> distances;      // [m]; +infinity for a removed prototype
  std::vector<std::int32_t> nearest; // active prototype ids by ascending distance
  std::vector<float> logits;         // [classes]
  std::vector<float> probabilities;  // softmax(logits)
  std::int32_t predicted = -1;       // argmax of the logits (ties to the lower class)
};

class Session {
 public:
  static Error create(std::shared_ptr<const PreparedProtoNet> net, std::unique_ptr<Session>* out);

  const PreparedProtoNet& net() const noexcept { return *net_; }
  // image: image_floats() floats, channel-major, in the model's pixel scale ([0, 1] for ours);
  // non_finite_value for a NaN or infinite pixel (likewise for latents and weights below).
  Error classify(const float* image, Classification* out);
  Error encode(const float* image, float* latent_out);
  // latent: latent_dim() finite floats -> image_floats() floats (unsupported for a baseline).
  Error decode(const float* latent, float* image_out);

  // Prototype edits (out_of_range for a bad id; a removed prototype may be replaced again,
  // which brings it back; the others refuse a removed id with wrong_state).
  std::size_t active_prototypes() const noexcept;
  bool removed(std::size_t id) const noexcept { return id < removed_.size() && removed_[id] != 0; }
  const float* prototype(std::size_t id) const noexcept { return prototypes_.data() + id * net_->latent_dim(); }
  const float* class_weights(std::size_t id) const noexcept { return weights_.data() + id * net_->classes(); }
  Error set_prototype(std::size_t id, const float* latent);
  Error set_prototype_from_image(std::size_t id, const float* image);
  // Prototype `target` becomes (1 - t) p_a + t p_b (t finite; values outside [0, 1] extrapolate).
  Error interpolate_prototypes(std::size_t target, std::size_t a, std::size_t b, float t);
  Error set_class_weights(std::size_t id, const float* weights);  // classes() finite floats
  Error remove_prototype(std::size_t id);  // wrong_state when it would remove the last one
  void reset();                            // back to the model's prototypes and weights

 private:
  Session() = default;
  Error check_id(std::size_t id, bool allow_removed) const;
  void run_stack(const std::vector<PreparedConv>& stack, const float* in, float* out);

  std::shared_ptr<const PreparedProtoNet> net_;
  std::vector<float> prototypes_;  // [m, latent]
  std::vector<float> weights_;     // [m, classes]
  std::vector<std::uint8_t> removed_;
  std::vector<float> ping_, pong_, scratch_, latent_, gemv_in_, weights_t_;
  std::vector<std::int32_t> ids_;
};

}  // namespace cbk::protonet
