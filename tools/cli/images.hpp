// Grayscale image files for the prototype-network verbs: IDX (the MNIST / Fashion-MNIST format,
// uncompressed: gunzip the .gz files first) and binary PGM (P5, maxval <= 255), and a PNG writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cbk::cli {

struct Images {
  std::size_t count = 0, height = 0, width = 0;
  std::vector<std::uint8_t> pixels;  // [count x height x width]
};

// An IDX file of unsigned bytes with 3 dimensions (images) or 1 (labels: height = width = 1).
// False with *error for anything else (a gzip file is named as such).
bool read_idx(const std::string& path, Images* out, std::string* error);
// A P5 PGM file (maxval 1..255; pixels scaled to 0..255).
bool read_pgm(const std::string& path, Images* out, std::string* error);
// read_pgm for a ".pgm" path, read_idx otherwise.
bool read_images(const std::string& path, Images* out, std::string* error);

// An 8-bit grayscale PNG (deflate "stored" blocks, no compression library). rows: height x width.
bool write_png_gray(const std::string& path, const std::vector<std::uint8_t>& pixels, std::size_t width,
                    std::size_t height, std::string* error);

}  // namespace cbk::cli
