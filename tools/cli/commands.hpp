// The verbs of the `cbk` command-line tool. Each returns the process exit code:
// 0 success, 1 the work failed (bad model file, ...), 2 usage error.
#pragma once

#include <string>
#include <vector>

namespace cbk::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

int run_info(const std::vector<std::string>& args);
int run_generate(const std::vector<std::string>& args);
int run_eval(const std::vector<std::string>& args);
int run_codes(const std::vector<std::string>& args);
int run_search(const std::vector<std::string>& args);
int run_bench(const std::vector<std::string>& args);
int run_fsm_eval(const std::vector<std::string>& args);  // tools/cli/fsm_eval.cpp, when built
int run_fsm_demo(const std::vector<std::string>& args);  // tools/cli/fsm_demo.cpp
int run_prototypes(const std::vector<std::string>& args);  // tools/cli/prototypes.cpp (prototype networks)
int run_classify(const std::vector<std::string>& args);  // tools/cli/classify.cpp (classifier model kinds)
int run_dkvb_eval(const std::vector<std::string>& args); // tools/cli/dkvb_eval.cpp
int run_steer_eval(const std::vector<std::string>& args);  // tools/cli/steer_eval.cpp (topic steering, Table 3b)

}  // namespace cbk::cli
