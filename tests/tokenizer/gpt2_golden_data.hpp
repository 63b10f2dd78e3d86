// Loads the GPT-2 vocabulary, merges and golden cases written by gen_gpt2_golden.js.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/tokenizer/tokenizer.hpp"

namespace cbk_test {

struct GoldenCase {
  std::string text;
  bool special = false;
  std::vector<int32_t> ids;
};

struct Gpt2Golden {
  std::unique_ptr<cbk::Tokenizer> tokenizer;
  std::vector<GoldenCase> cases;
};

// Directory holding vocab.json, merges.txt and golden.json (set by CMake).
std::string gpt2_golden_dir();

// Reads vocab.json and merges.txt from dir into the argument lists of create_byte_bpe.
void read_gpt2_files(const std::string& dir, std::vector<std::string>* tokens, std::vector<std::string>* merges);

// Loads everything once per process; throws std::runtime_error on unreadable files.
const Gpt2Golden& gpt2_golden();

}  // namespace cbk_test
