// Step 1 of loading: is this a .cbk file whose header structure and bytes are intact?
#include <cstring>
#include <string>
#include <utility>

#include "runtime/loader/crc32.hpp"
#include "runtime/loader/file_bytes.hpp"
#include "runtime/loader/load_model.hpp"
#include "runtime/loader/loader_internal.hpp"
#include "schema/cbk_generated.h"

namespace cbk::loader {
namespace {

constexpr std::uint64_t kSizePrefix = 4;
// The FlatBuffer starts after the size prefix: root offset (4 bytes), then the identifier.
constexpr std::uint64_t kMinHeader = 8;

std::uint32_t read_u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::string version_string(unsigned major, unsigned minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// Reads only fields 0 and 1 (the schema version) after verifying just the root table, so a file
// from a future major version is reported as such even if the rest no longer matches our schema.
// `buf` is the size-prefixed FlatBuffer (prefix included), as the full Verifier sees it.
Error check_version(const std::uint8_t* buf, std::uint64_t buf_size, FileFacts* facts) {
  flatbuffers::Verifier probe(buf, static_cast<std::size_t>(buf_size), 8, 16);
  const flatbuffers::uoffset_t root = probe.VerifyOffset(kSizePrefix);
  if (!root)
    return Error(Status::verify_failed, "the header's root offset points outside the header");
  const auto* table = reinterpret_cast<const flatbuffers::Table*>(buf + kSizePrefix + root);
  if (!table->VerifyTableStart(probe) ||
      !table->VerifyField<std::uint16_t>(probe, fb::Model::VT_SCHEMA_MAJOR, 2) ||
      !table->VerifyField<std::uint16_t>(probe, fb::Model::VT_SCHEMA_MINOR, 2))
    return Error(Status::verify_failed, "the header's root table is malformed (schema version unreadable)");
  const auto* model = reinterpret_cast<const fb::Model*>(table);
  facts->schema_major = model->schema_major();
  facts->schema_minor = model->schema_minor();
  if (facts->schema_major > kSchemaMajor)
    return Error(Status::unsupported_version,
                 "file schema version " + version_string(facts->schema_major, facts->schema_minor) +
                     " is newer than this runtime's " + version_string(kSchemaMajor, kSchemaMinor) +
                     "; upgrade codebook.cpp to load it");
  if (facts->schema_major == 0)
    return Error(Status::unsupported_version,
                 "file schema version " + version_string(facts->schema_major, facts->schema_minor) +
                     " is not a released version (this runtime reads " +
                     version_string(kSchemaMajor, kSchemaMinor) + ")");
  return Error();
}

// The Verifier aligns a vector's 4-byte length prefix but not its elements, so a hostile header
// can place a vector of 8-byte scalars at 4 mod 8, and reading it would be a misaligned load
// (undefined behaviour). Tensor.shape ([uint64]) is the schema's only vector with elements wider
// than 4 bytes (tests/loader/test_header_alignment.cpp checks the schema for new ones); vectors of
// 1-, 2- and 4-byte elements are aligned by the prefix check. The file bytes start 64-byte aligned,
// so an offset that is a multiple of 8 is an aligned address.
Error check_shape_alignment(const std::uint8_t* bytes, const fb::Tensor* t, const std::string& where) {
  if (!t || !t->shape()) return Error();
  const auto offset = static_cast<std::uint64_t>(reinterpret_cast<const std::uint8_t*>(t->shape()->Data()) - bytes);
  if (offset % alignof(std::uint64_t) != 0)
    return Error(Status::verify_failed, where + ".shape: its uint64 elements start at file offset " +
                                            std::to_string(offset) + ", not a multiple of 8 (the header is malformed)");
  return Error();
}

Error check_vector_alignment(const std::uint8_t* bytes, const fb::Model* model) {
  for (auto [list, name] : {std::pair<const flatbuffers::Vector<flatbuffers::Offset<fb::Tensor>>*, const char*>{
                                       model->tensors(), "tensors"},
                                   {model->extras(), "extras"}}) {
    if (!list) continue;
    for (flatbuffers::uoffset_t i = 0; i < list->size(); ++i)
      if (Error e = check_shape_alignment(bytes, list->Get(i), std::string(name) + "[" + std::to_string(i) + "]"); !e.ok())
        return e;
  }
  if (const fb::DkvbModel* d = model->dkvb()) {
    for (flatbuffers::uoffset_t i = 0; d->encoder() && i < d->encoder()->size(); ++i) {
      const std::string where = "dkvb.encoder[" + std::to_string(i) + "].";
      if (Error e = check_shape_alignment(bytes, d->encoder()->Get(i)->weight(), where + "weight"); !e.ok()) return e;
      if (Error e = check_shape_alignment(bytes, d->encoder()->Get(i)->bias(), where + "bias"); !e.ok()) return e;
    }
    for (auto [t, name] : {std::pair<const fb::Tensor*, const char*>{d->projection(), "dkvb.projection"},
                           {d->keys(), "dkvb.keys"},
                           {d->values(), "dkvb.values"},
                           {d->used_pairs(), "dkvb.used_pairs"},
                           {d->decoder_weight(), "dkvb.decoder_weight"},
                           {d->decoder_bias(), "dkvb.decoder_bias"}})
      if (Error e = check_shape_alignment(bytes, t, name); !e.ok()) return e;
  }
  if (!model->codebooks()) return Error();
  for (flatbuffers::uoffset_t i = 0; i < model->codebooks()->size(); ++i) {
    const auto* groups = model->codebooks()->Get(i)->group_data();
    for (flatbuffers::uoffset_t g = 0; groups && g < groups->size(); ++g) {
      const fb::CodebookGroup* grp = groups->Get(g);
      const std::string where = "codebooks[" + std::to_string(i) + "].group_data[" + std::to_string(g) + "].";
      for (auto [t, name] : {std::pair<const fb::Tensor*, const char*>{grp->ln_weight(), "ln_weight"},
                             {grp->ln_bias(), "ln_bias"},
                             {grp->codes(), "codes"}})
        if (Error e = check_shape_alignment(bytes, t, where + name); !e.ok()) return e;
    }
  }
  return Error();
}

}  // namespace

Error verify_structure(const std::uint8_t* bytes, std::uint64_t size, FileFacts* facts) {
  facts->file_size = size;
  if (size < kSizePrefix + kMinHeader)
    return Error(Status::truncated, "file is " + std::to_string(size) +
                                        " bytes, too short for a .cbk header (at least 12)");
  if (std::memcmp(bytes + kSizePrefix + 4, fb::ModelIdentifier(), 4) != 0) {
    std::string got;
    for (int i = 0; i < 4; ++i) {
      unsigned char c = bytes[kSizePrefix + 4 + i];
      got += (c >= 32 && c < 127) ? static_cast<char>(c) : '?';
    }
    return Error(Status::bad_identifier, "not a .cbk model: file identifier is '" + got +
                                             "', expected '" + fb::ModelIdentifier() + "'");
  }
  const std::uint64_t header_size = read_u32(bytes);
  facts->header_size = header_size;
  if (header_size < kMinHeader || header_size > size - kSizePrefix)
    return Error(Status::truncated, "header_size " + std::to_string(header_size) +
                                        " does not fit in a file of " + std::to_string(size) + " bytes");
  // FlatBuffers offsets are 32-bit: the header itself must stay below its 2 GiB limit.
  if (header_size >= FLATBUFFERS_MAX_BUFFER_SIZE - kSizePrefix)
    return Error(Status::verify_failed, "header_size " + std::to_string(header_size) +
                                            " exceeds the FlatBuffers limit of 2 GiB");
  const std::uint64_t prefixed_size = kSizePrefix + header_size;
  if (Error e = check_version(bytes, prefixed_size, facts); !e.ok()) return e;

  // Explicit limits: depth bounds recursion; max_tables bounds the work a hostile header with
  // shared sub-tables (a DAG) could cause to be linear in its size.
  const auto max_tables = static_cast<flatbuffers::uoffset_t>(header_size / 4 + 1024);
  flatbuffers::Verifier verifier(bytes, static_cast<std::size_t>(prefixed_size), 64, max_tables);
  if (!fb::VerifySizePrefixedModelBuffer(verifier))
    return Error(Status::verify_failed,
                 "the FlatBuffers Verifier rejected the header (" + std::to_string(header_size) +
                     " bytes): offsets, vectors or strings point outside it or are malformed");
  const fb::Model* model = fb::GetSizePrefixedModel(bytes);
  if (Error e = check_vector_alignment(bytes, model); !e.ok()) return e;

  // Header CRC: computed over prefix + header with the CRC field itself read as zero.
  const auto* crc_field = reinterpret_cast<const flatbuffers::Table*>(model)->GetAddressOf(
      fb::Model::VT_HEADER_CRC32);
  if (!crc_field)
    return Error(Status::verify_failed, "header_crc32 field is missing (writers must always store it)");
  const auto crc_pos = static_cast<std::uint64_t>(crc_field - bytes);
  const std::uint32_t zero = 0;
  std::uint32_t crc = crc32_update(0, bytes, static_cast<std::size_t>(crc_pos));
  crc = crc32_update(crc, &zero, 4);
  crc = crc32_update(crc, bytes + crc_pos + 4, static_cast<std::size_t>(kSizePrefix + header_size - crc_pos - 4));
  facts->header_crc32 = model->header_crc32();
  if (crc != model->header_crc32())
    return Error(Status::checksum_mismatch, "header CRC-32 is " + std::to_string(crc) +
                                                " but the file says " + std::to_string(model->header_crc32()) +
                                                ": the header is corrupted");

  // Data section: right after the header, 64-byte aligned, running to the end of the file.
  const std::uint64_t expected_offset =
      (kSizePrefix + header_size + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  facts->data_offset = model->data_offset();
  facts->data_size = model->data_size();
  if (model->data_offset() != expected_offset)
    return Error(Status::bad_data_section, "data_offset is " + std::to_string(model->data_offset()) +
                                               ", expected " + std::to_string(expected_offset) +
                                               " (header end rounded up to 64)");
  if (expected_offset > size)
    return Error(Status::truncated, "file ends at " + std::to_string(size) +
                                        " before the data section starts at " + std::to_string(expected_offset));
  for (std::uint64_t i = kSizePrefix + header_size; i < expected_offset; ++i)
    if (bytes[i] != 0)
      return Error(Status::bad_data_section, "padding byte at offset " + std::to_string(i) + " is not zero");
  if (model->data_size() > size - expected_offset)
    return Error(Status::truncated, "data section of " + std::to_string(model->data_size()) +
                                        " bytes needs a file of " + std::to_string(expected_offset) +
                                        " + that, but the file has " + std::to_string(size) + " bytes");
  if (model->data_size() < size - expected_offset)
    return Error(Status::bad_data_section, std::to_string(size - expected_offset - model->data_size()) +
                                               " unexpected bytes follow the data section");
  facts->data_crc32 = model->data_crc32();
  return Error();
}

}  // namespace cbk::loader
