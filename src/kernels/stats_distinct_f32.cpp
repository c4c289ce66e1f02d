// Distinct float values with multiplicities (stats_distinct_f32.h).
#include "kernels/stats_distinct_f32.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace qkw {

namespace {

constexpr uint32_t kEmptyKey = 0xFFFFFFFFu;  // a NaN pattern: never a key

struct Slot {
  uint32_t key;
  uint32_t count;
};

// Larger scratch buffers are released after use rather than pinned for the page's lifetime.
constexpr size_t kKeepScratchElements = size_t{1} << 24;

float floatFromBits(uint32_t bits) {
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

}  // namespace

bool countDistinctFloatKeysHashed(const uint32_t* keys, size_t n, std::vector<ValueCount>& out, size_t limit) {
  if (n == 0) return true;
  if (n >= (size_t{1} << 32)) return false;  // counts are 32-bit
  thread_local std::vector<Slot> table;
  thread_local std::vector<Slot> moved;

  int logSize = 8;
  while ((size_t{1} << logSize) < 2 * std::min(n, size_t{512})) ++logSize;
  size_t mask = (size_t{1} << logSize) - 1;
  if (table.size() < mask + 1) table.resize(mask + 1);
  std::fill(table.begin(), table.begin() + static_cast<std::ptrdiff_t>(mask + 1), Slot{kEmptyKey, 0});
  size_t used = 0;

  // Fibonacci hashing: the high bits of key * 2^32/phi. Quantized values differ in their high
  // mantissa and exponent bits, which the multiply spreads over the index.
  auto slotOf = [&](uint32_t key) { return static_cast<size_t>((key * 0x9E3779B1u) >> (32 - logSize)); };
  auto place = [&](uint32_t key, uint32_t count) {
    size_t h = slotOf(key);
    while (table[h].key != kEmptyKey) h = (h + 1) & mask;
    table[h] = Slot{key, count};
  };
  auto grow = [&] {
    moved.clear();
    for (size_t i = 0; i <= mask; ++i)
      if (table[i].key != kEmptyKey) moved.push_back(table[i]);
    ++logSize;
    mask = (size_t{1} << logSize) - 1;
    if (table.size() < mask + 1) table.resize(mask + 1);
    std::fill(table.begin(), table.begin() + static_cast<std::ptrdiff_t>(mask + 1), Slot{kEmptyKey, 0});
    for (const Slot& s : moved) place(s.key, s.count);
  };
  auto add = [&](uint32_t key, uint32_t count) {
    size_t h = slotOf(key);
    for (;;) {
      Slot& s = table[h];
      if (s.key == key) {
        s.count += count;
        return true;
      }
      if (s.key == kEmptyKey) {
        s = Slot{key, count};
        if (++used > limit) return false;
        if (2 * used > mask + 1) grow();
        return true;
      }
      h = (h + 1) & mask;
    }
  };

  // Runs of one value (zeros after ReLU, padding) are counted before touching the table.
  uint32_t run = keys[0];
  uint32_t runLength = 1;
  bool ok = true;
  for (size_t i = 1; i < n; ++i) {
    const uint32_t key = keys[i];
    if (key == run) {
      ++runLength;
      continue;
    }
    if (!add(run, runLength)) {
      ok = false;
      break;
    }
    run = key;
    runLength = 1;
  }
  if (ok) ok = add(run, runLength);
  if (ok) {
    for (size_t i = 0; i <= mask; ++i)
      if (table[i].key != kEmptyKey) out.push_back(ValueCount{floatFromBits(table[i].key), table[i].count});
  }
  if (table.size() > kKeepScratchElements) std::vector<Slot>().swap(table);
  return ok;
}

void countDistinctFloatKeysSorted(const uint32_t* keys, size_t n, std::vector<ValueCount>& out) {
  if (n == 0) return;
  thread_local std::vector<uint32_t> bufferA, bufferB;
  if (bufferA.size() < n) bufferA.resize(n);
  if (bufferB.size() < n) bufferB.resize(n);

  // Three passes of 11 bits. Any total order works for counting runs, so the raw bit patterns
  // are sorted as unsigned integers.
  constexpr int kPasses = 3;
  constexpr int kBits = 11;
  constexpr size_t kBuckets = size_t{1} << kBits;
  std::array<std::array<size_t, kBuckets>, kPasses> counts{};
  for (size_t i = 0; i < n; ++i) {
    const uint32_t k = keys[i];
    ++counts[0][k & (kBuckets - 1)];
    ++counts[1][(k >> kBits) & (kBuckets - 1)];
    ++counts[2][k >> (2 * kBits)];
  }
  const uint32_t* source = keys;
  uint32_t* target = bufferA.data();
  uint32_t* spare = bufferB.data();
  for (int pass = 0; pass < kPasses; ++pass) {
    std::array<size_t, kBuckets>& c = counts[static_cast<size_t>(pass)];
    const int shift = pass * kBits;
    if (c[(source[0] >> shift) & (kBuckets - 1)] == n) continue;  // one bucket: already in order
    size_t offset = 0;
    for (size_t& x : c) {
      const size_t count = x;
      x = offset;
      offset += count;
    }
    for (size_t i = 0; i < n; ++i) {
      const uint32_t k = source[i];
      target[c[(k >> shift) & (kBuckets - 1)]++] = k;
    }
    source = target;
    std::swap(target, spare);
  }

  size_t start = 0;
  for (size_t i = 1; i <= n; ++i) {
    if (i == n || source[i] != source[start]) {
      out.push_back(ValueCount{floatFromBits(source[start]), static_cast<uint64_t>(i - start)});
      start = i;
    }
  }
  if (bufferA.size() > kKeepScratchElements) {
    std::vector<uint32_t>().swap(bufferA);
    std::vector<uint32_t>().swap(bufferB);
  }
}

void countDistinctFloatKeys(const uint32_t* keys, size_t n, std::vector<ValueCount>& out) {
  if (countDistinctFloatKeysHashed(keys, n, out, kDistinctHashLimit)) return;
  countDistinctFloatKeysSorted(keys, n, out);
}

}  // namespace qkw
