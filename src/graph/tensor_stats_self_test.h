// Randomized comparison of the trace statistics (computeStats: SIMD lattice levels, zero-skipping
// level scans, hashed and radix-sorted distinct counts) with their reference twin
// (computeStatsReference), field by field and bit for bit: grids of every kind (uniform, offset,
// per-channel, sparse wide accumulators, power-of-two, custom, none), sizes around the SIMD block
// and lattice thresholds, and NaN, ±inf, -0, subnormal and huge values.
//
// It lives in the library so that the very same cases run natively (tests/cpp) and compiled to
// WebAssembly under Node (the module's selfTestStats, tests/js/trace_stats_wasm.test.js): the
// SIMD paths differ between the two (SSE4.1 natively, wasm SIMD in the module).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qkw {

struct StatsSelfTestResult {
  int64_t cases = 0;                  // tensors compared
  int64_t values = 0;                 // values in them
  std::vector<std::string> failures;  // one line per mismatching case (grid, size, first differing field)
};

StatsSelfTestResult runStatsSelfTest(uint32_t seed, int rounds);

}  // namespace qkw
