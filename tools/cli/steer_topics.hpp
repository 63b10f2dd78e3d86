// The topics a model file names for `cbk steer-eval`: a topic NAME's codes are the code annotations
// labelled exactly "topic: NAME" (in annotation order), and metadata key "topic.NAME.regex" holds
// the pattern that decides whether a text mentions it (ECMAScript syntax, matched case-insensitively).
#pragma once

#include <cstddef>
#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include "bindings/c/include/cbk.h"
#include "tools/cli/steering_flags.hpp"

namespace cbk::cli {

// One topic code and the slot steering puts it in.
struct TopicCode {
  std::size_t codebook = 0;
  std::uint32_t layer = 0;
  cbk_site site = CBK_SITE_MLP;
  std::uint32_t group = 0;
  std::int32_t code = 0;
  std::int32_t slot = -1;  // Python-style: -1 = the least similar slot
};

struct Topic {
  std::string name;
  std::string pattern;
  std::regex regex;              // pattern, ECMAScript, case-insensitive
  std::vector<TopicCode> codes;  // the codes steering forces
  std::size_t dropped = 0;       // annotated codes left out: their group's slots were used up
};

// The topics `wanted` names ({} or {"all"}: every topic with both codes and a regex, in metadata
// order), their codes given slots -1, -2, ... per codebook group in annotation order, at most
// min(k, max_per_group) per group. Returns false with a one-line *error (an unknown topic, one
// without codes, without a regex or with a bad regex; a model with no topics).
bool select_topics(const cbk_model* model, const std::vector<std::string>& wanted, std::uint32_t max_per_group,
                   std::vector<Topic>* out, std::string* error);

// The interventions that steer toward `topic`: each code forced into its slot at every position.
std::vector<SteerFlag> topic_steering(const Topic& topic);

// Whether `text` mentions the topic (a match anywhere). A match that overruns std::regex's limits
// counts as no match and sets *failed.
bool mentions(const Topic& topic, const std::string& text, bool* failed);

}  // namespace cbk::cli
