// cbk — the codebook.cpp command-line tool.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "tools/cli/commands.hpp"

namespace {

constexpr const char* kUsage =
    "usage: cbk COMMAND [ARGS]\n"
    "commands:\n"
    "  info MODEL.cbk [--json]   verify a model file and describe it\n"
    "  generate MODEL.cbk ...    run a prompt, sample tokens, show and steer the codes\n"
    "  eval MODEL.cbk FILE       loss and accuracy over a text or token-id file\n"
    "  codes MODEL.cbk ... CORPUS top contexts of one code over a corpus\n"
    "  search MODEL.cbk REGEX CORPUS  codes ranked by precision/recall for a regex\n"
    "  bench MODEL.cbk           prefill and decode speed\n"
    "  fsm-eval MODEL.cbk ...    TokFSM metrics: LM, state accuracy, state codes, steering\n"
    "  fsm-demo MODEL.cbk ...    TokFSM: tokens with their states and codes, then steered to another state\n"
    "  steer-eval MODEL.cbk ...  topic steering: share of samples on topic, baseline vs steered, and their loss\n"
    "  classify MODEL.cbk [FILE] classify input vectors (DKVB): class, picked keys, logits;\n"
    "                            or images (prototype network): class, nearest prototypes, accuracy\n"
    "  dkvb-eval MODEL.cbk FILE  DKVB accuracy on a labelled set, per class and per task\n"
    "  prototypes MODEL.cbk      a prototype network's prototypes, decoded into a PNG grid\n"
    "  help                      this text\n"
    "  --version                 print the version\n"
    "Run 'cbk COMMAND --help' for the options of a command.\n";

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::fputs(kUsage, stderr);
      return cbk::cli::kExitUsage;
    }
    const std::string command = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    if (command == "info") return cbk::cli::run_info(args);
    if (command == "generate") return cbk::cli::run_generate(args);
    if (command == "eval") return cbk::cli::run_eval(args);
    if (command == "codes") return cbk::cli::run_codes(args);
    if (command == "search") return cbk::cli::run_search(args);
    if (command == "bench") return cbk::cli::run_bench(args);
    if (command == "fsm-eval") return cbk::cli::run_fsm_eval(args);
    if (command == "fsm-demo") return cbk::cli::run_fsm_demo(args);
    if (command == "steer-eval") return cbk::cli::run_steer_eval(args);
    if (command == "classify") return cbk::cli::run_classify(args);
    if (command == "dkvb-eval") return cbk::cli::run_dkvb_eval(args);
    if (command == "prototypes") return cbk::cli::run_prototypes(args);
    if (command == "help" || command == "--help" || command == "-h") {
      std::fputs(kUsage, stdout);
      return cbk::cli::kExitOk;
    }
    if (command == "--version") {
      std::printf("cbk %s\n", CBK_VERSION_STRING);
      return cbk::cli::kExitOk;
    }
    std::fprintf(stderr, "cbk: unknown command '%s'\n%s", command.c_str(), kUsage);
    return cbk::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cbk: internal error: %s\n", e.what());
    return cbk::cli::kExitFailure;
  }
}
