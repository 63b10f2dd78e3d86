#!/usr/bin/env bash
# README command 2 (and CI): install everything, then build and run every test suite:
#   1. native, g++ Release: every suite, including the Python reference, the converter and the
#      long CLI evaluations (they run here only)
#   2. clang++ with ASan + UBSan: the C++ suites and the CLI under sanitizers, plus short libFuzzer
#      runs of every fuzz target on its corpus
#   3. clang++ with ThreadSanitizer: one model shared by many threads (tools/ci/test-tsan.sh)
#   4. aarch64 cross build (NEON kernels) under qemu-aarch64: kernel, engine, API and parity suites
#      and one CLI smoke test
#   5. WASM (SIMD128) build under Node: the same subset
#   6. browser: the web/ module's JS API under Node and the demo page in headless Chromium
# Every stage ends with its test runner's summary; any failure stops the run with a non-zero exit.
# At the end: each stage's wall time, then the total of tests passed and failed.
set -euo pipefail
cd "$(dirname "$0")/.."
export CBK_STAGE_LOG=${CBK_STAGE_LOG:-$(mktemp -d)}
source tools/ci/stages.sh

run_stage "install" bash tools/ci/install-deps.sh test
jobs=$(nproc)
export CTEST_PARALLEL_LEVEL=$jobs CTEST_OUTPUT_ON_FAILURE=1

native() {
  cmake -S . -B build-ci -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ >/dev/null
  cmake --build build-ci -j "$jobs"
  ctest --test-dir build-ci
}
run_stage "native (g++, Release)" native

sanitizers() {
  # Line tables are all a sanitizer report needs, and compile much faster than full debug info.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -gline-tables-only -DNDEBUG" \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -gline-tables-only -DNDEBUG" \
    "-DCBK_SANITIZE=address;undefined" -DCBK_BUILD_BENCH=OFF -DCBK_PYTHON_TESTS=OFF -DCBK_BUILD_FUZZ=ON >/dev/null
  cmake --build build-asan -j "$jobs"
  ctest --test-dir build-asan
}
run_stage "sanitizers (clang++, ASan + UBSan, fuzz smoke)" sanitizers

[ -f tools/ci/test-tsan.sh ] && run_stage "threads (clang++, TSan)" bash tools/ci/test-tsan.sh
run_stage "aarch64 (qemu)" bash tools/ci/test-aarch64.sh
# One Emscripten build serves the WASM suite and the browser stage (build-web: the tests and the web
# module share the library's objects).
CBK_BUILD_DIR=build-web run_stage "wasm (Node)" bash tools/ci/test-wasm.sh -DCBK_BUILD_WEB=ON
CBK_NATIVE_CLI=$PWD/build-ci/tools/cbk CBK_WEB_BUILD_DIR=build-web \
  run_stage "browser (web/: Node tests, Chromium)" bash tools/ci/test-web.sh

print_stage_summary
