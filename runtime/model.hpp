// The prepared, immutable model: plain C++ views of a verified and validated .cbk file.
//
// A Model is created only by the loader (runtime/loader/load_model.hpp). It keeps the file bytes
// alive (mmap, caller's buffer, or its own copy) and every TensorView points into them. A Model is
// never modified after loading, so any number of threads and sessions may share one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cbk {

class FileBytes;  // runtime/loader/file_bytes.hpp

// The model families a .cbk file can hold (schema 1.3 `Model.kind`). Each family has its own
// contents (ModelContents) and its own engine: runtime/engine (transformer), runtime/dkvb.
enum class ModelKind : std::uint8_t { transformer = 0, dkvb = 1, protonet = 2 };
inline constexpr std::uint8_t kLastModelKind = static_cast<std::uint8_t>(ModelKind::protonet);

enum class DType : std::uint8_t { f32 = 0, f16 = 1, int8 = 2, u8 = 3, i32 = 4 };
enum class Family : std::uint8_t { gpt_neox = 0, gpt2 = 1, gpt_neo = 2 };
enum class Activation : std::uint8_t { gelu = 0, gelu_new = 1, relu = 2 };
enum class PositionKind : std::uint8_t { learned = 0, rotary = 1 };
enum class AttentionKind : std::uint8_t { global = 0, local = 1 };
enum class CodebookSite : std::uint8_t {
  attn_preproj = 0, attn = 1, mlp = 2, mlp_mid = 3, qkv = 4, attn_plus_mlp = 5,
  transformer_block = 6
};
enum class Similarity : std::uint8_t { inner_product = 0, euclidean = 1 };
enum class TokenizerKind : std::uint8_t { byte_bpe = 0, vocab = 1 };

// Lower-case names as written in the schema ("gpt_neox", "attn_preproj", "dkvb", ...).
const char* to_string(ModelKind v) noexcept;
const char* to_string(DType v) noexcept;
const char* to_string(Family v) noexcept;
const char* to_string(Activation v) noexcept;
const char* to_string(PositionKind v) noexcept;
const char* to_string(AttentionKind v) noexcept;
const char* to_string(CodebookSite v) noexcept;
const char* to_string(Similarity v) noexcept;
const char* to_string(TokenizerKind v) noexcept;
std::size_t dtype_size(DType v) noexcept;

struct Architecture {
  Family family = Family::gpt_neox;
  std::uint32_t vocab_size = 0;
  std::uint32_t d_model = 0;
  std::uint32_t n_layers = 0;
  std::uint32_t n_heads = 0;
  std::uint32_t head_dim = 0;
  std::uint32_t d_mlp = 0;
  std::uint32_t max_positions = 0;
  float norm_eps = 1e-5f;
  Activation activation = Activation::gelu;
  PositionKind positions = PositionKind::rotary;
  std::uint32_t rotary_dims = 0;
  float rotary_base = 10000.0f;
  bool parallel_residual = false;
  bool scale_attention = true;
  // GPT-2's scale_attn_by_inverse_layer_idx (schema 1.1): layer L's scores are also divided by L + 1.
  bool scale_attention_by_inverse_layer = false;
  std::vector<AttentionKind> layer_attention;  // one per layer (filled with global if absent)
  std::uint32_t local_window = 0;
  bool tied_embeddings = false;
};

// A tensor stored in the data section. `data` points into the model's bytes.
struct TensorView {
  std::string name;
  DType dtype = DType::f32;
  std::vector<std::uint64_t> shape;
  const std::uint8_t* data = nullptr;
  std::uint64_t bytes = 0;
  const float* scales = nullptr;     // int8 only: one scale per row
  std::uint64_t file_offset = 0;     // absolute offset of `data` in the file

  std::uint64_t rows() const noexcept { return shape.empty() ? 0 : shape[0]; }
  std::uint64_t elements() const noexcept;
  std::uint64_t row_length() const noexcept { return rows() ? elements() / rows() : 0; }
  const float* f32() const noexcept { return reinterpret_cast<const float*>(data); }
};

