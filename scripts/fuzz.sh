#!/usr/bin/env bash
# Runs the fuzz targets: `npm run fuzz -- [target|all] [seconds per target]` (default: all, 60 s).
#   quantizer_spec, model_builder: libFuzzer (clang, ASan+UBSan; built in build/asan)
#   qkwm: the converted-format decoder, fuzzed in Node (tests/fuzz/fuzz_qkwm.mjs)
# Each starts from tests/fuzz/corpus/<target>/ (small hand-made seeds) plus the real models and
# fixtures (scripts/fuzz-seeds.mjs -> build/fuzz-corpus/<target>/), with tests/fuzz/<target>.dict.
# Every crash found so far (tests/fuzz/regressions/<target>/) is replayed first. New inputs go
# to build/fuzz-work/<target>/, crashes to build/fuzz-artifacts/. Exit status 1 on
# any crash. Prints one line per target: "fuzz <target>: ok|CRASH (<runs> runs, <s> s)".
set -uo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs
targets=${1:-all}
seconds=${2:-60}
[ "$targets" = all ] && targets="quantizer_spec model_builder qkwm"

native=()
for t in $targets; do [ "$t" != qkwm ] && native+=("fuzz_$t"); done
if [ ${#native[@]} -gt 0 ]; then
  if [ ! -f build/asan/CMakeCache.txt ]; then
    cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DQKW_SANITIZE=ON -DCMAKE_CXX_COMPILER=clang++ -DQKW_BUILD_BENCH=OFF >/dev/null
  fi
  cmake --build build/asan -j "$(nproc)" --target "${native[@]}" >/dev/null || { echo "fuzz: build failed"; exit 1; }
fi
if [ ! -d build/fuzz-corpus ]; then node scripts/fuzz-seeds.mjs build/fuzz-corpus || exit 1; fi

status=0
for t in $targets; do
  mkdir -p "build/fuzz-work/$t" "build/fuzz-artifacts/$t" "build/fuzz-corpus/$t" "tests/fuzz/regressions/$t"
  log="build/fuzz-work/$t.log"
  start=$(date +%s)
  if [ "$t" = qkwm ]; then
    node tests/fuzz/fuzz_qkwm.mjs "$seconds" "build/fuzz-artifacts/$t" tests/fuzz/corpus/qkwm "build/fuzz-corpus/$t" tests/fuzz/regressions/qkwm >"$log" 2>&1
    rc=$?
    runs=$(grep -Eo 'runs: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  else
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "build/asan/fuzz_$t" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2560 -max_len=65536 \
      -dict="tests/fuzz/$t.dict" -artifact_prefix="build/fuzz-artifacts/$t/" \
      "build/fuzz-work/$t" "tests/fuzz/corpus/$t" "build/fuzz-corpus/$t" "tests/fuzz/regressions/$t" >"$log" 2>&1
    rc=$?
    runs=$(grep -Eo 'stat::number_of_executed_units: [0-9]+|#[0-9]+' "$log" | tail -1 | tr -dc '0-9')
  fi
  if [ $rc -eq 0 ]; then
    echo "fuzz $t: ok (${runs:-?} runs, $(( $(date +%s) - start )) s)"
  else
    echo "fuzz $t: CRASH (exit $rc; see $log and build/fuzz-artifacts/$t/)"
    tail -40 "$log"
    status=1
  fi
done
exit $status
