// Facts about a loaded model that `cbk info` reports: parameter counts by kind and codebook sizes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/model.hpp"

namespace cbk::cli {

struct ParameterCounts {
  std::uint64_t embeddings = 0;  // token and position embeddings
  std::uint64_t attention = 0;   // QKV and output projections with biases
  std::uint64_t mlp = 0;         // up and down projections with biases
  std::uint64_t norms = 0;       // LayerNorm weights and biases of the base model
  std::uint64_t lm_head = 0;     // 0 when tied to the token embedding
  std::uint64_t codebooks = 0;   // code vectors plus the codebooks' own LayerNorms
  std::uint64_t total() const { return embeddings + attention + mlp + norms + lm_head + codebooks; }
};

ParameterCounts count_parameters(const Model& model);

// Bytes a codebook occupies in the file (codes, their scales and its LayerNorms).
std::uint64_t codebook_bytes(const Codebook& cb);

std::string human_bytes(std::uint64_t bytes);      // "7.2 MiB"
std::string with_commas(std::uint64_t value);      // "1,234,567"

}  // namespace cbk::cli