struct CodebookGroup {
  TensorView ln_weight;    // [dim] f32
  TensorView ln_bias;      // [dim] f32
  TensorView codes;        // [codes, dim]: the table the search scans
  TensorView exact_codes;  // optional [codes, dim] f32 originals of quantized `codes` (empty name: absent)

  bool has_exact_codes() const noexcept { return !exact_codes.name.empty(); }
};

struct Codebook {
  std::uint32_t layer = 0;
  CodebookSite site = CodebookSite::mlp;
  std::uint32_t groups = 1;
  std::uint32_t codes = 0;
  std::uint32_t dim = 0;
  std::uint32_t k = 1;
  Similarity similarity = Similarity::inner_product;
  std::vector<CodebookGroup> group_data;
};

struct CodeContext {
  std::vector<std::int32_t> tokens;
  std::uint32_t highlight_start = 0;
  std::uint32_t highlight_end = 0;
  float score = 0.0f;
};

struct CodeAnnotation {
  std::uint32_t codebook = 0;  // index into Model::codebooks()
  std::uint32_t group = 0;
  std::uint32_t code = 0;
  std::string label;
  std::string description;
  float frequency = 0.0f;
  std::vector<CodeContext> top_contexts;
};

struct TokenizerData {
  TokenizerKind kind = TokenizerKind::vocab;
  std::vector<std::string> tokens;
  std::vector<std::string> merges;
  std::int32_t bos_id = -1;
  std::int32_t eos_id = -1;
  std::int32_t pad_id = -1;
  bool add_bos = false;
};

struct Metadata {
  std::string name;
  std::string description;
  std::string license;
  std::string source_checkpoint;
  std::string converter;
  std::string converter_version;
  std::vector<std::pair<std::string, std::string>> extra;
};

struct GenerationDefaults {
  std::uint32_t max_new_tokens = 64;
  float temperature = 1.0f;
  std::uint32_t top_k = 0;
  float top_p = 1.0f;
  std::uint64_t seed = 0;
};

// Facts about the file itself, for `cbk info`.
struct FileFacts {
  std::uint16_t schema_major = 0;
  std::uint16_t schema_minor = 0;
  std::uint64_t file_size = 0;
  std::uint64_t header_size = 0;
  std::uint64_t data_offset = 0;
  std::uint64_t data_size = 0;
  std::uint32_t header_crc32 = 0;
  std::uint32_t data_crc32 = 0;
  bool data_crc_verified = false;  // false when the caller skipped the data checksum
  bool memory_mapped = false;
};

// A Discrete Key-Value Bottleneck model (schema table DkvbModel; validated by
// runtime/loader/validate_dkvb.cpp, run by runtime/dkvb/).
enum class DkvbDecoder : std::uint8_t { voting = 0, linear = 1 };
const char* to_string(DkvbDecoder v) noexcept;  // "voting", "linear"

struct DkvbLayer {
  TensorView weight;  // [out, in] f32
  TensorView bias;    // [out] f32
};

struct DkvbContents {
  std::uint32_t input_dim = 0;
  std::vector<DkvbLayer> encoder;  // empty: identity
  std::uint32_t heads = 0;
  std::uint32_t pairs = 0;
  std::uint32_t key_dim = 0;
  std::uint32_t value_dim = 0;
  TensorView projection;      // [heads, key_dim, embed_dim]; empty name: absent (a plain split)
  TensorView keys;            // [heads, pairs, key_dim]
  TensorView values;          // [heads, pairs, value_dim]
  TensorView used_pairs;      // [heads, pairs] u8; empty name: absent (every pair searchable)
  DkvbDecoder decoder = DkvbDecoder::voting;
  std::uint32_t classes = 0;
  TensorView decoder_weight;  // linear: [classes, heads * value_dim]
  TensorView decoder_bias;    // linear: [classes]

  bool has_projection() const noexcept { return !projection.name.empty(); }
  bool has_used_pairs() const noexcept { return !used_pairs.name.empty(); }
  // Width of z, the encoder's output (input_dim for the identity encoder).
  std::uint32_t embed_dim() const noexcept {
    return encoder.empty() ? input_dim : static_cast<std::uint32_t>(encoder.back().weight.rows());
  }
};

// A prototype network (schema table ProtoNetModel; validated by runtime/loader/validate_protonet.cpp,
// run by runtime/protonet/).
enum class ProtoNetActivation : std::uint8_t { none = 0, relu = 1, sigmoid = 2 };

