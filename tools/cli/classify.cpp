// `cbk classify MODEL.cbk [FILE|-] [--json] [steering]`: classifies input vectors with a classifier
// model (DKVB, prototype networks) and prints each input's class, the codes that
// decided it and the logits. Dispatches on the model kind.
#include <cstdio>

#include "tools/cli/api_util.hpp"
#include "tools/cli/classify.hpp"
#include "tools/cli/commands.hpp"

namespace cbk::cli {
namespace {

constexpr const char* kClassifyUsage =
    "usage: cbk classify MODEL.cbk [FILE|-] [--json] [--force HEAD:KEY] [--mask HEAD:KEY[,KEY...]]\n"
    "                    [--no-file-mask]\n"
    "  Classifies the input vectors in FILE (default: standard input), one per line, numbers\n"
    "  separated by spaces or commas, and prints each input's class, the pair each head picked\n"
    "  and the logits.\n"
    "  --json              one JSON object on stdout\n"
    "Prototype networks: FILE is an IDX image file (uncompressed) or a binary PGM image; each image's\n"
    "  class, its nearest prototypes and their squared distances are printed.\n"
    "  --labels IDX        the images' labels: print the accuracy instead of every image\n"
    "  --limit N           only the first N images\n";

bool split_pair(const std::string& s, std::string* left, std::string* right) {
  const auto colon = s.find(':');
  if (colon == std::string::npos) return false;
  *left = s.substr(0, colon);
  *right = s.substr(colon + 1);
  return !left->empty() && !right->empty();
}

}  // namespace

int parse_steering_flag(const std::vector<std::string>& args, std::size_t* i, ClassifyOptions* o, std::string* error) {
  const std::string& arg = args[*i];
  std::string head, keys;
  long long h = 0, k = 0;
  if (arg == "--no-file-mask") {
    o->no_file_mask = true;
    return 1;
  }
  if (arg == "--force") {
    if (*i + 1 >= args.size() || !split_pair(args[++*i], &head, &keys) || !parse_count(head, 0, INT32_MAX, &h) ||
        !parse_count(keys, -1, INT32_MAX, &k)) {
      *error = "--force needs HEAD:KEY (integers, KEY -1 = search)";
      return -1;
    }
    o->force.emplace_back(static_cast<std::uint32_t>(h), static_cast<std::int32_t>(k));
    return 1;
  }
  if (arg == "--mask") {
    std::vector<std::int32_t> ids;
    if (*i + 1 >= args.size() || !split_pair(args[++*i], &head, &keys) || !parse_count(head, -1, INT32_MAX, &h) ||
        !parse_ids(keys, &ids) || ids.empty()) {
      *error = "--mask needs HEAD:KEY[,KEY...] (HEAD -1 = every head)";
      return -1;
    }
    o->mask.emplace_back(static_cast<std::int32_t>(h), ids);
    return 1;
  }
  return 0;
}

int run_classify(const std::vector<std::string>& args) {
  ClassifyOptions o;
  std::vector<std::string> pos;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string error;
    const int steering = parse_steering_flag(args, &i, &o, &error);
    if (steering < 0) return usage_error("classify", error, kClassifyUsage);
    if (steering > 0) continue;
    if (arg == "-h" || arg == "--help") {
      std::printf("%s%s", kClassifyUsage, kSteeringFlagsUsage);
      return kExitOk;
    } else if (arg == "--json") {
      o.json = true;
    } else if (arg == "--labels" && i + 1 < args.size()) {
      o.labels_path = args[++i];
    } else if (arg == "--limit") {
      if (i + 1 >= args.size() || !parse_count(args[++i], 1, INT32_MAX, &o.limit))
        return usage_error("classify", "--limit needs a positive integer", kClassifyUsage);
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage_error("classify", "unknown option '" + arg + "'", kClassifyUsage);
    } else {
      pos.push_back(arg);
    }
  }
  if (pos.empty() || pos.size() > 2) return usage_error("classify", "expected MODEL.cbk [FILE|-]", kClassifyUsage);
  o.model_path = pos[0];
  o.input_path = pos.size() == 2 ? pos[1] : "-";

  cbk_status st = CBK_STATUS_OK;
  model_ptr model = load_model(o.model_path.c_str(), nullptr, &st);
  if (!model) return api_failure("classify", st);
  cbk_kind kind = CBK_KIND_TRANSFORMER;
  if ((st = cbk_model_kind(model.get(), &kind))) return api_failure("classify", st);
  Vectors inputs;
  std::string error;
  switch (kind) {
    case CBK_KIND_DKVB:
      if (!read_vectors(o.input_path, false, &inputs, &error)) return failure("classify", error);
      return classify_dkvb(model.get(), inputs, o);
    case CBK_KIND_PROTONET:
      return classify_protonet(model.get(), o);
    default:
      return failure("classify", std::string("wrong_model_kind: classify runs classifier models; '") + o.model_path +
                                     "' is a " + cbk_kind_name(kind) + " model (see cbk generate / cbk eval)");
  }
}

}  // namespace cbk::cli
