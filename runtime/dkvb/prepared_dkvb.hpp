// The prepared DKVB model: what inference needs, computed once from a loaded DKVB cbk::Model.
//
// The DKVB family runs on the kernels the transformer engine uses (simd/): the encoder and the
// projection are GEMVs (f32_linear_gemv, ReLU between encoder layers); each head's key table is a
// Euclidean CodebookView searched with k = 1 (ties to the lower pair id); the values of all heads
// form ONE table of heads * pairs rows, so gathering row c * pairs + id_c for every head c with the
// gather-mean kernel is exactly the mean across heads ("codebook voting"). A PreparedDkvb is
// immutable: any number of Classifiers on any threads may share one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/model.hpp"
#include "runtime/status.hpp"
#include "simd/simd.hpp"

namespace cbk::dkvb {

// A linear layer y = W x + b (f32).
struct Linear {
  simd::WeightView w;
  const float* bias = nullptr;
};

class PreparedDkvb {
 public:
  // Errors: invalid_argument (null model/out, not a DKVB model), out_of_memory. `kernels` picks the
  // kernel table (tests run every ISA); null: simd::kernels_for(simd::isa_from_env_or_best()).
  static Error prepare(std::shared_ptr<const Model> model, std::shared_ptr<const PreparedDkvb>* out,
                       const simd::Kernels* kernels = nullptr) noexcept;

  const Model& model() const noexcept { return *model_; }
  const DkvbContents& contents() const noexcept { return model_->dkvb(); }
  const simd::Kernels& kernels() const noexcept { return *kernels_; }

  std::size_t input_dim() const noexcept { return contents().input_dim; }
  std::size_t embed_dim() const noexcept { return contents().embed_dim(); }
  std::size_t heads() const noexcept { return contents().heads; }
  std::size_t pairs() const noexcept { return contents().pairs; }
  std::size_t key_dim() const noexcept { return contents().key_dim; }
  std::size_t value_dim() const noexcept { return contents().value_dim; }
  std::size_t classes() const noexcept { return contents().classes; }
  DkvbDecoder decoder_kind() const noexcept { return contents().decoder; }

  const std::vector<Linear>& encoder() const noexcept { return encoder_; }
  // nullptr when the file has no projection (each head reads its slice of z).
  const Linear* projection() const noexcept { return has_projection_ ? &projection_ : nullptr; }
  // The linear decoder; nullptr for voting.
  const Linear* decoder() const noexcept { return decoder_kind() == DkvbDecoder::linear ? &decoder_ : nullptr; }
  // Head `head`'s keys [pairs x key_dim] as a Euclidean codebook with its norm terms.
  simd::CodebookView head_keys(std::size_t head) const noexcept;
  // The file's used-pair mask [heads x pairs] (1 = searchable), or nullptr when it has none.
  const std::uint8_t* used_pairs() const noexcept {
    return contents().has_used_pairs() ? contents().used_pairs.data : nullptr;
  }
  const float* keys() const noexcept { return contents().keys.f32(); }
  const float* key_norm_terms() const noexcept { return key_norms_.data(); }
  const float* values() const noexcept { return contents().values.f32(); }

  PreparedDkvb(const PreparedDkvb&) = delete;
  PreparedDkvb& operator=(const PreparedDkvb&) = delete;

 private:
  PreparedDkvb() = default;

  std::shared_ptr<const Model> model_;
  const simd::Kernels* kernels_ = nullptr;
  std::vector<Linear> encoder_;
  Linear projection_;
  bool has_projection_ = false;
  Linear decoder_;
  std::vector<float> key_norms_;  // [heads x pairs] ||k||^2, the Euclidean search's norm terms
};

}  // namespace cbk::dkvb
