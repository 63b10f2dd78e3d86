#include "tests/parity/golden_json.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cbk_parity {
namespace {

struct Parser {
  const std::string& s;
  std::size_t i = 0;

  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error("JSON: " + why + " at offset " + std::to_string(i));
  }
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  }
  bool take(char c) {
    ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!take(c)) fail(std::string("expected '") + c + "'");
  }
  bool word(const char* w) {
    const std::string x(w);
    if (s.compare(i, x.size(), x) == 0) {
      i += x.size();
      return true;
    }
    return false;
  }

  std::string str() {
    expect('"');
    std::string out;
    while (i < s.size() && s[i] != '"') {
      char c = s[i++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i >= s.size()) fail("bad escape");
      c = s[i++];
      switch (c) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          if (i + 4 > s.size()) fail("bad \\u");
          const unsigned cp = static_cast<unsigned>(std::stoul(s.substr(i, 4), nullptr, 16));
          i += 4;
          // Goldens only escape ASCII control characters; encode BMP code points as UTF-8.
          if (cp < 0x80) {
            out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default: out += c;
      }
    }
    if (i >= s.size()) fail("unterminated string");
    ++i;
    return out;
  }

  Value value() {
    ws();
    if (i >= s.size()) fail("unexpected end");
    Value v;
    const char c = s[i];
    if (c == '{') {
      ++i;
      v.type = Value::Type::object;
      if (take('}')) return v;
      do {
        ws();
        std::string key = str();
        expect(':');
        v.object.emplace_back(std::move(key), value());
      } while (take(','));
      expect('}');
    } else if (c == '[') {
      ++i;
      v.type = Value::Type::array;
      if (take(']')) return v;
      do v.array.push_back(value());
      while (take(','));
      expect(']');
    } else if (c == '"') {
      v.type = Value::Type::string;
      v.string = str();
    } else if (word("null")) {
      v.type = Value::Type::null;
    } else if (word("true") || word("false")) {
      v.type = Value::Type::boolean;
      v.boolean = s[i - 1] == 'e' && s[i - 2] == 'u';
    } else {
      const char* start = s.c_str() + i;
      char* end = nullptr;
      v.number = std::strtod(start, &end);
      if (end == start) fail("bad value");
      i += static_cast<std::size_t>(end - start);
      v.type = Value::Type::number;
    }
    return v;
  }
};

const Value& null_value() {
  static const Value v;
  return v;
}

}  // namespace

bool Value::has(const std::string& key) const {
  for (const auto& m : object)
    if (m.first == key) return true;
  return false;
}

const Value& Value::get(const std::string& key) const {
  for (const auto& m : object)
    if (m.first == key) return m.second;
  return null_value();
}

const Value& Value::operator[](const std::string& key) const {
  for (const auto& m : object)
    if (m.first == key) return m.second;
  throw std::runtime_error("JSON: missing key '" + key + "'");
}

int Value::as_int() const {
  if (type != Type::number || std::floor(number) != number) throw std::runtime_error("JSON: not an integer");
  return static_cast<int>(number);
}

Value parse(const std::string& text) {
  Parser p{text};
  Value v = p.value();
  p.ws();
  if (p.i != text.size()) p.fail("trailing characters");
  return v;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace cbk_parity
