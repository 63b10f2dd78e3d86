// Minimal JSON reader for the tests' golden files (objects, arrays, strings with all escapes incl.
// surrogate pairs, numbers, booleans, null). Numbers are doubles, which hold every token id and every
// float32 value the goldens print exactly. Test support only; throws std::runtime_error on bad input.
#pragma once

#include <cstdint>
#include <utility>
#include <string>
#include <vector>

namespace cbk_test {

struct Json {
  enum class Type { null, boolean, number, string, array, object } type = Type::null;
  bool boolean = false;
  double number = 0.0;
  std::string string;
  std::vector<Json> array;
  // Members in file order (vocab.json is read in order; duplicates are not merged).
  std::vector<std::pair<std::string, Json>> object;

  bool is_null() const { return type == Type::null; }
  bool has(const std::string& key) const;
  const Json& operator[](const std::string& key) const;  // throws when absent
  const Json& get(const std::string& key) const;         // a null value when absent
  int as_int() const;                                    // throws unless an integral number
};

Json parse_json(const std::string& text);
std::string read_file(const std::string& path);  // throws when unreadable

}  // namespace cbk_test
