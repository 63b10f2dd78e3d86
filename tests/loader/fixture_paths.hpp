// Where the Python-built fixtures are (set by ctest through CBK_FIXTURES).
#pragma once

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace cbk::test {

inline std::string fixtures_dir() {
  const char* dir = std::getenv("CBK_FIXTURES");
  return dir ? dir : "fixtures";
}

inline std::vector<unsigned char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace cbk::test
