// Byte-level BPE (GPT-2 family): GPT-2 pre-tokenization, then merges on each piece's bytes.
// Internal to runtime/tokenizer; use cbk::Tokenizer::create_byte_bpe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/tokenizer/bpe_merge.hpp"
#include "runtime/tokenizer/tokenizer_impl.hpp"

namespace cbk {
namespace tok {

class ByteBpe final : public TokenizerImpl {
 public:
  static Error create(std::vector<std::string> tokens, std::vector<std::string> merges,
                      std::unique_ptr<TokenizerImpl>* out);

  Error encode_ordinary(std::string_view text, std::vector<int32_t>* ids) const override;

 private:
  Error build_merges(const std::vector<std::string>& merges);
  void encode_piece(std::string_view piece, std::vector<int32_t>* ids) const;

  int32_t byte_id_[256] = {};
  MergeTable merges_;

  // Bounded cache piece -> ids: natural text repeats a small set of words. Cleared when full;
  // guarded by a mutex because encode() is const and may run on several threads.
  static constexpr size_t kCacheEntries = 1 << 14;
  static constexpr size_t kCacheMaxPiece = 128;  // longer pieces are rare and not cached
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace tok
}  // namespace cbk
