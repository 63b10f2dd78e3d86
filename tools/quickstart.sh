#!/usr/bin/env bash
# README command 1: install what is missing, build, and run the main job on the bundled model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/ci/install-deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCBK_BUILD_TOOLS=ON -DCBK_BUILD_TESTS=OFF -DCBK_BUILD_BENCH=OFF >/dev/null
cmake --build build --target cbk -j "$(nproc)"
./build/tools/cbk info models/tokfsm.cbk
