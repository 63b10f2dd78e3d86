// Semantic validation of what surrounds the network: annotations, tokenizer, generation defaults.
#include <cmath>
#include <string>
#include <unordered_set>

#include "runtime/loader/loader_internal.hpp"

namespace cbk::loader {

Error validate_annotations(const ModelContents& c) {
  for (std::size_t i = 0; i < c.annotations.size(); ++i) {
    const CodeAnnotation& a = c.annotations[i];
    const std::string where = "annotations[" + std::to_string(i) + "]";
    auto bad = [&](const std::string& why) { return Error(Status::bad_annotation, where + ": " + why); };
    if (a.codebook >= c.codebooks.size())
      return bad("codebook " + std::to_string(a.codebook) + " does not exist (the model has " +
                 std::to_string(c.codebooks.size()) + ")");
    const Codebook& cb = c.codebooks[a.codebook];
    if (a.group >= cb.groups)
      return bad("group " + std::to_string(a.group) + " is out of range (codebook has " + std::to_string(cb.groups) + ")");
    if (a.code >= cb.codes)
      return bad("code " + std::to_string(a.code) + " is out of range (codebook has " + std::to_string(cb.codes) + ")");
    if (!std::isfinite(a.frequency) || a.frequency < 0.0f || a.frequency > 1.0f)
      return bad("frequency " + std::to_string(a.frequency) + " is not in [0, 1]");
    for (std::size_t j = 0; j < a.top_contexts.size(); ++j) {
      const CodeContext& ctx = a.top_contexts[j];
      for (std::int32_t t : ctx.tokens)
        if (t < 0 || static_cast<std::uint32_t>(t) >= c.architecture.vocab_size)
          return bad("top_contexts[" + std::to_string(j) + "] token id " + std::to_string(t) + " is outside the vocabulary");
      if (ctx.highlight_start > ctx.highlight_end || ctx.highlight_end > ctx.tokens.size())
        return bad("top_contexts[" + std::to_string(j) + "] highlight [" + std::to_string(ctx.highlight_start) + ", " +
                   std::to_string(ctx.highlight_end) + ") is not inside its " + std::to_string(ctx.tokens.size()) + " tokens");
      if (!std::isfinite(ctx.score))
        return Error(Status::non_finite_value, where + ".top_contexts[" + std::to_string(j) + "].score is not finite");
    }
  }
  return Error();
}

Error validate_tokenizer(const ModelContents& c) {
  if (!c.has_tokenizer) return Error();
  const TokenizerData& t = c.tokenizer;
  auto bad = [](const std::string& why) { return Error(Status::bad_tokenizer, "tokenizer: " + why); };
  if (static_cast<std::uint8_t>(t.kind) > static_cast<std::uint8_t>(TokenizerKind::vocab))
    return bad("unknown kind value " + std::to_string(static_cast<int>(t.kind)));
  if (t.tokens.empty()) return bad("has no tokens");
  if (t.tokens.size() > c.architecture.vocab_size)
    return bad(std::to_string(t.tokens.size()) + " tokens exceed vocab_size " + std::to_string(c.architecture.vocab_size));
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < t.tokens.size(); ++i) {
    if (t.tokens[i].empty()) return bad("token " + std::to_string(i) + " is empty");
    if (!seen.insert(t.tokens[i]).second) return bad("token " + std::to_string(i) + " '" + t.tokens[i] + "' appears twice");
  }
  const auto n = static_cast<std::int64_t>(t.tokens.size());
  for (auto [name, id] : {std::pair<const char*, std::int32_t>{"bos_id", t.bos_id}, {"eos_id", t.eos_id}, {"pad_id", t.pad_id}})
    if (id < -1 || id >= n)
      return bad(std::string(name) + " " + std::to_string(id) + " is outside the " + std::to_string(n) + " tokens (-1 = none)");
  if (t.add_bos && t.bos_id < 0) return bad("add_bos is set but bos_id is -1");
  if (t.kind == TokenizerKind::vocab && !t.merges.empty()) return bad("a vocab tokenizer has no merges");
  for (std::size_t i = 0; i < t.merges.size(); ++i) {
    const std::string& m = t.merges[i];
    const auto space = m.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == m.size() || m.find(' ', space + 1) != std::string::npos)
      return bad("merge " + std::to_string(i) + " '" + m + "' is not two tokens separated by one space");
  }
  return Error();
}

Error validate_generation(const GenerationDefaults& g) {
  if (!std::isfinite(g.temperature) || g.temperature < 0.0f)
    return Error(Status::out_of_range, "generation.temperature " + std::to_string(g.temperature) + " must be finite and >= 0");
  if (!std::isfinite(g.top_p) || g.top_p <= 0.0f || g.top_p > 1.0f)
    return Error(Status::out_of_range, "generation.top_p " + std::to_string(g.top_p) + " must be in (0, 1]");
  return Error();
}

}  // namespace cbk::loader
