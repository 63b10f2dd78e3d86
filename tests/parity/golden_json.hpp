// A small JSON reader for the parity golden files (numbers as double, which holds every float32
// value the goldens print exactly). Test support only; throws std::runtime_error on bad input.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cbk_parity {

struct Value {
  enum class Type { null, boolean, number, string, array, object } type = Type::null;
  bool boolean = false;
  double number = 0.0;
  std::string string;
  std::vector<Value> array;
  std::vector<std::pair<std::string, Value>> object;

  bool is_null() const { return type == Type::null; }
  bool has(const std::string& key) const;
  const Value& operator[](const std::string& key) const;  // throws when absent
  // The member, or a null value when absent.
  const Value& get(const std::string& key) const;
  int as_int() const;  // throws unless an integral number
};

Value parse(const std::string& text);
std::string read_text_file(const std::string& path);

}  // namespace cbk_parity
