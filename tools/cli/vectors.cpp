#include "tools/cli/vectors.hpp"

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <sstream>

#include "tools/cli/api_util.hpp"

namespace cbk::cli {

bool parse_vectors(const std::string& text, bool labelled, Vectors* out, std::string* error) {
  *out = Vectors();
  std::istringstream in(text);
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    for (char& c : line)
      if (c == ',' || c == '\t' || c == '\r') c = ' ';
    std::istringstream fields(line);
    std::string field;
    std::vector<std::string> parts;
    while (fields >> field) parts.push_back(field);
    if (parts.empty() || parts[0][0] == '#') continue;
    const std::string where = "line " + std::to_string(line_no);
    std::size_t first = 0;
    if (labelled) {
      long long label = 0;
      if (!parse_count(parts[0], 0, INT32_MAX, &label)) {
        *error = where + ": the label '" + parts[0] + "' is not a class id >= 0";
        return false;
      }
      out->labels.push_back(static_cast<std::int32_t>(label));
      first = 1;
    }
    const std::size_t width = parts.size() - first;
    if (width == 0 || (out->width != 0 && width != out->width)) {
      *error = where + " has " + std::to_string(width) + " numbers" +
               (out->width ? ", the lines before " + std::to_string(out->width) : std::string());
      return false;
    }
    out->width = width;
    for (std::size_t i = first; i < parts.size(); ++i) {
      double v = 0.0;
      if (!parse_number(parts[i], &v)) {
        *error = where + ": '" + parts[i] + "' is not a number";
        return false;
      }
      out->values.push_back(static_cast<float>(v));
    }
  }
  if (out->rows() == 0) {
    *error = "no input vectors";
    return false;
  }
  return true;
}

bool read_vectors(const std::string& path, bool labelled, Vectors* out, std::string* error) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else if (!read_file(path, &text)) {
    *error = "cannot read '" + path + "'";
    return false;
  }
  if (!parse_vectors(text, labelled, out, error)) {
    *error = (path == "-" ? std::string("stdin") : path) + ": " + *error;
    return false;
  }
  return true;
}

}  // namespace cbk::cli
