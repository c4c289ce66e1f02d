// Distinct float values with multiplicities (stats_distinct_f32.h).
#include "kernels/stats_distinct_f32.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace qkw {

namespace {

constexpr uint32_t kEmptyKey = 0xFFFFFFFFu;  // a NaN pattern: never a key

// Larger scratch buffers are released after use rather than pinned for the page's lifetime.
constexpr size_t kKeepScratchElements = size_t{1} << 24;

float floatFromBits(uint32_t bits) {
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

}  // namespace

namespace {

uint32_t* emptyTable(std::vector<uint32_t>& keys, std::vector<uint32_t>& counts, size_t size) {
  if (keys.size() < size) {
    keys.resize(size);
    counts.resize(size);
  }
  std::fill(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(size), kEmptyKey);
  return keys.data();
}

struct InsertState {
  size_t next;  // index of the first key not inserted
  size_t used;
  size_t nanCount;
};

// Inserts keys from `next` on until the table holds more than growAt keys. A loop of its own:
// with the rehashing code (and its calls) in the same loop, V8 keeps the loop's variables in
// memory, which costs 2x.
// kRawFloats: the input is float bit patterns as stored, NaN (skipped and counted) and -0 included.
template <bool kRawFloats, class Element>
InsertState insertKeys(const Element* keys, size_t next, size_t n, uint32_t* slotKeys, uint32_t* slotCounts,
                       size_t mask, int shift, size_t used, size_t growAt) {
  size_t nanCount = 0;
  for (size_t i = next; i < n; ++i) {
    uint32_t key;
    std::memcpy(&key, keys + i, sizeof key);
    if (kRawFloats) {
      if ((key & 0x7fffffffu) > 0x7f800000u) {
        ++nanCount;
        continue;
      }
      key = distinctKeyOf(key);
    }
    // Fibonacci hashing: the high bits of key * 2^32/phi. Quantized values differ in their high
    // mantissa and exponent bits, which the multiply spreads over the index.
    size_t h = (key * 0x9E3779B1u) >> shift;
    for (;;) {
      const uint32_t slot = slotKeys[h];
      if (slot == key) {
        ++slotCounts[h];
        break;
      }
      if (slot == kEmptyKey) {
        slotKeys[h] = key;
        slotCounts[h] = 1;
        if (++used > growAt) return InsertState{i + 1, used, nanCount};
        break;
      }
      h = (h + 1) & mask;
    }
  }
  return InsertState{n, used, nanCount};
}

template <bool kRawFloats, class Element>
bool countHashed(const Element* keys, size_t n, std::vector<ValueCount>& out, size_t limit, size_t* nanCount) {
  if (n == 0) return true;
  if (static_cast<uint64_t>(n) >= (uint64_t{1} << 32)) return false;  // counts are 32-bit
  thread_local std::vector<uint32_t> keyStorage, countStorage, movedKeys, movedCounts;

  // Open addressing with linear probing, at most half full. Keys and counts in separate arrays
  // and no helper calls in the loop: V8 compiles this form ~3x faster than a table of structs.
  int logSize = 8;
  while ((size_t{1} << logSize) < 4 * std::min(n, size_t{512})) ++logSize;
  // No lambda captures the loop's state: locals whose address is taken live in WASM linear
  // memory and are reloaded on every iteration.
  size_t mask = (size_t{1} << logSize) - 1;
  int shift = 32 - logSize;
  uint32_t* slotKeys = emptyTable(keyStorage, countStorage, mask + 1);
  uint32_t* slotCounts = countStorage.data();

  size_t used = 0;
  size_t growAt = (mask + 1) / 4;
  size_t next = 0;
  while (next < n) {
    const InsertState state =
        insertKeys<kRawFloats>(keys, next, n, slotKeys, slotCounts, mask, shift, used, growAt);
    next = state.next;
    used = state.used;
    if (nanCount) *nanCount += state.nanCount;
    if (used <= growAt) break;
    if (used > limit) return false;
    movedKeys.clear();
    movedCounts.clear();
    for (size_t j = 0; j <= mask; ++j) {
      if (slotKeys[j] == kEmptyKey) continue;
      movedKeys.push_back(slotKeys[j]);
      movedCounts.push_back(slotCounts[j]);
    }
    ++logSize;
    mask = (size_t{1} << logSize) - 1;
    shift = 32 - logSize;
    slotKeys = emptyTable(keyStorage, countStorage, mask + 1);
    slotCounts = countStorage.data();
    for (size_t j = 0; j < movedKeys.size(); ++j) {
      size_t g = (movedKeys[j] * 0x9E3779B1u) >> shift;
      while (slotKeys[g] != kEmptyKey) g = (g + 1) & mask;
      slotKeys[g] = movedKeys[j];
      slotCounts[g] = movedCounts[j];
    }
    growAt = (mask + 1) / 4;
  }
  if (used > limit) return false;
  for (size_t j = 0; j <= mask; ++j)
    if (slotKeys[j] != kEmptyKey) out.push_back(ValueCount{floatFromBits(slotKeys[j]), slotCounts[j]});
  if (keyStorage.size() > kKeepScratchElements) {
    std::vector<uint32_t>().swap(keyStorage);
    std::vector<uint32_t>().swap(countStorage);
  }
  return true;
}

}  // namespace

bool countDistinctFloatKeysHashed(const uint32_t* keys, size_t n, std::vector<ValueCount>& out, size_t limit) {
  return countHashed<false, uint32_t>(keys, n, out, limit, nullptr);
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

int64_t countDistinctFloats(const float* data, size_t n, std::vector<ValueCount>& out) {
  static_assert(sizeof(float) == sizeof(uint32_t), "float keys are 32-bit");
  size_t nanCount = 0;
  if (countHashed<true, float>(data, n, out, kDistinctHashLimit, &nanCount)) return static_cast<int64_t>(nanCount);
  thread_local std::vector<uint32_t> keys;
  keys.clear();
  nanCount = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t b;
    std::memcpy(&b, data + i, sizeof b);
    if ((b & 0x7fffffffu) > 0x7f800000u) {
      ++nanCount;
    } else {
      keys.push_back(distinctKeyOf(b));
    }
  }
  countDistinctFloatKeysSorted(keys.data(), keys.size(), out);
  if (keys.capacity() > kKeepScratchElements) std::vector<uint32_t>().swap(keys);
  return static_cast<int64_t>(nanCount);
}

}  // namespace qkw
