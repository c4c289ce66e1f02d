// Distinct float values with their multiplicities, in O(n): the distinct-count kernel behind the
// per-layer trace statistics (graph/tensor_stats.h). Traced models have few distinct values per
// layer (quantized or sums of quantized values), so an open-addressing hash map that stays in
// cache does the work; when a tensor turns out to have many distinct values the map is abandoned
// for an LSD radix sort, which does not depend on cache locality.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace qkw {

struct ValueCount {
  float value;
  uint64_t count;
};

// The bit pattern of v as the key of its value: -0 folded into +0. NaN must be filtered out by
// the caller (all NaN patterns would be distinct keys).
inline uint32_t distinctKeyOf(uint32_t floatBits) { return floatBits == 0x80000000u ? 0u : floatBits; }

// Appends one entry per distinct key in keys[0, n) to `out`, in unspecified order. Keys are float
// bit patterns from distinctKeyOf (no NaN). Scratch memory is thread_local and reused: after the
// first calls nothing is allocated unless a tensor is larger than any before.
void countDistinctFloatKeys(const uint32_t* keys, size_t n, std::vector<ValueCount>& out);

// The same for a float tensor as stored: NaN values are left out (and their number returned), -0
// is folded into +0.
int64_t countDistinctFloats(const float* data, size_t n, std::vector<ValueCount>& out);

// The hash map gives up (and the radix sort takes over) beyond this many distinct keys.
constexpr size_t kDistinctHashLimit = size_t{1} << 15;

// Exposed for tests: each strategy alone.
bool countDistinctFloatKeysHashed(const uint32_t* keys, size_t n, std::vector<ValueCount>& out, size_t limit);
void countDistinctFloatKeysSorted(const uint32_t* keys, size_t n, std::vector<ValueCount>& out);

}  // namespace qkw
