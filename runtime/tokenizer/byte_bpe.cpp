#include "runtime/tokenizer/byte_bpe.hpp"

#include <cstdio>
#include <utility>

#include "runtime/tokenizer/byte_unicode.hpp"
#include "runtime/tokenizer/pretokenize.hpp"

namespace cbk {
namespace tok {

Error ByteBpe::create(std::vector<std::string> tokens, std::vector<std::string> merges,
                      std::unique_ptr<TokenizerImpl>* out) {
  std::unique_ptr<ByteBpe> bpe(new ByteBpe());
  bpe->kind = Tokenizer::Kind::byte_bpe;
  Error err = init_vocab(std::move(tokens), bpe.get());
  if (!err.ok()) return err;

  // Tokens spelled outside the byte alphabet are added tokens standing for their own text.
  bpe->bytes.resize(bpe->vocab.size());
  for (size_t i = 0; i < bpe->vocab.size(); ++i) {
    if (!unicode_to_bytes(bpe->vocab[i], &bpe->bytes[i])) bpe->bytes[i] = bpe->vocab[i];
  }
  for (int b = 0; b < 256; ++b) {
    const std::string spelled = byte_to_unicode(static_cast<uint8_t>(b));
    const auto it = bpe->id_of_token.find(spelled);
    if (it == bpe->id_of_token.end()) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", b);
      return Error(Status::bad_tokenizer,
                   std::string("byte ") + hex + " has no token (expected " + quoted(spelled) + ")");
    }
    bpe->byte_id_[b] = it->second;
  }
  err = bpe->build_merges(merges);
  if (!err.ok()) return err;
  *out = std::move(bpe);
  return Error();
}

Error ByteBpe::build_merges(const std::vector<std::string>& merges) {
  merges_.reserve(merges.size());
  int32_t rank = 0;
  std::string joined;
  for (size_t i = 0; i < merges.size(); ++i) {
    const std::string& line = merges[i];
    if (line.empty() || (i == 0 && line.compare(0, 8, "#version") == 0)) continue;
    const auto where = [&] { return "merge " + std::to_string(i) + " " + quoted(line); };
    const size_t sp = line.find(' ');
    if (sp == 0 || sp == std::string::npos || sp + 1 == line.size() ||
        line.find(' ', sp + 1) != std::string::npos) {
      return Error(Status::bad_tokenizer, where() + " is not two tokens separated by one space");
    }
    const std::string left = line.substr(0, sp);
    const std::string right = line.substr(sp + 1);
    const auto l = id_of_token.find(left);
    if (l == id_of_token.end()) {
      return Error(Status::bad_tokenizer, where() + ": " + quoted(left) + " is not in the vocabulary");
    }
    const auto r = id_of_token.find(right);
    if (r == id_of_token.end()) {
      return Error(Status::bad_tokenizer, where() + ": " + quoted(right) + " is not in the vocabulary");
    }
    joined = left + right;
    const auto res = id_of_token.find(joined);
    if (res == id_of_token.end()) {
      return Error(Status::bad_tokenizer,
                   where() + ": the result " + quoted(joined) + " is not in the vocabulary");
    }
    merges_.insert(l->second, r->second, Merge{rank, res->second});
    ++rank;
  }
  return Error();
}

void ByteBpe::encode_piece(std::string_view piece, std::vector<int32_t>* ids) const {
  if (piece.size() == 1) {
    ids->push_back(byte_id_[static_cast<uint8_t>(piece[0])]);
    return;
  }
  const bool cacheable = piece.size() <= kCacheMaxPiece;
  std::string key;
  if (cacheable) {
    key.assign(piece.data(), piece.size());
    std::lock_guard<std::mutex> lock(cache_mu_);
    const auto it = cache_.find(key);
    if (it != cache_.end()) {
      ids->insert(ids->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> word;
  word.reserve(piece.size());
  for (char c : piece) word.push_back(byte_id_[static_cast<uint8_t>(c)]);
  bpe_merge(merges_, &word);
  ids->insert(ids->end(), word.begin(), word.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (cache_.size() >= kCacheEntries) cache_.clear();
    cache_.emplace(std::move(key), std::move(word));
  }
}

Error ByteBpe::encode_ordinary(std::string_view text, std::vector<int32_t>* ids) const {
  Gpt2Pretokenizer pre(text);
  std::string_view piece;
  while (pre.next(&piece)) encode_piece(piece, ids);
  return Error();
}

}  // namespace tok
}  // namespace cbk
