#include "tools/cli/api_util.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tools/cli/commands.hpp"

namespace cbk::cli {

int api_failure(const char* verb, cbk_status status) {
  std::fprintf(stderr, "cbk %s: %s: %s\n", verb, cbk_status_string(status), cbk_last_error_message());
  return kExitFailure;
}

int failure(const char* verb, const std::string& message) {
  std::fprintf(stderr, "cbk %s: %s\n", verb, message.c_str());
  return kExitFailure;
}

int usage_error(const char* verb, const std::string& why, const char* usage) {
  std::fprintf(stderr, "cbk %s: %s\n%s", verb, why.c_str(), usage);
  return kExitUsage;
}

std::vector<CodebookRef> codebooks(const cbk_model* model) {
  std::vector<CodebookRef> out(cbk_model_codebook_count(model));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].info.struct_size = sizeof(cbk_codebook_info);
    cbk_model_codebook_info(model, i, &out[i].info);  // cannot fail: i < count
    out[i].site_name = cbk_site_name(out[i].info.site);
  }
  return out;
}

std::string annotation_label(const cbk_model* model, std::size_t codebook, std::uint32_t group, std::int32_t code) {
  std::size_t index = 0;
  cbk_code_annotation note = sized<cbk_code_annotation>();
  if (code < 0 || cbk_model_annotation_count(model) == 0 ||
      cbk_model_find_annotation(model, codebook, group, static_cast<std::uint32_t>(code), &index) != CBK_STATUS_OK ||
      cbk_model_annotation(model, index, &note) != CBK_STATUS_OK || !note.label)
    return "";
  return note.label;
}

std::string token_text(const cbk_model* model, std::int32_t id) {
  std::string s;
  if (detokenize(model, std::vector<std::int32_t>{id}, &s) != CBK_STATUS_OK) return "";
  return s;
}

std::string valid_utf8(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t j = 1; ok && j < len; ++j) ok = (static_cast<unsigned char>(s[i + j]) & 0xC0) == 0x80;
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

cbk_status tokenize(const cbk_model* model, const std::string& text, bool add_bos, std::vector<std::int32_t>* out) {
  const std::uint32_t flags = add_bos ? CBK_TOKENIZE_ADD_BOS : 0u;
  std::size_t n = 0;
  cbk_status st = cbk_tokenize(model, text.data(), text.size(), flags, nullptr, 0, &n);
  if (st != CBK_STATUS_OK && st != CBK_STATUS_BUFFER_TOO_SMALL) return st;
  out->assign(n, 0);
  if (n == 0) return CBK_STATUS_OK;
  return cbk_tokenize(model, text.data(), text.size(), flags, out->data(), n, &n);
}

cbk_status detokenize(const cbk_model* model, const std::vector<std::int32_t>& ids, std::string* out) {
  out->clear();
  std::size_t len = 0;
  cbk_status st = cbk_detokenize(model, ids.data(), ids.size(), nullptr, 0, &len);
  if (st != CBK_STATUS_OK && st != CBK_STATUS_BUFFER_TOO_SMALL) return st;
  std::string s(len + 1, '\0');
  st = cbk_detokenize(model, ids.data(), ids.size(), &s[0], s.size(), &len);
  if (st != CBK_STATUS_OK) return st;
  s.resize(len);
  *out = std::move(s);
  return CBK_STATUS_OK;
}

bool parse_number(const std::string& s, double* out) {
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

cbk_model_params model_params(bool no_mmap) {
  cbk_model_params p = cbk_model_default_params();
  if (no_mmap) p.use_mmap = 0;
  return p;
}

bool parse_threads(const std::string& s, std::uint32_t* out) {
  long long v = 0;
  if (!parse_count(s, 1, 256, &v)) return false;
  *out = static_cast<std::uint32_t>(v);
  return true;
}

bool parse_count(const std::string& s, long long low, long long high, long long* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size() || v < low || v > high) return false;
  *out = v;
  return true;
}

bool parse_ids(const std::string& s, std::vector<std::int32_t>* out) {
  std::string item;
  auto flush = [&] {
    if (item.empty()) return true;
    long long v = 0;
    if (!parse_count(item, -2147483647ll, 2147483647ll, &v)) return false;
    out->push_back(static_cast<std::int32_t>(v));
    item.clear();
    return true;
  };
  for (char c : s) {
    if (c == ',' || c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      if (!flush()) return false;
    } else {
      item += c;
    }
  }
  return flush() && !out->empty();
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string take_model_arg(const std::string& arg, std::string* model) {
  if (!arg.empty() && arg[0] == '-') return "unknown option '" + arg + "'";
  if (!model->empty()) return "only one model file, got '" + arg + "' too";
  *model = arg;
  return "";
}

}  // namespace cbk::cli
