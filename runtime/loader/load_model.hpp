// Loading a .cbk model: the single verified entry point.
//
// Every load runs, in order: (1) structure — size, file identifier, schema version, the
// FlatBuffers Verifier with explicit limits, header CRC, data-section placement; (2) semantics —
// every tensor range, alignment, dtype and shape, the architecture, codebooks; (3) one pass over
// the data section in cache-sized chunks: its CRC-32 and, while each chunk is in cache, the
// values that must be finite (a bad data CRC is still reported ahead of any error of step 2);
// (4) annotations, tokenizer, generation defaults. Nothing reads tensor data before its range has
// been validated. Any failure returns a specific Status and a message naming the field
// and the bad value; no partial model is ever returned.
//
// Memory: apart from the file's bytes (mapped, or one aligned copy), loading allocates in
// proportion to the header, never to what the header merely declares. Copying the header into
// plain structs is charged, before each allocation, against 8 x header_size + 1 MiB (a FlatBuffer
// may share one string, vector or table among many references, so a small header can describe a
// huge tree); past it the load fails with verify_failed ("... may expand to ..."). Counts that
// size later tables (layers, tensors) are checked against what the file holds first. The largest
// allocations, the KV cache and trace, belong to sessions (Session::estimate_memory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/model.hpp"
#include "runtime/status.hpp"

namespace cbk {

// The schema version this runtime writes and understands (files with a newer major are refused).
inline constexpr std::uint16_t kSchemaMajor = 1;
inline constexpr std::uint16_t kSchemaMinor = 3;  // 1.1: Architecture.scale_attention_by_inverse_layer,
                                                   // 1.2: CodebookGroup.exact_codes,
                                                   // 1.3: Model.kind and the DKVB family

struct LoadOptions {
  bool allow_mmap = true;             // map files read-only instead of reading them
  bool verify_data_checksum = true;   // CRC the whole data section (reads every byte once)
};

enum class BufferMode { borrow, copy };

Error load_model_file(const std::string& path, const LoadOptions& options,
                      std::shared_ptr<const Model>* out);

// borrow: zero-copy; the buffer must be 64-byte aligned and outlive the model, unchanged.
// copy: the loader keeps its own aligned copy.
Error load_model_memory(const void* data, std::size_t size, BufferMode mode,
                        const LoadOptions& options, std::shared_ptr<const Model>* out);

}  // namespace cbk
