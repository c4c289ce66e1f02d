#!/usr/bin/env bash
# Incremental build of everything: native library + tests + benchmarks (build/native),
# the ASan+UBSan test build (build/asan, skipped with QKW_NO_ASAN=1) and the WASM module
# (build/wasm -> web/wasm/) and its test-only kernel self-test module (build/wasm/).
# Re-running only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # Debian's emcc finds acorn there
jobs=$(nproc)

configure() {  # dir, then cmake args
  local dir=$1; shift
  if [ ! -f "$dir/CMakeCache.txt" ]; then "$@" -S . -B "$dir" >/dev/null; fi
}
# `build.sh wasm` builds only what the npm package ships (npm pack's prepack, npm run trace): the
# WASM module (target qkeras_wasm). The full build also makes the test-only kernel self-test
# module (build/wasm/kernel_selftest.mjs, tests/js).
if [ "${1:-all}" = wasm ]; then
  configure build/wasm emcmake cmake -DCMAKE_BUILD_TYPE=Release
  cmake --build build/wasm -j "$jobs" --target qkeras_wasm
  exit 0
fi
configure build/native cmake -DCMAKE_BUILD_TYPE=Release
cmake --build build/native -j "$jobs"
if [ "${QKW_NO_ASAN:-0}" != 1 ]; then
  configure build/asan cmake -DCMAKE_BUILD_TYPE=Debug -DQKW_SANITIZE=ON -DCMAKE_CXX_COMPILER=clang++ -DQKW_BUILD_BENCH=OFF
  cmake --build build/asan -j "$jobs"
fi
configure build/wasm emcmake cmake -DCMAKE_BUILD_TYPE=Release
cmake --build build/wasm -j "$jobs"
node scripts/make-examples.mjs
