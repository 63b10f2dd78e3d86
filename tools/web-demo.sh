#!/usr/bin/env bash
# The browser demo in one command: builds the WebAssembly module (build-web/cbk.mjs + cbk.wasm) if
# it is missing or older than the sources, then serves the repository on 127.0.0.1 with the headers
# the page needs and prints the URL. Nothing native is needed.
#   bash tools/web-demo.sh [--port N]        (default 8080; 0 = any free port)
# Needs: emscripten (Debian 3.1.6) for the build, node >= 18 for the server.
set -euo pipefail
cd "$(dirname "$0")/.."
port=8080
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=${2:?--port needs a number}; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "web-demo.sh: unknown argument '$1' (--port N)" >&2; exit 2 ;;
  esac
done
build_dir=${CBK_WEB_BUILD_DIR:-build-web}
command -v node >/dev/null || { echo "web-demo.sh: node is missing (apt-get install nodejs)" >&2; exit 1; }

# Rebuild when the module is missing or any library/glue source is newer than it.
if [ ! -f "$build_dir/cbk.mjs" ] || [ ! -f "$build_dir/cbk.wasm" ] ||
   [ -n "$(find runtime bindings schema simd web/wasm web/CMakeLists.txt CMakeLists.txt cmake \
            -newer "$build_dir/cbk.wasm" -type f -print -quit)" ]; then
  command -v emcmake >/dev/null || { echo "web-demo.sh: emscripten is missing (apt-get install emscripten)" >&2; exit 1; }
  echo "building the WebAssembly module in $build_dir ..."
  # Debian's emscripten finds its JS optimizer's modules (acorn) only through NODE_PATH.
  export NODE_PATH=/usr/share/nodejs
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then  # the same configuration as tools/ci/test-web.sh
    emcmake cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      "-DCMAKE_CROSSCOMPILING_EMULATOR=$(command -v node);--no-experimental-fetch" \
      -DCBK_BUILD_WEB=ON -DCBK_BUILD_TESTS=OFF -DCBK_BUILD_TOOLS=OFF -DCBK_BUILD_BENCH=OFF >/dev/null
  fi
  cmake --build "$build_dir" -j "${CBK_JOBS:-2}" --target cbk_web
fi
[ -f models/tokfsm.cbk ] || echo "web-demo.sh: models/tokfsm.cbk is missing; open a model with the page's file picker" >&2
exec node web/serve.mjs --port "$port"
