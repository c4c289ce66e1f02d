#!/usr/bin/env bash
# The README's test command: installs what is missing, builds incrementally, then runs the
# C++ unit tests (native, then under ASan+UBSan), the WASM SIMD check, and the Node suites.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

bash scripts/setup.sh
bash scripts/build.sh
built=$(date +%s)
echo "== build: $((built - start)) s"

echo "== C++ unit tests (native, Release)"
ctest --test-dir build/native --output-on-failure -j "$(nproc)"
if [ "${QKW_NO_ASAN:-0}" != 1 ]; then
  echo "== C++ unit tests (ASan + UBSan)"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build/asan --output-on-failure -j "$(nproc)"
fi

echo "== Node tests (WASM build)"
node --test --test-reporter=spec tests/js/
echo "== total: $(( $(date +%s) - start )) s"
