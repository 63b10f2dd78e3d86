#include "tests/tokenizer/gpt2_golden_data.hpp"

#include <stdexcept>

#include "tests/common/json_reader.hpp"

namespace cbk_test {

std::string gpt2_golden_dir() { return CBK_TOK_GOLDEN_DIR; }

void read_gpt2_files(const std::string& dir, std::vector<std::string>* tokens, std::vector<std::string>* merges) {
  const Json vocab = parse_json(read_file(dir + "/vocab.json"));
  tokens->assign(vocab.object.size(), std::string());
  for (const auto& kv : vocab.object) {
    const auto id = static_cast<size_t>(kv.second.number);
    if (id >= tokens->size()) throw std::runtime_error("vocab.json: id out of range for " + kv.first);
    (*tokens)[id] = kv.first;
  }
  const std::string text = read_file(dir + "/merges.txt");
  merges->clear();
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    merges->push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

const Gpt2Golden& gpt2_golden() {
  static const Gpt2Golden golden = [] {
    Gpt2Golden g;
    const std::string dir = gpt2_golden_dir();
    std::vector<std::string> tokens;
    std::vector<std::string> merges;
    read_gpt2_files(dir, &tokens, &merges);
    const Json doc = parse_json(read_file(dir + "/golden.json"));
    const auto eot = static_cast<int32_t>(doc["eot_id"].number);
    cbk::SpecialTokens special;
    special.bos = eot;
    special.eos = eot;
    special.in_text = {eot};
    const cbk::Error err =
        cbk::Tokenizer::create_byte_bpe(std::move(tokens), std::move(merges), special, &g.tokenizer);
    if (!err.ok()) throw std::runtime_error("create_byte_bpe: " + err.message);
    for (const Json& c : doc["cases"].array) {
      GoldenCase gc;
      gc.text = c["text"].string;
      gc.special = c["special"].boolean;
      for (const Json& id : c["ids"].array) gc.ids.push_back(static_cast<int32_t>(id.number));
      g.cases.push_back(std::move(gc));
    }
    return g;
  }();
  return golden;
}

}  // namespace cbk_test
