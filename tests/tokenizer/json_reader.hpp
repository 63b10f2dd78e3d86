// Minimal JSON reader for the tokenizer tests' golden files (objects, arrays, strings with all
// escapes, integers, booleans, null). Test support only; throws std::runtime_error on bad input.
#pragma once

#include <cstdint>
#include <utility>
#include <string>
#include <vector>

namespace cbk_test {

struct Json {
  enum class Type { null, boolean, number, string, array, object } type = Type::null;
  bool boolean = false;
  int64_t number = 0;
  std::string string;
  std::vector<Json> array;
  // Members in file order (vocab.json is read in order; duplicates are not merged).
  std::vector<std::pair<std::string, Json>> object;

  const Json& operator[](const std::string& key) const;  // throws when absent
};

Json parse_json(const std::string& text);
std::string read_file(const std::string& path);  // throws when unreadable

}  // namespace cbk_test
