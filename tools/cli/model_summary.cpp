#include "tools/cli/model_summary.hpp"

#include <cstdio>

namespace cbk::cli {
namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

}  // namespace

ParameterCounts count_parameters(const Model& model) {
  ParameterCounts p;
  for (const TensorView& t : model.tensors()) {
    const std::uint64_t n = t.elements();
    if (t.name == "tok_embed" || t.name == "pos_embed") p.embeddings += n;
    else if (t.name == "lm_head.weight") p.lm_head += n;
    else if (starts_with(t.name, "final_norm") || contains(t.name, ".ln1.") || contains(t.name, ".ln2.")) p.norms += n;
    else if (contains(t.name, ".attn.")) p.attention += n;
    else if (contains(t.name, ".mlp.")) p.mlp += n;
  }
  for (const Codebook& cb : model.codebooks())
    for (const CodebookGroup& g : cb.group_data) p.codebooks += g.codes.elements() + g.ln_weight.elements() + g.ln_bias.elements();
  return p;
}

std::uint64_t codebook_bytes(const Codebook& cb) {
  std::uint64_t bytes = 0;
  for (const CodebookGroup& g : cb.group_data) {
    bytes += g.codes.bytes + g.ln_weight.bytes + g.ln_bias.bytes;
    if (g.codes.dtype == DType::int8) bytes += g.codes.rows() * 4;
  }
  return bytes;
}

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string with_commas(std::uint64_t value) {
  std::string digits = std::to_string(value), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace cbk::cli
