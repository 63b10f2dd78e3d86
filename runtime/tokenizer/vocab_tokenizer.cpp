#include "runtime/tokenizer/vocab_tokenizer.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "runtime/tokenizer/unicode_class.hpp"

namespace cbk {
namespace tok {

Error VocabTokenizer::create(std::vector<std::string> tokens, std::unique_ptr<TokenizerImpl>* out) {
  std::unique_ptr<VocabTokenizer> v(new VocabTokenizer());
  v->kind = Tokenizer::Kind::vocab;
  Error err = init_vocab(std::move(tokens), v.get());
  if (!err.ok()) return err;
  v->bytes = v->vocab;
  for (size_t i = 0; i < v->vocab.size(); ++i) {
    v->by_first_byte_[static_cast<uint8_t>(v->vocab[i][0])].push_back(static_cast<int32_t>(i));
  }
  for (auto& ids : v->by_first_byte_) {
    std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
      return v->vocab[static_cast<size_t>(a)].size() > v->vocab[static_cast<size_t>(b)].size();
    });
  }
  *out = std::move(v);
  return Error();
}

Error VocabTokenizer::encode_ordinary(std::string_view text, std::vector<int32_t>* ids) const {
  size_t i = 0;
  while (i < text.size()) {
    int32_t found = -1;
    for (int32_t id : by_first_byte_[static_cast<uint8_t>(text[i])]) {
      const std::string& t = vocab[static_cast<size_t>(id)];
      if (text.compare(i, t.size(), t) == 0) {
        found = id;
        break;
      }
    }
    if (found < 0) {
      // Name the whole character (or the lone byte when the text is not valid UTF-8 there).
      uint32_t cp = 0;
      const uint32_t len = decode_utf8(reinterpret_cast<const unsigned char*>(text.data()) + i,
                                       text.size() - i, &cp);
      char buf[40];
      if (len == 0) {
        std::snprintf(buf, sizeof buf, "byte 0x%02X", static_cast<uint8_t>(text[i]));
      } else {
        std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
      }
      const std::string shown = len == 0 ? std::string() : quoted(text.substr(i, len)) + " ";
      return Error(Status::invalid_argument, "no token for character " + shown + "(" + buf +
                                                 ") at byte offset " + std::to_string(i));
    }
    ids->push_back(found);
    i += vocab[static_cast<size_t>(found)].size();
  }
  return Error();
}

}  // namespace tok
}  // namespace cbk
