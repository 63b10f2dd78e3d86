// `cbk classify`: the verb shared by the classifier model kinds. classify.cpp parses the command line
// and the input vectors, then dispatches on the model's kind (cbk_model_kind) to the family's
// function below; a new family adds its function and one case.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bindings/c/include/cbk.hpp"
#include "tools/cli/vectors.hpp"

namespace cbk::cli {

struct ClassifyOptions {
  std::string model_path, input_path;
  bool json = false;
  bool no_file_mask = false;                                  // DKVB: ignore the file's used-pair mask
  std::vector<std::pair<std::uint32_t, std::int32_t>> force;  // DKVB: --force HEAD:KEY
  std::vector<std::pair<std::int32_t, std::vector<std::int32_t>>> mask;  // DKVB: --mask HEAD:KEY[,KEY...]
  std::string labels_path;  // protonet: --labels IDX (prints the accuracy)
  long long limit = 0;      // protonet: --limit N (the first N images; 0 = all)
};

// The steering flags of classify and dkvb-eval (--force, --mask, --no-file-mask) at args[*i]:
// 1 when consumed (*i moves past its value), 0 when args[*i] is not one, -1 with *error when its
// value is malformed.
int parse_steering_flag(const std::vector<std::string>& args, std::size_t* i, ClassifyOptions* o, std::string* error);
// Usage lines for those flags.
inline constexpr const char* kSteeringFlagsUsage =
    "DKVB steering (repeatable):\n"
    "  --force HEAD:KEY    head HEAD always uses pair KEY\n"
    "  --mask HEAD:KEYS    exclude pairs KEYS (comma separated) from HEAD's search; HEAD -1 = every head\n"
    "  --no-file-mask      also search the pairs the file marks unused\n";

// DKVB models (tools/cli/classify_dkvb.cpp). Returns the exit code.
int classify_dkvb(const cbk_model* model, const Vectors& inputs, const ClassifyOptions& options);

// Prototype networks (tools/cli/classify_protonet.cpp): FILE is an IDX image file or a PGM image.
int classify_protonet(const cbk_model* model, const ClassifyOptions& options);

// One DKVB classifier with the options' steering applied; nullptr after printing the failure.
dkvb_ptr steered_dkvb(const cbk_model* model, const ClassifyOptions& options, const char* verb);

}  // namespace cbk::cli
