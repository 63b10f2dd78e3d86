#include "tools/cli/images.hpp"

#include <array>
#include <fstream>
#include <iterator>

namespace cbk::cli {
namespace {

bool slurp(const std::string& path, std::vector<std::uint8_t>* out, std::string* error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *error = "cannot open '" + path + "'";
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

std::uint32_t big_endian32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

// CRC-32 (IEEE) as PNG chunks need it.
std::uint32_t crc32(const std::uint8_t* p, std::size_t n, std::uint32_t crc = 0) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

void put32(std::vector<std::uint8_t>* out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<std::uint8_t>(v >> s));
}

void chunk(std::vector<std::uint8_t>* png, const char* type, const std::vector<std::uint8_t>& data) {
  put32(png, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = png->size();
  png->insert(png->end(), type, type + 4);
  png->insert(png->end(), data.begin(), data.end());
  put32(png, crc32(png->data() + start, png->size() - start));
}

}  // namespace

bool read_idx(const std::string& path, Images* out, std::string* error) {
  std::vector<std::uint8_t> b;
  if (!slurp(path, &b, error)) return false;
  if (b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
    *error = "'" + path + "' is gzip-compressed: gunzip it first (e.g. zcat FILE.gz > FILE)";
    return false;
  }
  if (b.size() < 4 || b[0] != 0 || b[1] != 0 || b[2] != 0x08 || (b[3] != 1 && b[3] != 3)) {
    *error = "'" + path + "' is not an IDX file of unsigned bytes with 1 or 3 dimensions";
    return false;
  }
  const std::size_t dims = b[3];
  if (b.size() < 4 + 4 * dims) {
    *error = "'" + path + "': truncated IDX header";
    return false;
  }
  out->count = big_endian32(&b[4]);
  out->height = dims == 3 ? big_endian32(&b[8]) : 1;
  out->width = dims == 3 ? big_endian32(&b[12]) : 1;
  const std::size_t offset = 4 + 4 * dims;
  // Each factor is below 2^32; the division test keeps the product from overflowing.
  const std::size_t plane = out->height * out->width;
  if (plane == 0 || out->count > (b.size() - offset) / plane || b.size() - offset != out->count * plane) {
    *error = "'" + path + "': the IDX data does not match its header's dimensions";
    return false;
  }
  out->pixels.assign(b.begin() + static_cast<std::ptrdiff_t>(offset), b.end());
  return true;
}

bool read_pgm(const std::string& path, Images* out, std::string* error) {
  std::vector<std::uint8_t> b;
  if (!slurp(path, &b, error)) return false;
  std::size_t pos = 2;
  auto number = [&](std::size_t* v) {
    while (pos < b.size() && (b[pos] == ' ' || b[pos] == '\t' || b[pos] == '\n' || b[pos] == '\r' || b[pos] == '#')) {
      if (b[pos] == '#')
        while (pos < b.size() && b[pos] != '\n') ++pos;
      else
        ++pos;
    }
    std::size_t n = 0, digits = 0;
    while (pos < b.size() && b[pos] >= '0' && b[pos] <= '9' && digits < 6) n = n * 10 + (b[pos++] - '0'), ++digits;
    *v = n;
    return digits > 0;
  };
  std::size_t w = 0, h = 0, maxval = 0;
  if (b.size() < 2 || b[0] != 'P' || b[1] != '5' || !number(&w) || !number(&h) || !number(&maxval) ||
      pos >= b.size() || maxval == 0 || maxval > 255 || w == 0 || h == 0) {
    *error = "'" + path + "' is not a binary PGM (P5) with maxval 1..255";
    return false;
  }
  ++pos;  // the single whitespace before the raster
  if (b.size() - pos < w * h) {
    *error = "'" + path + "': the PGM raster is truncated";
    return false;
  }
  out->count = 1;
  out->height = h;
  out->width = w;
  out->pixels.resize(w * h);
  for (std::size_t i = 0; i < w * h; ++i) out->pixels[i] = static_cast<std::uint8_t>(b[pos + i] * 255 / maxval);
  return true;
}

bool read_images(const std::string& path, Images* out, std::string* error) {
  const bool pgm = path.size() > 4 && path.compare(path.size() - 4, 4, ".pgm") == 0;
  return pgm ? read_pgm(path, out, error) : read_idx(path, out, error);
}

bool write_png_gray(const std::string& path, const std::vector<std::uint8_t>& pixels, std::size_t width,
                    std::size_t height, std::string* error) {
  // Raw scanlines (filter byte 0 each), wrapped in a zlib stream of stored deflate blocks.
  std::vector<std::uint8_t> raw;
  raw.reserve(height * (width + 1));
  for (std::size_t y = 0; y < height; ++y) {
    raw.push_back(0);
    raw.insert(raw.end(), pixels.begin() + static_cast<std::ptrdiff_t>(y * width),
               pixels.begin() + static_cast<std::ptrdiff_t>((y + 1) * width));
  }
  std::vector<std::uint8_t> z = {0x78, 0x01};
  std::size_t done = 0;
  do {
    const std::size_t n = raw.size() - done < 65535 ? raw.size() - done : 65535;
    z.push_back(done + n == raw.size() ? 1 : 0);  // BFINAL, BTYPE = 00 (stored)
    z.push_back(static_cast<std::uint8_t>(n));
    z.push_back(static_cast<std::uint8_t>(n >> 8));
    z.push_back(static_cast<std::uint8_t>(~n));
    z.push_back(static_cast<std::uint8_t>(~n >> 8));
    z.insert(z.end(), raw.begin() + static_cast<std::ptrdiff_t>(done), raw.begin() + static_cast<std::ptrdiff_t>(done + n));
    done += n;
  } while (done < raw.size());
  std::uint32_t a = 1, b = 0;  // Adler-32 of the uncompressed data
  for (std::uint8_t v : raw) {
    a = (a + v) % 65521;
    b = (b + a) % 65521;
  }
  put32(&z, b << 16 | a);
  std::vector<std::uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<std::uint8_t> ihdr;
  put32(&ihdr, static_cast<std::uint32_t>(width));
  put32(&ihdr, static_cast<std::uint32_t>(height));
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});  // 8-bit grayscale, deflate, filter 0, no interlace
  chunk(&png, "IHDR", ihdr);
  chunk(&png, "IDAT", z);
  chunk(&png, "IEND", {});
  std::ofstream f(path, std::ios::binary);
  if (!f.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()))) {
    *error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

}  // namespace cbk::cli
