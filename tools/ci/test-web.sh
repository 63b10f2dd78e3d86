#!/usr/bin/env bash
# The browser stage: builds the web module (web/: cbk.wasm + cbk.mjs, Emscripten) and runs its
# tests under Node (node --test web/test/node/) and the demo page in headless Chromium
# (web/test/browser/), with the native CLI as the oracle for exactness.
# Needs: emscripten (Debian 3.1.6), node >= 20, python3 with numpy and torch (test fixtures; the
# story-model fixture of web/test/browser/stories.test.mjs is trained, ~10 s on one thread).
# Usage: tools/ci/test-web.sh   (CBK_NATIVE_CLI=path/to/cbk to reuse a native build)
set -euo pipefail
cd "$(dirname "$0")/../.."
jobs=${CBK_JOBS:-2}
web_dir=${CBK_WEB_BUILD_DIR:-build-web}
export CBK_WEB_BUILD_DIR=$web_dir
# Optional compiler launcher for repeated local runs, e.g. CBK_LAUNCHER=ccache.
launcher=()
if [[ -n "${CBK_LAUNCHER:-}" ]]; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER="$CBK_LAUNCHER" -DCMAKE_CXX_COMPILER_LAUNCHER="$CBK_LAUNCHER")
fi

# 1. The native CLI, the oracle the WASM build must equal.
if [[ -z "${CBK_NATIVE_CLI:-}" ]]; then
  native_dir=${CBK_NATIVE_BUILD_DIR:-build}
  if [[ ! -x "$native_dir/tools/cbk" ]]; then
    cmake -S . -B "$native_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCBK_BUILD_BENCH=OFF "${launcher[@]}"
    cmake --build "$native_dir" -j "$jobs" --target cbk
  fi
  export CBK_NATIVE_CLI=$PWD/$native_dir/tools/cbk
fi

# 2. The web module. Debian's emscripten finds its JS optimizer's modules only through NODE_PATH
# when node does not come from Debian; emcmake's default emulator flag is rejected by node 20.
export NODE_PATH=/usr/share/nodejs
# A build dir already configured with the web module (tools/test-all.sh builds it together with the
# WASM test suite) is reused as it is.
if ! grep -qs '^CBK_BUILD_WEB:BOOL=ON' "$web_dir/CMakeCache.txt"; then
  emcmake cmake -S . -B "$web_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_CROSSCOMPILING_EMULATOR=$(command -v node);--no-experimental-fetch" \
    -DCBK_BUILD_WEB=ON -DCBK_BUILD_TESTS=OFF -DCBK_BUILD_TOOLS=OFF -DCBK_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
fi
cmake --build "$web_dir" -j "$jobs" --target cbk_web
wasm_bytes=$(stat -c %s "$web_dir/cbk.wasm")
echo "cbk.wasm: $wasm_bytes bytes raw, $(gzip -9c "$web_dir/cbk.wasm" | wc -c) bytes gzipped"

# 3. The Node tests (node's test runner prints "# pass N" / "# fail N" and exits non-zero on failure).
node --test web/test/node/

# 4. The demo page (web/demo/) in headless Chromium (Debian's chromium driven by npm playwright-core),
# served by web/serve.mjs, checked against the native CLI; screenshots go to $web_dir/screenshots/.
node --test web/test/browser/
