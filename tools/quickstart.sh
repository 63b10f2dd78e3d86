#!/usr/bin/env bash
# README command 1: install what is missing, build, and run the main job on the bundled model:
# describe it, generate a TokFSM sequence with every token's state and active codes, then steer the
# same prompt to another state and show the model following it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/ci/install-deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCBK_BUILD_TOOLS=ON -DCBK_BUILD_TESTS=OFF -DCBK_BUILD_BENCH=OFF >/dev/null
cmake --build build --target cbk -j "$(nproc)"
model=models/tokfsm.cbk
./build/tools/cbk info "$model"
echo
# A sequence from the trained TokFSM model: each token with the FSM state it completes and the code
# every MLP codebook selects ("state NN" = an annotated state code); then the same prompt steered to
# state 42 by writing a state-42 run's MLP codes into this one, and 100 sampled next states each way.
./build/tools/cbk fsm-demo "$model" --prompt 7,33 --states 3 --steer-to 42
