#!/usr/bin/env bash
# `npm run bench`: builds incrementally, then
#   1. the native kernel microbenchmarks (Google Benchmark; conv/dense report GMAC/s), JSON in
#      build/bench/kernels.json (skipped with QKW_BENCH_NATIVE=0);
#   2. the Node benchmark (bench/run.mjs): qkeras-wasm vs TF.js wasm vs onnxruntime-web int8 in
#      one process, a table on stdout and build/bench/results.json.
# Arguments go to bench/run.mjs (--runs N, --models A,B,rn07, --smoke, --json FILE).
# Reports, not tests: nothing here fails on a slow result.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
QKW_NO_ASAN=1 bash scripts/build.sh
mkdir -p build/bench
if [ "${QKW_BENCH_NATIVE:-1}" != 0 ]; then
  echo "== native kernels (Google Benchmark)"
  build/native/qkw_bench --benchmark_filter='Dense|Conv' --benchmark_min_time=0.2 \
    --benchmark_out=build/bench/kernels.json --benchmark_out_format=json
fi
echo "== Node: qkeras-wasm vs TF.js vs onnxruntime-web"
node bench/run.mjs "$@"
