// Randomized comparison of the trace statistics (computeStats: SIMD lattice levels, zero-skipping
// level scans, hashed and radix-sorted distinct counts) with their reference twin
// (computeStatsReference), field by field and bit for bit: grids of every kind (uniform, offset,
// per-channel, sparse wide accumulators, power-of-two, custom, none), sizes around the SIMD block
// and lattice thresholds, and NaN, ±inf, -0, subnormal and huge values.
//
// Native only (SSE4.1 paths): a hook in the module would cost ~3 kB gzipped of the size budget.
// The wasm SIMD paths are checked by tests/js/trace_stats_wasm.test.js against the JS reference
// recount (web/trace.js mergeTracePieces) on traces of real models.
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
