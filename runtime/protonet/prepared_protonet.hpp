// A loaded prototype network made ready to run: the kernel table chosen once, each conv's
// geometry as the kernels take it, the decoder's weights in the transposed conv's GEMM layout,
// and the scratch sizes a session needs. Immutable after prepare(); shared by every session.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "runtime/model.hpp"
#include "runtime/status.hpp"
#include "simd/simd.hpp"

namespace cbk::protonet {

struct PreparedConv {
  simd::ConvShape shape;
  bool transposed = false;
  ProtoNetActivation activation = ProtoNetActivation::none;
  const float* weight = nullptr;  // conv2d: the file's tensor; transposed: PreparedProtoNet's copy
  const float* bias = nullptr;
};

class PreparedProtoNet {
 public:
  // unsupported/wrong_model_kind for a model that is not a prototype network; out_of_memory.
  static Error prepare(std::shared_ptr<const Model> model, std::shared_ptr<const PreparedProtoNet>* out);

  const Model& model() const noexcept { return *model_; }
  const simd::Kernels& kernels() const noexcept { return *kernels_; }
  const std::vector<PreparedConv>& encoder() const noexcept { return encoder_; }
  const std::vector<PreparedConv>& decoder() const noexcept { return decoder_; }
  bool has_prototypes() const noexcept { return prototypes_ > 0; }
  std::size_t prototypes() const noexcept { return prototypes_; }  // m (0 for a baseline)
  std::size_t classes() const noexcept { return classes_; }
  std::size_t latent_dim() const noexcept { return latent_dim_; }
  std::size_t image_floats() const noexcept { return image_floats_; }
  // Floats of the largest layer input/output, and of the largest conv scratch.
  std::size_t max_activation() const noexcept { return max_activation_; }
  std::size_t max_scratch() const noexcept { return max_scratch_; }

 private:
  std::shared_ptr<const Model> model_;
  const simd::Kernels* kernels_ = nullptr;
  std::vector<PreparedConv> encoder_, decoder_;
  std::vector<std::vector<float>> transposed_weights_;
  std::size_t prototypes_ = 0, classes_ = 0, latent_dim_ = 0, image_floats_ = 0;
  std::size_t max_activation_ = 0, max_scratch_ = 0;
};

}  // namespace cbk::protonet
