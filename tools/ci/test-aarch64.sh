#!/usr/bin/env bash
# Cross-builds the whole project for aarch64 (NEON) and runs its test suite under qemu-aarch64.
# Needs: g++-aarch64-linux-gnu, qemu-user, cmake, ninja-build. Usage: tools/ci/test-aarch64.sh [extra cmake args]
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir=${CBK_BUILD_DIR:-build-aarch64}
jobs=${CBK_JOBS:-2}
cmake -S . -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64-linux-gnu.cmake \
  -DCBK_CROSS_HOST_HEADERS=ON \
  "-DCMAKE_CROSSCOMPILING_EMULATOR=qemu-aarch64;-L;/usr/aarch64-linux-gnu" \
  -DCBK_BUILD_BENCH=OFF \
  "$@"
cmake --build "$build_dir" -j "$jobs"
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs"
