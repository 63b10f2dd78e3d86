// Internal steps of the loader, shared between its translation units.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/model.hpp"
#include "runtime/status.hpp"

namespace cbk::loader {

// Where a tensor's bytes are, as the file claims (not yet trusted).
struct TensorLocation {
  TensorView* view = nullptr;      // the view to bind once the location is validated
  std::string role;                // where the tensor sits in the header, for messages
  bool present = false;            // false when the header has no table at this place
  std::uint8_t raw_dtype = 0;
  std::uint64_t data_offset = 0;   // relative to the data section
  std::uint64_t data_length = 0;
  std::uint64_t scales_offset = 0;
  std::uint64_t scales_length = 0;
};

// "[2, 3]", for messages about shapes.
inline std::string shape_string(const std::vector<std::uint64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Step 1: verifies the header structure and integrity (not the data CRC: verify_data does that);
// fills contents->file. Besides the
// FlatBuffers Verifier it checks that vectors of 8-byte elements (Tensor.shape) are 8-byte aligned,
// which the Verifier does not (it aligns only their 4-byte length): verify_failed otherwise.
Error verify_structure(const std::uint8_t* bytes, std::uint64_t size, FileFacts* facts);

// Converts the verified FlatBuffer header into plain structs; tensor locations are recorded but
// views are not bound to data. Requires verify_structure() to have succeeded (it also checked the
// alignment of every vector whose elements are wider than 4 bytes). Every allocation is charged
// first against a budget of 8 x header_size + 1 MiB: verify_failed past it.
Error convert_header(const std::uint8_t* bytes, ModelContents* contents,
                     std::vector<TensorLocation>* locations);

// Model.kind and its parts (runtime/loader/model_kind.cpp): unsupported_model_kind for a kind
// unknown to or not implemented by this runtime; bad_architecture when the header holds parts of
// another family (or lacks the kind's own table). Requires verify_structure().
Error read_model_kind(const std::uint8_t* bytes, ModelKind* kind_out);

// Step 2: semantic validation.
Error validate_tensor_locations(std::vector<TensorLocation>& locations, std::uint64_t data_size);
void bind_tensor_data(std::vector<TensorLocation>& locations, const std::uint8_t* data_section,
                      std::uint64_t data_offset);
Error validate_architecture(const Architecture& arch);
Error validate_base_tensors(const ModelContents& contents);
Error validate_codebooks(const ModelContents& contents);
Error validate_annotations(const ModelContents& contents);
Error validate_tokenizer(const ModelContents& contents);
// DKVB models (runtime/loader/validate_dkvb.cpp): sizes, shapes, dtypes and the decoder's parts;
// after binding, the used-pair mask (entries 0/1, every head keeps a pair). dkvb_tensors lists the
// model's tensor views in file-table order (encoder, projection, keys, values, used_pairs, decoder).
Error validate_dkvb(const ModelContents& contents);
Error validate_dkvb_data(const ModelContents& contents);
std::vector<const TensorView*> dkvb_tensors(const ModelContents& contents);
// Prototype networks (runtime/loader/validate_protonet.cpp): geometry of every conv (channels,
// kernel, stride, padding; the encoder's output is the latent, the decoder's the image shape),
// tensor shapes and dtypes, prototypes xor linear head, class names. protonet_tensors lists the
// model's tensor views in file-table order (all of them must hold finite values).
Error validate_protonet(const ModelContents& contents);
std::vector<const TensorView*> protonet_tensors(const ModelContents& contents);
// After binding: values that must be finite (LayerNorm parameters, int8 scales, code tables), in
// this order; validate_values reports the first tensor that has a bad one.
std::vector<const TensorView*> tensors_needing_finite_values(const ModelContents& contents);
Error check_finite_values(const TensorView& t);
Error validate_values(const ModelContents& contents);

// Step 3, after binding: one pass over the data section in cache-sized chunks that computes its
// CRC-32 (when `verify_crc`; sets facts->data_crc_verified) and, while each chunk is in cache,
// checks the f32/f16 values validate_values checks. Same statuses and messages as
// data_crc_error() and validate_values(); a CRC mismatch wins over a non-finite value.
Error verify_data(const ModelContents& contents, const std::uint8_t* data_section, bool verify_crc,
                  FileFacts* facts);
// The data CRC alone (checksum_mismatch or OK): reports a corrupted data section ahead of
// semantic errors in the header, which verify_data would come too late for.
Error data_crc_error(const std::uint8_t* data_section, const FileFacts& facts);
Error validate_generation(const GenerationDefaults& generation);

}  // namespace cbk::loader
