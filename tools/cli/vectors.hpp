// Input vectors for the classifier verbs (classify, dkvb-eval): one vector per line, numbers
// separated by spaces, tabs or commas; blank lines and lines starting with '#' are skipped. A
// labelled file starts each line with the integer class label.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cbk::cli {

struct Vectors {
  std::size_t width = 0;             // floats per vector (every line must agree)
  std::vector<float> values;         // [rows x width], row-major
  std::vector<std::int32_t> labels;  // labelled files only
  std::size_t rows() const { return width == 0 ? 0 : values.size() / width; }
};

// Parses `text`; on a malformed line returns false with *error naming the line.
bool parse_vectors(const std::string& text, bool labelled, Vectors* out, std::string* error);
// Reads PATH, or standard input for "-".
bool read_vectors(const std::string& path, bool labelled, Vectors* out, std::string* error);

}  // namespace cbk::cli
