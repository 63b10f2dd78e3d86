// The one main() of every Catch2 test program (the Catch2 runner is compiled once, here).
// A program whose inputs can be missing (e.g. golden files made by an optional tool) defines
// cbk_test_skip_reason() to return why; it then exits 77, which ctest reports as skipped
// (SKIP_RETURN_CODE 77).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include "tests/test_main.hpp"

__attribute__((weak)) const char* cbk_test_skip_reason() { return nullptr; }

int main(int argc, char** argv) {
  if (const char* why = cbk_test_skip_reason()) {
    std::printf("SKIP: %s\n", why);
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