struct ProtoNetConv {
  bool transposed = false;  // false: weight [out, in, k, k]; true: [in, out, k, k]
  std::uint32_t in_channels = 0, out_channels = 0;
  std::uint32_t kernel = 0, stride = 1, padding = 0, output_padding = 0;
  ProtoNetActivation activation = ProtoNetActivation::none;
  TensorView weight;
  TensorView bias;  // [out_channels]

  // Output size along one axis for an input of `in` (PyTorch's formulas, floor division); 0 when
  // the input is too small to produce any output.
  std::uint64_t output_size(std::uint64_t in) const noexcept {
    if (transposed) {
      const std::uint64_t grown = (in - 1) * stride + kernel + output_padding;
      return in == 0 || grown <= 2ull * padding ? 0 : grown - 2ull * padding;
    }
    const std::uint64_t padded = in + 2ull * padding;
    return padded < kernel || stride == 0 ? 0 : (padded - kernel) / stride + 1;
  }
};

struct ProtoNetContents {
  std::uint32_t image_channels = 0, image_height = 0, image_width = 0;
  std::vector<ProtoNetConv> encoder;
  TensorView prototypes;     // [m, latent_dim]; empty name: absent (the baseline)
  TensorView class_weights;  // [m, classes]
  std::vector<ProtoNetConv> decoder;
  std::vector<std::string> class_names;
  TensorView linear_weight;  // baseline only: [classes, latent_dim]
  TensorView linear_bias;    // baseline only: [classes]

  bool has_prototypes() const noexcept { return !prototypes.name.empty(); }
};

// Everything a loaded model contains. Built by the loader; read-only afterwards.
struct ModelContents {
  ModelKind kind = ModelKind::transformer;
  FileFacts file;
  Metadata metadata;
  Architecture architecture;
  std::vector<TensorView> tensors;
  std::vector<Codebook> codebooks;
  std::vector<CodeAnnotation> annotations;
  bool has_tokenizer = false;
  TokenizerData tokenizer;
  GenerationDefaults generation;
  std::vector<TensorView> extras;
  DkvbContents dkvb;  // kind == dkvb only
  ProtoNetContents protonet;  // kind == protonet only
};

class Model {
 public:
  Model(std::shared_ptr<const FileBytes> bytes, ModelContents contents);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // The model family; the transformer accessors below (architecture, codebooks, tokenizer, ...)
  // are empty for other kinds.
  ModelKind kind() const noexcept { return c_.kind; }
  const FileFacts& file() const noexcept { return c_.file; }
  const Metadata& metadata() const noexcept { return c_.metadata; }
  const Architecture& architecture() const noexcept { return c_.architecture; }
  // The transformer's base tensors; for a DKVB model, its tensors (encoder, projection, keys,
  // values, used_pairs, decoder) in that order; for a prototype network, its encoder, prototypes,
  // class weights, decoder and linear head tensors in that order.
  const std::vector<TensorView>& tensors() const noexcept { return c_.tensors; }
  const std::vector<Codebook>& codebooks() const noexcept { return c_.codebooks; }
  const std::vector<CodeAnnotation>& annotations() const noexcept { return c_.annotations; }
  bool has_tokenizer() const noexcept { return c_.has_tokenizer; }
  const TokenizerData& tokenizer() const noexcept { return c_.tokenizer; }
  const GenerationDefaults& generation() const noexcept { return c_.generation; }
  const std::vector<TensorView>& extras() const noexcept { return c_.extras; }
  // The DKVB model's parts (kind() == ModelKind::dkvb; empty otherwise).
  const DkvbContents& dkvb() const noexcept { return c_.dkvb; }
  // The prototype network's parts (kind() == ModelKind::protonet; empty otherwise).
  const ProtoNetContents& protonet() const noexcept { return c_.protonet; }

  // nullptr when absent.
  const TensorView* find_tensor(const std::string& name) const noexcept;
  const TensorView* find_extra(const std::string& name) const noexcept;

 private:
  std::shared_ptr<const FileBytes> bytes_;
  ModelContents c_;
};

}  // namespace cbk
