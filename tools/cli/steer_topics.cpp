#include "tools/cli/steer_topics.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "tools/cli/api_util.hpp"

namespace cbk::cli {
namespace {

constexpr const char* kLabelPrefix = "topic: ";
constexpr const char* kKeyPrefix = "topic.";
constexpr const char* kKeySuffix = ".regex";

struct Catalogue {
  std::vector<std::string> order;                        // names with a regex, in metadata order
  std::map<std::string, std::string> patterns;
  std::map<std::string, std::vector<TopicCode>> codes;   // in annotation order, slots not yet set
  std::vector<std::string> code_order;                   // names with codes, in annotation order
};

Catalogue read_catalogue(const cbk_model* model) {
  Catalogue c;
  const std::string prefix = kKeyPrefix, suffix = kKeySuffix;
  for (std::size_t i = 0; i < cbk_model_metadata_count(model); ++i) {
    const char* key = nullptr;
    const char* value = nullptr;
    if (cbk_model_metadata_at(model, i, &key, &value) != CBK_STATUS_OK || !key || !value) continue;
    const std::string k = key;
    if (k.size() <= prefix.size() + suffix.size() || k.compare(0, prefix.size(), prefix) != 0 ||
        k.compare(k.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string name = k.substr(prefix.size(), k.size() - prefix.size() - suffix.size());
    if (c.patterns.emplace(name, value).second) c.order.push_back(name);
  }
  const std::vector<CodebookRef> books = codebooks(model);
  const std::string label_prefix = kLabelPrefix;
  for (std::size_t i = 0; i < cbk_model_annotation_count(model); ++i) {
    cbk_code_annotation note = sized<cbk_code_annotation>();
    if (cbk_model_annotation(model, i, &note) != CBK_STATUS_OK || !note.label || note.codebook >= books.size())
      continue;
    const std::string label = note.label;
    if (label.size() <= label_prefix.size() || label.compare(0, label_prefix.size(), label_prefix) != 0) continue;
    const std::string name = label.substr(label_prefix.size());
    TopicCode tc;
    tc.codebook = note.codebook;
    tc.layer = books[note.codebook].info.layer;
    tc.site = books[note.codebook].info.site;
    tc.group = note.group;
    tc.code = static_cast<std::int32_t>(note.code);
    auto& list = c.codes[name];
    if (list.empty()) c.code_order.push_back(name);
    list.push_back(tc);
  }
  return c;
}

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s.empty() ? "none" : s;
}

}  // namespace

bool select_topics(const cbk_model* model, const std::vector<std::string>& wanted, std::uint32_t max_per_group,
                   std::vector<Topic>* out, std::string* error) {
  const Catalogue c = read_catalogue(model);
  std::vector<std::string> complete;  // both codes and a regex
  for (const std::string& name : c.order)
    if (c.codes.count(name)) complete.push_back(name);
  std::vector<std::string> names = wanted;
  const bool all = wanted.empty() || (wanted.size() == 1 && wanted[0] == "all");
  if (all) {
    if (complete.empty()) {
      *error = "invalid_argument: the model has no topics (code annotations labelled 'topic: NAME' with a "
               "metadata key 'topic.NAME.regex')";
      return false;
    }
    names = complete;
  }
  const std::vector<CodebookRef> books = codebooks(model);
  out->clear();
  for (const std::string& name : names) {
    const bool has_codes = c.codes.count(name) != 0, has_regex = c.patterns.count(name) != 0;
    if (!has_codes && !has_regex) {
      *error = "invalid_argument: unknown topic '" + name + "' (the model's topics: " + joined(complete) + ")";
      return false;
    }
    if (!has_codes) {
      *error = "invalid_argument: topic '" + name + "' has a regex but no codes (no annotation labelled 'topic: " +
               name + "')";
      return false;
    }
    if (!has_regex) {
      *error = "invalid_argument: topic '" + name + "' has codes but no regex (no metadata key 'topic." + name +
               ".regex')";
      return false;
    }
    if (std::any_of(out->begin(), out->end(), [&](const Topic& t) { return t.name == name; })) continue;
    Topic t;
    t.name = name;
    t.pattern = c.patterns.at(name);
    try {
      t.regex = std::regex(t.pattern, std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error& e) {
      *error = "invalid_argument: topic '" + name + "': bad regex '" + t.pattern + "' (" + e.what() + ")";
      return false;
    }
    std::map<std::pair<std::size_t, std::uint32_t>, std::uint32_t> used;  // slots taken per (codebook, group)
    for (TopicCode tc : c.codes.at(name)) {
      const std::uint32_t limit = std::min(books[tc.codebook].info.k, max_per_group);
      std::uint32_t& n = used[{tc.codebook, tc.group}];
      if (n >= limit) {
        ++t.dropped;
        continue;
      }
      tc.slot = -static_cast<std::int32_t>(++n);
      t.codes.push_back(tc);
    }
    out->push_back(std::move(t));
  }
  return true;
}

std::vector<SteerFlag> topic_steering(const Topic& topic) {
  std::vector<SteerFlag> flags;
  for (const TopicCode& tc : topic.codes) {
    SteerFlag f;
    f.kind = SteerFlag::Kind::force;
    f.target = cbk_target{tc.layer, tc.site, static_cast<std::int32_t>(tc.group)};
    f.positions = {cbk_positions{CBK_POSITIONS_ALL, 0, 0}};
    f.code = tc.code;
    f.force_mode = CBK_FORCE_SLOT;
    f.slot = tc.slot;
    flags.push_back(f);
  }
  return flags;
}

bool mentions(const Topic& topic, const std::string& text, bool* failed) {
  try {
    return std::regex_search(text, topic.regex);
  } catch (const std::regex_error&) {
    *failed = true;
    return false;
  }
}

}  // namespace cbk::cli
