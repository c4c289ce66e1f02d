#!/usr/bin/env bash
# `npm run bench`: builds what it needs incrementally (the WASM module, the examples, the native
# benchmark binary), then runs
#   1. the native kernel microbenchmarks (Google Benchmark; conv/dense report GMAC/s), JSON in
#      build/bench/kernels.json (skipped with QKW_BENCH_NATIVE=0);
#   2. the Node benchmark (bench/run.mjs): qkeras-wasm vs TF.js wasm vs onnxruntime-web int8 in
#      one process, tables on stdout and build/bench/results.json.
#   3. the popcount kernels (bench/popcount.mjs): binary/ternary convs in WASM against the int16
#      dot16x2 path and the float kernels, GMAC/s per shape;
#   4. the footprint section (bench/footprint.mjs): size by part, cold start against
#      onnxruntime-web in fresh processes, trace ÷ predict, batch scaling over 1 and 2 threads
#      (10,000 MNIST digits); build/bench/footprint.json.
# Arguments go to bench/run.mjs (--runs N, --models A,B,rn07, --smoke, --json FILE).
# Reports, not tests: nothing here fails on a slow result.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # Debian's emcc finds acorn there
bash scripts/setup.sh
configure() {  # dir, then cmake args
  local dir=$1; shift
  if [ ! -f "$dir/CMakeCache.txt" ]; then "$@" -S . -B "$dir" >/dev/null; fi
}
configure build/wasm emcmake cmake -DCMAKE_BUILD_TYPE=Release
cmake --build build/wasm -j "$(nproc)"
node scripts/make-examples.mjs
mkdir -p build/bench
if [ "${QKW_BENCH_NATIVE:-1}" != 0 ]; then
  configure build/native cmake -DCMAKE_BUILD_TYPE=Release
  cmake --build build/native -j "$(nproc)" --target qkw_bench
  echo "== native kernels (Google Benchmark; GMAC=x/s is GMAC/s)"
  build/native/qkw_bench --benchmark_filter='Dense|Conv' --benchmark_min_time=0.2 \
    --benchmark_out=build/bench/kernels.json --benchmark_out_format=json
fi
echo "== Node: qkeras-wasm vs TF.js vs onnxruntime-web"
node bench/run.mjs "$@"
echo "== popcount kernels (WASM): binary/ternary conv vs int16 dot16x2 vs f32"
node bench/popcount.mjs --runs 100
echo "== footprint: size, cold start, trace overhead, batch scaling"
node bench/footprint.mjs
