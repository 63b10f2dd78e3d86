// Recomputes both CRCs of a .cbk image in place ("reseals" it), so that a mutated or hand-built
// header reaches the loader's later rules instead of stopping at the checksum. Used by the
// libFuzzer target and by the tests that replay its findings; does nothing when the bytes do not
// parse as a size-prefixed cbk FlatBuffer.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/loader/crc32.hpp"
#include "schema/cbk_generated.h"

namespace cbk::test {

inline void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

inline void reseal(std::vector<std::uint8_t>& buf) {
  if (buf.size() < 12) return;
  const std::uint64_t header = buf[0] | buf[1] << 8 | buf[2] << 16 | static_cast<std::uint64_t>(buf[3]) << 24;
  if (header < 8 || header > buf.size() - 4 || header >= FLATBUFFERS_MAX_BUFFER_SIZE - 4) return;
  flatbuffers::Verifier verifier(buf.data(), static_cast<std::size_t>(4 + header));
  if (!cbk::fb::VerifySizePrefixedModelBuffer(verifier)) return;
  auto* model = const_cast<cbk::fb::Model*>(cbk::fb::GetSizePrefixedModel(buf.data()));
  auto* table = reinterpret_cast<flatbuffers::Table*>(model);
  std::uint8_t* header_crc = table->GetAddressOf(cbk::fb::Model::VT_HEADER_CRC32);
  std::uint8_t* data_crc = table->GetAddressOf(cbk::fb::Model::VT_DATA_CRC32);
  const std::uint64_t data_offset = model->data_offset(), data_size = model->data_size();
  if (data_crc && data_offset <= buf.size() && data_size <= buf.size() - data_offset)
    put_u32(data_crc, cbk::crc32_update(0, buf.data() + data_offset, static_cast<std::size_t>(data_size)));
  if (header_crc) {
    put_u32(header_crc, 0);
    put_u32(header_crc, cbk::crc32_update(0, buf.data(), static_cast<std::size_t>(4 + header)));
  }
}

}  // namespace cbk::test
