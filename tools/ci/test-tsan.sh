#!/usr/bin/env bash
# ThreadSanitizer stage: a clang build with -DCBK_SANITIZE=thread of only what the threads test
# needs (the runtime, the C API, tests/threads), then those tests through ctest, so the stage ends in
# ctest's summary. One cbk_model is shared by 8 threads (tests/threads/test_threads.cpp), and
# sessions run on 2 and 3 worker threads of their own (tests/threads/test_engine_threads.cpp); any
# data race TSan reports fails the test (TSAN_OPTIONS=halt_on_error=1, set by the tests' ctest entries).
# Needs: clang 14, cmake, ninja, catch2. Usage: tools/ci/test-tsan.sh [extra cmake args]
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir=${CBK_BUILD_DIR:-build-tsan}
jobs=${CBK_JOBS:-$(nproc)}
# Optional compiler launcher for repeated local runs, e.g. CBK_LAUNCHER=ccache.
launcher=()
if [[ -n "${CBK_LAUNCHER:-}" ]]; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER="$CBK_LAUNCHER" -DCMAKE_CXX_COMPILER_LAUNCHER="$CBK_LAUNCHER")
fi
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCBK_SANITIZE=thread \
  -DCBK_BUILD_BENCH=OFF -DCBK_BUILD_TOOLS=OFF -DCBK_PYTHON_TESTS=OFF -DCBK_BUILD_FUZZ=OFF \
  "${launcher[@]}" "$@" >/dev/null
cmake --build "$build_dir" -j "$jobs" --target test_threads test_engine_threads
ctest --test-dir "$build_dir" --output-on-failure -R '^threads_'
