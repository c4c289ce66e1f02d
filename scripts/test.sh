#!/usr/bin/env bash
# The README's test command: installs what is missing, builds incrementally, then runs the
# C++ unit tests (native, then under ASan+UBSan) and the Node suites (WASM build, demo page in
# Chromium), and ends with one line that adds them up.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

bash scripts/setup.sh
bash scripts/build.sh
echo "== build: $(( $(date +%s) - start )) s"

passed=0; failed=0; skipped=0; status=0
ctest_suite() {  # name, build dir, env...
  local name=$1 dir=$2; shift 2
  echo "== C++ unit tests ($name)"
  local log=build/ctest-$name.log
  env "$@" ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" 2>&1 | tee "$log" || status=1
  local line total bad
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line"); bad=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  if [ -z "$line" ]; then status=1; return; fi
  passed=$((passed + total - bad)); failed=$((failed + bad))
}
ctest_suite native build/native
if [ "${QKW_NO_ASAN:-0}" != 1 ]; then
  ctest_suite asan build/asan ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
fi

echo "== Node tests (WASM build)"
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination=build/node-tests.tap tests/js/ || status=1
count() { grep -E "^# $1 [0-9]+" build/node-tests.tap | tail -1 | awk '{print $3}'; }
passed=$((passed + $(count pass))); failed=$((failed + $(count fail))); skipped=$((skipped + $(count skipped)))

# Fuzz targets, briefly (npm run fuzz runs them longer): libFuzzer ones need the ASan build.
echo "== fuzz targets (${QKW_FUZZ_SECONDS:-10} s each)"
fuzz_targets=qkwm
if [ "${QKW_NO_ASAN:-0}" != 1 ]; then fuzz_targets="quantizer_spec model_builder qkwm"; fi
for t in $fuzz_targets; do
  if bash scripts/fuzz.sh "$t" "${QKW_FUZZ_SECONDS:-10}"; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
done

echo "== total time: $(( $(date +%s) - start )) s"
echo "all: $passed passed, $failed failed, $skipped skipped"
exit $status
