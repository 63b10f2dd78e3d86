#!/usr/bin/env bash
# README command 2 (and CI): install everything, then build and run every test suite:
#   1. native, g++ Release: unit, loader, tokenizer, kernels (every ISA the host has), Python reference, CLI
#   2. clang++ with ASan + UBSan: the same C++ suites under sanitizers, plus a libFuzzer run of the loader
#   3. aarch64 cross build (NEON kernels) under qemu-aarch64
#   4. WASM (SIMD128) build under Node
# Each stage ends with ctest's summary; any failure stops the run with a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/ci/install-deps.sh test
jobs=$(nproc)
export CTEST_PARALLEL_LEVEL=$jobs CTEST_OUTPUT_ON_FAILURE=1

stage() { printf '\n==== %s ====\n' "$1"; }

stage "native (g++, Release)"
cmake -S . -B build-ci -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ >/dev/null
cmake --build build-ci -j "$jobs"
ctest --test-dir build-ci

stage "sanitizers (clang++, ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  "-DCBK_SANITIZE=address;undefined" -DCBK_BUILD_BENCH=OFF -DCBK_PYTHON_TESTS=OFF -DCBK_BUILD_FUZZ=ON >/dev/null
cmake --build build-asan -j "$jobs"
ctest --test-dir build-asan

for cross in aarch64 wasm; do
  if [ -f "tools/ci/test-$cross.sh" ]; then
    stage "$cross"
    bash "tools/ci/test-$cross.sh"
  fi
done
