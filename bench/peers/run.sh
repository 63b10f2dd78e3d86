#!/usr/bin/env bash
# codebook.cpp against what a user would run instead (PyTorch, ONNX Runtime, onnxruntime-web), on the
# same weights, in one interleaved run. Writes bench/peers/results.md and results.json.
#
#   bash bench/peers/run.sh [--quick] [--no-chromium] [other bench/peers/run.py options]
#
# --quick: the TokFSM and Pythia-70m-shaped models, 32 decode tokens (under 10 minutes once built).
# Installs Debian packages and npm devDependencies (tools/ci/install-deps.sh test), builds the
# native library, the runner and (when web/ is in this checkout) the WebAssembly module, writes the
# random models and their ONNX exports into build-peers/peers/ on first use.
# CBK_WEB_ROOT=DIR takes web/src/cbk.js and build-web/ from another checkout (before web/ is merged).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

chromium=1
args=()
for a in "$@"; do
  case "$a" in
    --no-chromium) chromium=0 ;;
    *) args+=("$a") ;;
  esac
done

bash tools/ci/install-deps.sh test

build=build-peers
out=$build/peers
mkdir -p "$out"
if [ ! -f "$build/build.ninja" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCBK_BUILD_TESTS=OFF -DCBK_BUILD_TOOLS=OFF \
    -DCBK_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
fi
cmake --build "$build" --target cbk_static >/dev/null
runner=$out/cbk_peer_runner
if [ ! -x "$runner" ] || [ bench/peers/cbk_runner.c -nt "$runner" ] || [ "$build/bindings/c/libcbk.a" -nt "$runner" ]; then
  cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Ibindings/c/include bench/peers/cbk_runner.c \
    "$build/bindings/c/libcbk.a" -lstdc++ -lm -lpthread -o "$runner"
fi

# The WebAssembly module (web/README.md's build), from this checkout or CBK_WEB_ROOT.
web_root=""
if [ -f web/src/cbk.js ]; then
  export NODE_PATH=/usr/share/nodejs   # emscripten's JS optimizer needs Debian's acorn (rebuilds too)
  if [ ! -f build-web/cbk.mjs ]; then
    emcmake cmake -S . -B build-web -G Ninja -DCMAKE_BUILD_TYPE=Release -DCBK_BUILD_WEB=ON \
      -DCBK_BUILD_TESTS=OFF -DCBK_BUILD_TOOLS=OFF -DCBK_BUILD_BENCH=OFF \
      "-DCMAKE_CROSSCOMPILING_EMULATOR=$(command -v node);--no-experimental-fetch" >/dev/null
  fi
  cmake --build build-web --target cbk_web >/dev/null
  web_root=$root
elif [ -n "${CBK_WEB_ROOT:-}" ] && [ -f "$CBK_WEB_ROOT/web/src/cbk.js" ] && [ -f "$CBK_WEB_ROOT/build-web/cbk.mjs" ]; then
  web_root=$CBK_WEB_ROOT
else
  echo "note: no web/ module in this checkout (and no CBK_WEB_ROOT): the cbk WASM columns are pending" >&2
fi

extra=()
[ -n "$web_root" ] && extra+=(--web-root "$web_root")
[ "$chromium" = 1 ] && extra+=(--chromium)
OMP_NUM_THREADS=1 /usr/bin/python3 bench/peers/run.py --build "$out" "${extra[@]}" "${args[@]}"
