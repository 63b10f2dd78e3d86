#include "runtime/model.hpp"

#include "runtime/loader/file_bytes.hpp"

namespace cbk {

const char* to_string(ModelKind v) noexcept {
  switch (v) {
    case ModelKind::transformer: return "transformer";
    case ModelKind::dkvb: return "dkvb";
    case ModelKind::protonet: return "protonet";
  }
  return "?";
}

const char* to_string(DkvbDecoder v) noexcept {
  return v == DkvbDecoder::voting ? "voting" : v == DkvbDecoder::linear ? "linear" : "?";
}

const char* to_string(DType v) noexcept {
  switch (v) {
    case DType::f32: return "f32";
    case DType::f16: return "f16";
    case DType::int8: return "int8";
    case DType::u8: return "u8";
    case DType::i32: return "i32";
  }
  return "?";
}

const char* to_string(Family v) noexcept {
  switch (v) {
    case Family::gpt_neox: return "gpt_neox";
    case Family::gpt2: return "gpt2";
    case Family::gpt_neo: return "gpt_neo";
  }
  return "?";
}

const char* to_string(Activation v) noexcept {
  switch (v) {
    case Activation::gelu: return "gelu";
    case Activation::gelu_new: return "gelu_new";
    case Activation::relu: return "relu";
  }
  return "?";
}

const char* to_string(PositionKind v) noexcept {
  return v == PositionKind::learned ? "learned" : "rotary";
}

const char* to_string(AttentionKind v) noexcept {
  return v == AttentionKind::global ? "global" : "local";
}

const char* to_string(CodebookSite v) noexcept {
  switch (v) {
    case CodebookSite::attn_preproj: return "attn_preproj";
    case CodebookSite::attn: return "attn";
    case CodebookSite::mlp: return "mlp";
    case CodebookSite::mlp_mid: return "mlp_mid";
    case CodebookSite::qkv: return "qkv";
    case CodebookSite::attn_plus_mlp: return "attn_plus_mlp";
    case CodebookSite::transformer_block: return "transformer_block";
  }
  return "?";
}

const char* to_string(Similarity v) noexcept {
  return v == Similarity::inner_product ? "inner_product" : "euclidean";
}

const char* to_string(TokenizerKind v) noexcept {
  return v == TokenizerKind::byte_bpe ? "byte_bpe" : "vocab";
}

std::size_t dtype_size(DType v) noexcept {
  switch (v) {
    case DType::f32: return 4;
    case DType::f16: return 2;
    case DType::int8: return 1;
    case DType::u8: return 1;
    case DType::i32: return 4;
  }
  return 0;
}

std::uint64_t TensorView::elements() const noexcept {
  std::uint64_t n = 1;
  for (std::uint64_t d : shape) n *= d;  // validated by the loader not to overflow
  return shape.empty() ? 0 : n;
}

Model::Model(std::shared_ptr<const FileBytes> bytes, ModelContents contents)
    : bytes_(std::move(bytes)), c_(std::move(contents)) {}

Model::~Model() = default;

const TensorView* Model::find_tensor(const std::string& name) const noexcept {
  for (const TensorView& t : c_.tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const TensorView* Model::find_extra(const std::string& name) const noexcept {
  for (const TensorView& t : c_.extras)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace cbk
