#!/usr/bin/env bash
# Installs what codebook.cpp needs from Debian 12 packages (and npm for the test tools).
# Idempotent: packages already present are not fetched again.
#   install-deps.sh build   what building and running the CLI needs
#   install-deps.sh test    everything the full test suite needs (native, sanitizers, aarch64, WASM, browser)
set -euo pipefail

BUILD_PACKAGES=(
  cmake ninja-build g++          # build system and compiler
  libxsimd-dev                   # SIMD kernels (header-only)
  flatbuffers-compiler libflatbuffers-dev   # flatc generates the .cbk header code; verifier headers
)
TEST_PACKAGES=(
  clang libclang-rt-14-dev       # second compiler; ASan/UBSan runtime
  catch2                         # C++ unit tests
  libbenchmark-dev               # benchmarks (built in CI so they cannot rot)
  libfaiss-dev                   # outside oracle for codebook search ids
  python3-numpy python3-flatbuffers   # the Python .cbk writer and fixtures
  python3-torch libopenblas0-pthread  # the independent Python reference model
  g++-aarch64-linux-gnu qemu-user     # ARM64 cross build, run under emulation
  emscripten                     # WASM build, tests run under Node
  chromium                       # the browser stage: the demo page, driven by npm playwright-core
  dataset-fashion-mnist          # prototype-network and DKVB tests on the full Fashion-MNIST test set
)

want=("${BUILD_PACKAGES[@]}")
[ "${1:-build}" = test ] && want+=("${TEST_PACKAGES[@]}")
# Node and npm: emscripten and the tokenizer tests need them. Take Debian's only if none is installed.
command -v node >/dev/null || want+=(nodejs)
[ "${1:-build}" = test ] && ! command -v npm >/dev/null && want+=(npm)

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-build}" = test ]; then
  root=$(cd "$(dirname "$0")/../.." && pwd)
  # npm ci is reproducible from package-lock.json; skip it when node_modules is already in sync.
  if [ ! -f "$root/node_modules/.package-lock.json" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
    (cd "$root" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
