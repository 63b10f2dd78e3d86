#!/usr/bin/env bash
# Builds the whole project with Emscripten (WASM SIMD128) and runs its test suite under Node.
# Needs: emscripten (Debian 3.1.6), nodejs >= 18. Usage: tools/ci/test-wasm.sh [extra cmake args]
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir=${CBK_BUILD_DIR:-build-wasm}
jobs=${CBK_JOBS:-2}
# Debian's emscripten finds its JS optimizer's modules (acorn) only through NODE_PATH when node
# does not come from Debian.
export NODE_PATH=/usr/share/nodejs
node_bin=$(command -v node)
# emcmake's default emulator flag (--experimental-wasm-threads) is rejected by node 20, and the
# 3.1.6 glue would try fetch() for the .wasm in node >= 18.
# Test programs are linked without binaryen's -O3 pass pipeline (wasm-opt), which costs ~15x the
# rest of their link; their code is compiled at -O3 all the same. The web module (web/) keeps its
# own -O3 link.
emcmake cmake -S . -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXE_LINKER_FLAGS=-O1 \
  "-DCMAKE_CROSSCOMPILING_EMULATOR=${node_bin};--no-experimental-fetch" \
  -DCBK_BUILD_BENCH=OFF \
  "$@"
cmake --build "$build_dir" -j "$jobs"
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs"
