// The prepared model: everything a forward pass needs, computed once from a loaded cbk::Model.
//
// prepare() chooses the kernel table once (simd::kernels_for(isa_from_env_or_best())), maps every
// weight to a simd::WeightView, builds one simd::CodebookView per codebook group with its
// precomputed per-code norm terms, builds the tokenizer, and records the family's layout facts
// (QKV order, attention scaling, window per layer). A PreparedModel is immutable afterwards: any
// number of Sessions on any threads may share one. It keeps the Model (and so the file bytes)
// alive through a shared_ptr; every view points into those bytes or into the PreparedModel.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/model.hpp"
#include "runtime/status.hpp"
#include "runtime/tokenizer/tokenizer.hpp"
#include "simd/simd.hpp"

namespace cbk {

// LayerNorm eps inside every codebook (codebook-features' CodebookLayer uses LayerNorm(D) with
// the torch default 1e-5, independent of the base model's norm_eps).
inline constexpr float kCodebookLayerNormEps = 1e-5f;
inline constexpr std::size_t kSiteCount = 7;

// One group of a codebook, ready for the kernels (entries of the code table's dtype, chosen once).
// `book` is the table whose scores define the result and which the gather reads: the file's codes,
// or, for an exact quantized codebook, its f32 originals. Such a group also has `exact`: the hot
// path scans the quantized table and rescores in f32 (search_rows), with the same ids and scores as
// `search` on `book`; the rare paths (steering re-searches, single-code scores) use `book` directly.
struct PreparedGroup {
  simd::CodebookView book;       // codes + norm terms (norms of the codes as the kernels see them)
  const float* ln_weight = nullptr;
  const float* ln_bias = nullptr;
  simd::CodebookSearchFn search = nullptr;
  simd::CodebookSearchMultiFn search_multi = nullptr;
  simd::GatherMeanFn gather_mean = nullptr;
  simd::ExactSearchTable exact;  // quantized scan table + bounds; used when search_exact is set
  simd::CodebookSearchExactFn search_exact = nullptr;

  // Top-k of n query rows (stride floats apart) into ids/scores [n x k]: the exact quantized search
  // row by row when the group has one, else the multi-query kernel on `book`.
  void search_rows(const float* queries, std::size_t n, std::size_t stride, std::size_t k,
                   std::int32_t* ids, float* scores) const noexcept {
    if (search_exact == nullptr) {
      search_multi(book, queries, n, stride, k, ids, scores);
      return;
    }
    for (std::size_t r = 0; r < n; ++r)
      search_exact(exact, queries + r * stride, k, ids + r * k, scores + r * k, nullptr);
  }
};

// A linear layer and the GEMM/GEMV entries of its dtype.
struct PreparedLinear {
  simd::WeightView w;
  const float* bias = nullptr;
  simd::LinearGemmFn gemm = nullptr;
  simd::LinearGemvFn gemv = nullptr;
};

struct PreparedCodebook {
  std::uint32_t layer = 0;
  CodebookSite site = CodebookSite::mlp;
  std::uint32_t groups = 1;
  std::uint32_t codes = 0;   // per group
  std::uint32_t dim = 0;     // per group; groups * dim = site width
  std::uint32_t k = 1;
  Similarity similarity = Similarity::inner_product;
  std::vector<PreparedGroup> group;
};

struct PreparedLayer {
  const float* ln1_weight = nullptr;
  const float* ln1_bias = nullptr;
  const float* ln2_weight = nullptr;
  const float* ln2_bias = nullptr;
  PreparedLinear qkv;          // [3d, d], family's native row order
  PreparedLinear out;          // [d, d]
  PreparedLinear up;           // [d_mlp, d]
  PreparedLinear down;         // [d, d_mlp]
  std::size_t window = 0;      // 0 = global attention; else local window
  float attention_scale = 1.0f;  // scores are multiplied by this before the softmax
  // Codebook index (into PreparedModel::codebooks()) per CodebookSite value, -1 when none.
  std::array<int, kSiteCount> site_codebook{};
};

// An embedding table [rows, width] of any stored dtype (rows are dequantized on read).
struct EmbeddingView {
  const void* data = nullptr;
  simd::DType dtype = simd::DType::f32;
  const float* row_scale = nullptr;
  std::size_t rows = 0;
  std::size_t width = 0;
  // out[width] = row r (dequantized). r < rows is the caller's job.
  void read_row(std::size_t r, float* out) const noexcept;
};

class PreparedModel {
 public:
  // Prepares `model` for inference. Errors: invalid_argument (null model / out),
  // unsupported (k above simd::kMaxTopK, rotary_dims above the kernel limit), missing_tensor,
  // bad_tokenizer (tokenizer tables the tokenizer refuses), out_of_memory.
  static Error prepare(std::shared_ptr<const Model> model,
                       std::shared_ptr<const PreparedModel>* out) noexcept;

  const Model& model() const noexcept { return *model_; }
  const Architecture& arch() const noexcept { return model_->architecture(); }
  const simd::Kernels& kernels() const noexcept { return *kernels_; }
  const std::vector<PreparedLayer>& layers() const noexcept { return layers_; }
  const std::vector<PreparedCodebook>& codebooks() const noexcept { return codebooks_; }
  // Index of the codebook at (layer, site), or -1.
  int find_codebook(std::uint32_t layer, CodebookSite site) const noexcept;
  // nullptr when the file has no tokenizer.
  const Tokenizer* tokenizer() const noexcept { return tokenizer_.get(); }

  const EmbeddingView& tok_embed() const noexcept { return tok_embed_; }
  const EmbeddingView& pos_embed() const noexcept { return pos_embed_; }  // empty for rotary
  const float* final_norm_weight() const noexcept { return final_norm_weight_; }
  const float* final_norm_bias() const noexcept { return final_norm_bias_; }
  const PreparedLinear& lm_head() const noexcept { return lm_head_; }  // no bias

  // Family layout facts. Offsets (floats) inside one fused QKV row of head h.
  std::size_t q_offset(std::size_t head) const noexcept;
  std::size_t k_offset(std::size_t head) const noexcept;
  std::size_t v_offset(std::size_t head) const noexcept;
  // Largest codebook k, group dim and the widest site (sizes of per-row scratch).
  std::size_t max_k() const noexcept { return max_k_; }
  std::size_t max_group_dim() const noexcept { return max_group_dim_; }

  PreparedModel(const PreparedModel&) = delete;
  PreparedModel& operator=(const PreparedModel&) = delete;
  ~PreparedModel();

 private:
  PreparedModel() = default;
  Error build(std::shared_ptr<const Model> model);
  void prepare_group(const Codebook& src, const CodebookGroup& sg, PreparedGroup* pg);

  std::shared_ptr<const Model> model_;
  const simd::Kernels* kernels_ = nullptr;
  std::vector<PreparedLayer> layers_;
  std::vector<PreparedCodebook> codebooks_;
  // Owned storage behind CodebookView::norm_term and ExactSearchTable::quant_error.
  std::vector<std::vector<float>> norm_terms_;
  std::unique_ptr<Tokenizer> tokenizer_;
  EmbeddingView tok_embed_;
  EmbeddingView pos_embed_;
  const float* final_norm_weight_ = nullptr;
  const float* final_norm_bias_ = nullptr;
  PreparedLinear lm_head_;
  std::size_t max_k_ = 0;
  std::size_t max_group_dim_ = 0;
};

}  // namespace cbk
