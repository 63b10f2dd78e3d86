#!/usr/bin/env bash
# README command 1: install what is missing, build, and run the main job on the bundled model:
# describe it, generate with the active codes of every token shown, then generate again with a
# code forced at the generated tokens.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/ci/install-deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCBK_BUILD_TOOLS=ON -DCBK_BUILD_TESTS=OFF -DCBK_BUILD_BENCH=OFF >/dev/null
cmake --build build --target cbk -j "$(nproc)"
model=models/tokfsm.cbk
./build/tools/cbk info "$model"
echo; echo "== generate, showing the code ids every token selects =="
./build/tools/cbk generate "$model" -p 0123 -n 4 --temp 0 --ignore-eos --show-codes
echo; echo "== the same, with code 7 forced into the layer-2 MLP codebook at every generated token =="
./build/tools/cbk generate "$model" -p 0123 -n 4 --temp 0 --ignore-eos --show-codes --force 2:mlp:0:7@generated
