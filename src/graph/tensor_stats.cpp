// Observed per-layer statistics (tensor_stats.h).
#include "graph/tensor_stats.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include "kernels/stats_distinct_f32.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(__SSE4_1__)
#include <smmintrin.h>
#endif

namespace qkw {

namespace {

// Steps that are not powers of two (numeric alphas) are not exact in binary: allow for the
// rounding of v / step.
bool isIntegerMultiple(double v, double step) {
  const double k = v / step;
  const double r = std::nearbyint(k);
  if (isPowerOfTwo(step)) return k == r;
  return std::fabs(k - r) <= 1e-6 * std::max(1.0, std::fabs(k));
}

}  // namespace

bool isOnGrid(float value, const GridSummary& grid, int64_t channel) {
  if (!std::isfinite(value)) return false;
  const double v = value == 0.0f ? 0.0 : static_cast<double>(value);  // -0 counts as 0
  if (v < grid.min || v > grid.max) return false;
  switch (grid.kind) {
    case Grid::Kind::PowerOfTwo: {
      if (v == 0) return true;
      return isPowerOfTwo(std::fabs(v));
    }
    case Grid::Kind::Custom:
      return std::binary_search(grid.values.begin(), grid.values.end(), v);
    default:
      break;
  }
  if (!grid.steps.empty() && channel >= 0 && channel < static_cast<int64_t>(grid.steps.size())) {
    // Per-channel steps come from sums: multiples of the channel's step.
    const double step = grid.steps[static_cast<size_t>(channel)];
    return step > 0 && isIntegerMultiple(v, step);
  }
  if (!(grid.step > 0)) return false;
  // The lattice is min + k*step; QKeras grids put 0 on it except the sign grids ({-1, +1}, step 2).
  const bool zeroOrigin = isIntegerMultiple(grid.min, grid.step);
  return isIntegerMultiple(zeroOrigin ? v : v - grid.min, grid.step);
}

namespace {

// How the classifying pass decides "on the grid". Each fast mode reproduces isOnGrid exactly for
// the grids it is chosen for; everything else goes through isOnGrid itself.
enum class GridCheck {
  None,        // no grid: no verdict
  ZeroOrigin,  // uniform, power-of-two step, 0 on the lattice: v in [min, max] and v/step integral
  Offset,      // uniform, power-of-two step, lattice min + k*step: (v - min)/step integral
  PerChannel,  // uniform, a power-of-two step per last-axis channel
  Generic,     // anything else (non-power-of-two steps, PowerOfTwo and Custom grids)
};

// Values k*step (k integral, step a power of two) in [min, max], counted per level in a reused
// array instead of being hashed. Only a bijection between such values and level indices is
// needed; the on-grid verdict is decided separately.
struct Lattice {
  bool valid = false;
  double step = 0, inverse = 0, min = 0, max = 0;
  int64_t firstLevel = 0;  // ceil(min / step)
  size_t levels = 0;
  // Consecutive increments of one counter wait for each other (store-to-load forwarding): with
  // few levels (a ReLU output is half zeros) element i counts in bank i % banks.
  size_t banks = 1;
};

// Scaling by a power of two is exact unless the result leaves the normal double range; these
// bounds keep every product of the fast paths far from it.
bool isTamePowerOfTwo(double step) { return isPowerOfTwo(step) && step >= 0x1p-200 && step <= 0x1p200; }
bool isTameBound(double x) { return x == 0 || (std::fabs(x) >= 0x1p-300 && std::fabs(x) <= 0x1p300); }

// Beyond this many levels (and beyond kLevelsPerValue per value) a level array costs more than
// hashing. An integer conv output has far more levels than values (a wide accumulator range) but
// few distinct values: a count per level and a scan of the (mostly zero) counts, 4 at a time,
// still beat hashing every value up to ~8 levels per value.
constexpr size_t kMaxLevels = size_t{1} << 20;
constexpr size_t kLevelsPerValue = 8;

Lattice makeLattice(double step, double min, double max, int64_t n) {
  Lattice l;
  if (!isTamePowerOfTwo(step) || !isTameBound(min) || !isTameBound(max) || !(min <= max)) return l;
  if (n >= (int64_t{1} << 32)) return l;  // level counts are 32-bit
  const double first = std::ceil(min / step), last = std::floor(max / step);
  if (!(first <= last) || std::fabs(first) > 0x1p52 || std::fabs(last) > 0x1p52) return l;
  const double levels = last - first + 1;
  if (levels > static_cast<double>(std::min<size_t>(kMaxLevels, std::max<size_t>(4096, kLevelsPerValue * static_cast<size_t>(n)))))
    return l;
  l.valid = true;
  l.step = step;
  l.inverse = 1.0 / step;
  l.min = min;
  l.max = max;
  l.firstLevel = static_cast<int64_t>(first);
  l.levels = static_cast<size_t>(levels);
  if (4 * l.levels <= static_cast<size_t>(n)) l.banks = 4;
  return l;
}

struct Plan {
  const GridSummary* grid = nullptr;
  GridCheck check = GridCheck::None;
  bool perChannel = false;
  int64_t lastDim = 1;
  double min = 0, max = 0, inverseStep = 0;
  std::vector<double> inverseSteps;  // PerChannel
  Lattice lattice;
  // ZeroOrigin with a lattice whose levels are float-exact: four values at a time, in float.
  bool simd = false;
  float simdInverse = 0, simdFirst = 0, simdLast = 0;
};

Plan makePlan(const GridSummary* grid, bool perChannel, int64_t lastDim, int64_t n) {
  Plan p;
  p.grid = grid;
  p.perChannel = perChannel;
  p.lastDim = lastDim;
  if (!grid) return p;
  p.check = GridCheck::Generic;
  if (grid->kind != Grid::Kind::Uniform || !isTameBound(grid->min) || !isTameBound(grid->max)) return p;
  p.min = grid->min;
  p.max = grid->max;
  if (perChannel) {
    double finest = INFINITY;
    for (double step : grid->steps) {
      if (!isTamePowerOfTwo(step)) return p;
      finest = std::min(finest, step);
    }
    p.check = GridCheck::PerChannel;
    for (double step : grid->steps) p.inverseSteps.push_back(1.0 / step);
    p.lattice = makeLattice(finest, grid->min, grid->max, n);
    return p;
  }
  if (!isTamePowerOfTwo(grid->step)) return p;
  p.inverseStep = 1.0 / grid->step;
  if (isIntegerMultiple(grid->min, grid->step)) {
    p.check = GridCheck::ZeroOrigin;
    p.lattice = makeLattice(grid->step, grid->min, grid->max, n);
    const double last = static_cast<double>(p.lattice.firstLevel) + static_cast<double>(p.lattice.levels) - 1;
    if (p.lattice.valid && p.lattice.inverse >= 0x1p-100 && p.lattice.inverse <= 0x1p100 &&
        std::fabs(static_cast<double>(p.lattice.firstLevel)) <= 0x1p24 && std::fabs(last) <= 0x1p24) {
      p.simd = true;
      p.simdInverse = static_cast<float>(p.lattice.inverse);
      p.simdFirst = static_cast<float>(p.lattice.firstLevel);
      p.simdLast = static_cast<float>(last);
    }
  } else {
    p.check = GridCheck::Offset;
    const double originStep = dyadicStep(grid->min);
    if (isTamePowerOfTwo(originStep))
      p.lattice = makeLattice(std::min(grid->step, originStep), grid->min, grid->max, n);
  }
  return p;
}

bool isIntegral(double k) { return k == std::nearbyint(k); }

struct Classified {
  uint32_t* keys = nullptr;  // values not counted on the lattice (NaN excluded), as distinct keys
  size_t keyCount = 0;
  uint32_t* levelCounts = nullptr;
  int64_t nanCount = 0;
  int64_t offGridCount = 0;
  std::vector<float> offGridExamples;
};

// The one pass over the data. Non-finite values are rare and take a branch of their own.
template <GridCheck kCheck, bool kLattice>
void classify(const float* data, int64_t n, const Plan& plan, Classified& out) {
  const Lattice& lattice = plan.lattice;
  uint32_t* keys = out.keys;
  uint32_t* levelCounts = out.levelCounts;
  const size_t bankStride = lattice.banks > 1 ? lattice.levels : 0;
  size_t keyCount = out.keyCount;
  int64_t nanCount = out.nanCount;
  int64_t channel = 0;
  auto offGrid = [&](float value) {
    if (out.offGridExamples.size() < kMaxOffGridExamples) out.offGridExamples.push_back(value);
    ++out.offGridCount;
  };
  for (int64_t i = 0; i < n; ++i) {
    const float value = data[i];
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7f800000u) == 0x7f800000u) {
      if (bits & 0x007fffffu) {
        ++nanCount;
      } else {
        keys[keyCount++] = bits;
      }
      if (kCheck != GridCheck::None) offGrid(value);
    } else {
      const double v = value;
      int64_t level = -1;
      if (kLattice && v >= lattice.min && v <= lattice.max) {
        const double k = v * lattice.inverse;
        const auto ki = static_cast<int64_t>(k);
        if (static_cast<double>(ki) == k) level = ki - lattice.firstLevel;
      }
      bool on = true;
      if (kCheck == GridCheck::ZeroOrigin) {
        // With a lattice it is the grid's own: the level lookup already decided.
        on = kLattice ? level >= 0 : v >= plan.min && v <= plan.max && isIntegral(v * plan.inverseStep);
      } else if (kCheck == GridCheck::Offset) {
        on = v >= plan.min && v <= plan.max && isIntegral((v - plan.min) * plan.inverseStep);
      } else if (kCheck == GridCheck::PerChannel) {
        on = v >= plan.min && v <= plan.max && isIntegral(v * plan.inverseSteps[static_cast<size_t>(channel)]);
      } else if (kCheck == GridCheck::Generic) {
        on = isOnGrid(value, *plan.grid, plan.perChannel ? channel : -1);
      }
      if (kLattice && level >= 0) {
        ++levelCounts[static_cast<size_t>(level) + (static_cast<size_t>(i) & 3) * bankStride];
      } else {
        keys[keyCount++] = distinctKeyOf(bits);
      }
      if (!on) offGrid(value);
    }
    if (kCheck == GridCheck::PerChannel || kCheck == GridCheck::Generic) {
      if (++channel == plan.lastDim) channel = 0;
    }
  }
  out.keyCount = keyCount;
  out.nanCount = nanCount;
}

#if defined(__wasm_simd128__) || defined(__SSE4_1__)
// Level index of each of data[0, 4*groups), or -1 where the value is not a lattice value. In float:
// k = v / step is exact (a power-of-two scaling) except where it overflows (then k = ±inf, out of
// range) or underflows (then |v| < step: not a multiple, and k is 0 — caught by "k == 0 only for
// v == 0" — or not integral). For integral k, first <= k <= last is min <= v <= max.
void latticeLevels(const float* data, int64_t groups, const Plan& plan, int32_t* levels) {
#if defined(__wasm_simd128__)
  const v128_t inverse = wasm_f32x4_splat(plan.simdInverse);
  const v128_t first = wasm_f32x4_splat(plan.simdFirst);
  const v128_t last = wasm_f32x4_splat(plan.simdLast);
  const v128_t firstLevel = wasm_i32x4_splat(static_cast<int32_t>(plan.lattice.firstLevel));
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int64_t g = 0; g < groups; ++g) {
    const v128_t v = wasm_v128_load(data + 4 * g);
    const v128_t k = wasm_f32x4_mul(v, inverse);
    const v128_t integral = wasm_f32x4_eq(wasm_f32x4_floor(k), k);
    const v128_t inRange = wasm_v128_and(wasm_f32x4_ge(k, first), wasm_f32x4_le(k, last));
    const v128_t notUnderflow = wasm_v128_or(wasm_f32x4_ne(k, zero), wasm_f32x4_eq(v, zero));
    const v128_t ok = wasm_v128_and(wasm_v128_and(integral, inRange), notUnderflow);
    const v128_t level = wasm_i32x4_sub(wasm_i32x4_trunc_sat_f32x4(k), firstLevel);
    wasm_v128_store(levels + 4 * g, wasm_v128_or(level, wasm_v128_not(ok)));
  }
#else
  const __m128 inverse = _mm_set1_ps(plan.simdInverse);
  const __m128 first = _mm_set1_ps(plan.simdFirst);
  const __m128 last = _mm_set1_ps(plan.simdLast);
  const __m128i firstLevel = _mm_set1_epi32(static_cast<int32_t>(plan.lattice.firstLevel));
  const __m128 zero = _mm_setzero_ps();
  const __m128i allOnes = _mm_set1_epi32(-1);
  for (int64_t g = 0; g < groups; ++g) {
    const __m128 v = _mm_loadu_ps(data + 4 * g);
    const __m128 k = _mm_mul_ps(v, inverse);
    const __m128 integral = _mm_cmpeq_ps(_mm_floor_ps(k), k);
    const __m128 inRange = _mm_and_ps(_mm_cmpge_ps(k, first), _mm_cmple_ps(k, last));
    const __m128 notUnderflow = _mm_or_ps(_mm_cmpneq_ps(k, zero), _mm_cmpeq_ps(v, zero));
    const __m128i ok = _mm_castps_si128(_mm_and_ps(_mm_and_ps(integral, inRange), notUnderflow));
    const __m128i level = _mm_sub_epi32(_mm_cvttps_epi32(k), firstLevel);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(levels + 4 * g), _mm_or_si128(level, _mm_xor_si128(ok, allOnes)));
  }
#endif
}

// ZeroOrigin with a float-exact lattice: levels found four at a time; the values that are not
// lattice values (off-grid, NaN, inf) go through the scalar classification one by one.
void classifyZeroOriginSimd(const float* data, int64_t n, const Plan& plan, Classified& out) {
  constexpr int64_t kBlock = 256;
  alignas(16) int32_t levels[kBlock];
  uint32_t* levelCounts = out.levelCounts;
  const size_t bankStride = plan.lattice.banks > 1 ? plan.lattice.levels : 0;
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    latticeLevels(data + i, kBlock / 4, plan, levels);
    for (int64_t j = 0; j < kBlock; ++j) {
      const int32_t level = levels[j];
      if (level >= 0) {
        ++levelCounts[static_cast<size_t>(level) + (static_cast<size_t>(j) & 3) * bankStride];
      } else {
        classify<GridCheck::ZeroOrigin, true>(data + i + j, 1, plan, out);
      }
    }
  }
  classify<GridCheck::ZeroOrigin, true>(data + i, n - i, plan, out);
}
#endif

template <GridCheck kCheck>
void classifyWith(const float* data, int64_t n, const Plan& plan, Classified& out) {
#if defined(__wasm_simd128__) || defined(__SSE4_1__)
  if (kCheck == GridCheck::ZeroOrigin && plan.simd) {
    classifyZeroOriginSimd(data, n, plan, out);
    return;
  }
#endif
  if (plan.lattice.valid) {
    classify<kCheck, true>(data, n, plan, out);
  } else {
    classify<kCheck, false>(data, n, plan, out);
  }
}

// The first index >= from with counts[index] != 0, or `end`: four counts at a time (sparse
// level arrays are mostly zero).
size_t nextNonzero(const uint32_t* counts, size_t from, size_t end) {
#if defined(__wasm_simd128__)
  while (from + 4 <= end && !wasm_v128_any_true(wasm_v128_load(counts + from))) from += 4;
#elif defined(__SSE4_1__)
  while (from + 4 <= end) {
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(counts + from));
    if (!_mm_testz_si128(c, c)) break;
    from += 4;
  }
#endif
  while (from < end && counts[from] == 0) ++from;
  return from;
}

// The exponent of the lowest set bit of a finite nonzero float: v is a multiple of 2^result.
int lowestBitExponent(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  int exponent = static_cast<int>((bits >> 23) & 0xffu);
  uint32_t mantissa = bits & 0x007fffffu;
  if (exponent == 0) {
    exponent = 1;  // subnormal: no implicit bit
  } else {
    mantissa |= 0x00800000u;
  }
  return exponent - 150 + __builtin_ctz(mantissa);  // mantissa != 0: v is nonzero
}

// The grid a tensor's values are checked against (none for float tensors), and whether it has
// one step per channel of the last axis. Both statistics paths must agree on it.
struct GridToCheck {
  const GridSummary* grid;
  int64_t lastDim;
  bool perChannel;
};

GridToCheck gridToCheck(const Tensor& t, const TensorAnalysis* analysis) {
  GridToCheck c;
  c.grid = analysis && analysis->status != TensorAnalysis::Status::Float && analysis->grid ? &*analysis->grid : nullptr;
  c.lastDim = t.shape.empty() ? 1 : std::max<int64_t>(1, t.shape.back());
  c.perChannel = c.grid && !c.grid->steps.empty() && static_cast<int64_t>(c.grid->steps.size()) == c.lastDim;
  return c;
}

// Histogram bin of a finite value over [lo, lo + width] in `bins` equal bins (the maximum goes
// in the last one; everything in bin 0 when all values are equal).
int64_t histogramBin(double v, double lo, double width, int bins) {
  if (!(width > 0)) return 0;
  const int64_t b = static_cast<int64_t>(std::floor((v - lo) / width * bins));
  return std::min<int64_t>(std::max<int64_t>(b, 0), bins - 1);
}

// Model inputs: the analysis calls them float (the model does not quantize them); the data
// itself may lie on a grid, which the trace reports.
bool observesInputGrid(const TensorAnalysis* analysis) {
  return analysis && analysis->className == "InputLayer" && analysis->status == TensorAnalysis::Status::Float;
}

// The grid of finite values in [lo, hi] that are all multiples of `step` (a power of two), or
// none when it needs more than kMaxObservedGridBits.
std::optional<GridSummary> observedGridOf(double step, double lo, double hi) {
  if (!(step > 0) || std::max(std::fabs(lo), std::fabs(hi)) / step > std::ldexp(1.0, kMaxObservedGridBits)) return std::nullopt;
  GridSummary g = uniformGrid(step, lo + 0.0, hi + 0.0);  // + 0.0: a -0 bound is 0
  if (g.bits > kMaxObservedGridBits) return std::nullopt;
  return g;
}

void setObservedGrid(TensorStats& s, double step, double lo, double hi) {
  s.observesGrid = true;
  if (s.nanCount == 0 && s.infCount == 0) s.observedGrid = observedGridOf(step, lo, hi);
  if (s.observedGrid) s.onGrid = true;
}

}  // namespace

TensorStats computeStats(const Tensor& t, const TensorAnalysis* analysis, int histogramBins) {
  TensorStats s;
  const float* data = t.data.data();
  const int64_t n = t.size();
  s.count = n;

  const auto [grid, lastDim, perChannel] = gridToCheck(t, analysis);
  const Plan plan = makePlan(grid, perChannel, lastDim, n);

  thread_local std::vector<uint32_t> keyScratch;
  thread_local std::vector<uint32_t> levelCounts;  // all zero between calls
  thread_local std::vector<ValueCount> entries;
  if (plan.check != GridCheck::None && keyScratch.size() < static_cast<size_t>(n))
    keyScratch.resize(static_cast<size_t>(n));
  if (plan.lattice.valid && levelCounts.size() < plan.lattice.levels * plan.lattice.banks)
    levelCounts.resize(plan.lattice.levels * plan.lattice.banks);

  Classified c;
  c.keys = keyScratch.data();
  c.levelCounts = levelCounts.data();
  switch (plan.check) {
    case GridCheck::None: break;  // no verdict, no lattice: the values go straight to the distinct counter
    case GridCheck::ZeroOrigin: classifyWith<GridCheck::ZeroOrigin>(data, n, plan, c); break;
    case GridCheck::Offset: classifyWith<GridCheck::Offset>(data, n, plan, c); break;
    case GridCheck::PerChannel: classifyWith<GridCheck::PerChannel>(data, n, plan, c); break;
    case GridCheck::Generic: classifyWith<GridCheck::Generic>(data, n, plan, c); break;
  }
  s.nanCount = c.nanCount;
  s.offGridCount = c.offGridCount;
  s.offGridExamples = std::move(c.offGridExamples);
  if (grid) s.onGrid = s.offGridCount == 0;

  entries.clear();
  if (plan.lattice.valid) {
    const Lattice& l = plan.lattice;
    for (size_t level = 0; level < l.levels; ++level) {
      if (l.banks == 1) level = nextNonzero(levelCounts.data(), level, l.levels);
      if (level == l.levels) break;
      uint64_t count = 0;
      for (size_t bank = 0; bank < l.banks; ++bank) {
        count += levelCounts[level + bank * l.levels];
        levelCounts[level + bank * l.levels] = 0;
      }
      if (count == 0) continue;
      const double value = static_cast<double>(l.firstLevel + static_cast<int64_t>(level)) * l.step;
      entries.push_back(ValueCount{static_cast<float>(value), count});
    }
  }
  if (plan.check == GridCheck::None) {
    s.nanCount = countDistinctFloats(data, static_cast<size_t>(n), entries);
  } else {
    countDistinctFloatKeys(c.keys, c.keyCount, entries);
  }
  if (keyScratch.size() > (size_t{1} << 24)) std::vector<uint32_t>().swap(keyScratch);  // do not pin huge buffers

  // Everything else from the distinct values. Zeros were folded to +0; the sign of a zero
  // minimum or maximum is fixed below.
  s.distinct = static_cast<int64_t>(entries.size());
  double lo = INFINITY, hi = -INFINITY;
  double finiteLo = INFINITY, finiteHi = -INFINITY;
  double sum = 0, absoluteSum = 0;
  int lowestExponent = INT32_MAX;
  int64_t finiteCount = 0;
  for (const ValueCount& e : entries) {
    const double v = e.value;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    if (std::isinf(v)) {
      s.infCount += static_cast<int64_t>(e.count);
      continue;
    }
    finiteLo = std::min(finiteLo, v);
    finiteHi = std::max(finiteHi, v);
    finiteCount += static_cast<int64_t>(e.count);
    const double count = static_cast<double>(e.count);
    sum += v * count;
    absoluteSum += std::fabs(v) * count;
    if (v != 0) lowestExponent = std::min(lowestExponent, lowestBitExponent(e.value));
  }
  // The reference sums the values in tensor order, rounding after each addition. When every
  // partial sum is a multiple of 2^lowestExponent below 2^53 of them, no addition rounds, so any
  // order gives the same, exact, sum (2^52: margin for the rounding of absoluteSum itself).
  const bool exactSum = absoluteSum == 0 || absoluteSum < std::ldexp(1.0, 52 + lowestExponent);
  if (!exactSum) {
    sum = 0;
    for (int64_t i = 0; i < n; ++i)
      if (std::isfinite(data[i])) sum += data[i];
  }

  // The reference keeps the first of equal values: a zero minimum (all values >= 0) or maximum
  // (all <= 0) is the first zero in tensor order, with its sign.
  if (lo == 0 || hi == 0 || finiteLo == 0 || finiteHi == 0) {
    for (int64_t i = 0; i < n; ++i) {
      if (data[i] == 0.0f) {
        const double zero = data[i];
        if (lo == 0) lo = zero;
        if (hi == 0) hi = zero;
        if (finiteLo == 0) finiteLo = zero;
        if (finiteHi == 0) finiteHi = zero;
        break;
      }
    }
  }

  const bool anyValue = n > s.nanCount;
  s.min = anyValue ? lo : 0;
  s.max = anyValue ? hi : 0;
  s.mean = finiteCount > 0 ? sum / static_cast<double>(finiteCount) : 0;

  const int bins = std::max(1, histogramBins);
  s.histogram.assign(static_cast<size_t>(bins), 0);
  if (finiteCount > 0) {
    s.histogramMin = finiteLo;
    s.histogramMax = finiteHi;
    const double width = finiteHi - finiteLo;
    for (const ValueCount& e : entries) {
      const double v = e.value;
      if (std::isinf(v)) continue;
      s.histogram[static_cast<size_t>(histogramBin(v, finiteLo, width, bins))] += static_cast<int64_t>(e.count);
    }
  }
  if (observesInputGrid(analysis))
    setObservedGrid(s, lowestExponent == INT32_MAX ? 0 : std::ldexp(1.0, lowestExponent), finiteLo, finiteHi);
  return s;
}

TensorStats computeStatsReference(const Tensor& t, const TensorAnalysis* analysis, int histogramBins) {
  TensorStats s;
  const float* data = t.data.data();
  const int64_t n = t.size();
  s.count = n;

  const auto [grid, lastDim, perChannel] = gridToCheck(t, analysis);

  double lo = INFINITY, hi = -INFINITY;
  double finiteLo = INFINITY, finiteHi = -INFINITY;
  double sum = 0;
  int64_t finiteCount = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float v = data[i];
    if (std::isnan(v)) {
      ++s.nanCount;
    } else {
      lo = std::min(lo, static_cast<double>(v));
      hi = std::max(hi, static_cast<double>(v));
      if (std::isinf(v)) {
        ++s.infCount;
      } else {
        finiteLo = std::min(finiteLo, static_cast<double>(v));
        finiteHi = std::max(finiteHi, static_cast<double>(v));
        sum += v;
        ++finiteCount;
      }
    }
    if (grid && !isOnGrid(v, *grid, perChannel ? i % lastDim : -1)) {
      if (s.offGridExamples.size() < kMaxOffGridExamples) s.offGridExamples.push_back(v);
      ++s.offGridCount;
    }
  }
  const bool anyValue = n > s.nanCount;
  s.min = anyValue ? lo : 0;
  s.max = anyValue ? hi : 0;
  s.mean = finiteCount > 0 ? sum / static_cast<double>(finiteCount) : 0;
  if (grid) s.onGrid = s.offGridCount == 0;

  // Distinct values: sort one reused scratch copy (NaN left out, -0 folded into 0).
  thread_local std::vector<float> scratch;
  scratch.clear();
  scratch.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float v = data[i];
    if (!std::isnan(v)) scratch.push_back(v == 0.0f ? 0.0f : v);
  }
  std::sort(scratch.begin(), scratch.end());
  s.distinct = static_cast<int64_t>(std::unique(scratch.begin(), scratch.end()) - scratch.begin());
  if (scratch.capacity() > (size_t{1} << 24)) std::vector<float>().swap(scratch);  // do not pin huge buffers

  const int bins = std::max(1, histogramBins);
  s.histogram.assign(static_cast<size_t>(bins), 0);
  if (finiteCount > 0) {
    s.histogramMin = finiteLo;
    s.histogramMax = finiteHi;
    const double width = finiteHi - finiteLo;
    for (int64_t i = 0; i < n; ++i) {
      const float v = data[i];
      if (!std::isfinite(v)) continue;
      ++s.histogram[static_cast<size_t>(histogramBin(v, finiteLo, width, bins))];
    }
  }
  if (observesInputGrid(analysis)) {
    double step = INFINITY;  // the finest power of two dividing every finite value (dyadicStep(0) = inf)
    for (int64_t i = 0; i < n; ++i)
      if (std::isfinite(data[i])) step = std::min(step, dyadicStep(data[i]));
    setObservedGrid(s, std::isinf(step) ? 0 : step, finiteLo, finiteHi);
  }
  return s;
}

qkw::Json toJson(const TensorStats& s) {
  using json = qkw::Json;
  auto number = [](double v) { return std::isfinite(v) ? json(v) : json(v > 0 ? "inf" : "-inf"); };
  json j;
  j["count"] = s.count;
  j["nanCount"] = s.nanCount;
  j["infCount"] = s.infCount;
  j["min"] = number(s.min);
  j["max"] = number(s.max);
  j["mean"] = s.mean;
  j["distinct"] = s.distinct;
  j["histogram"] = {{"min", s.histogramMin}, {"max", s.histogramMax}, {"counts", s.histogram}};
  j["onGrid"] = s.onGrid ? json(*s.onGrid) : json(nullptr);
  j["offGridCount"] = s.offGridCount;
  json examples = json::array();
  for (float v : s.offGridExamples) examples.push_back(std::isfinite(v) ? json(v) : json(std::isnan(v) ? "NaN" : (v > 0 ? "inf" : "-inf")));
  j["offGridExamples"] = examples;
  if (s.observesGrid) j["observedGrid"] = s.observedGrid ? toJson(*s.observedGrid) : qkw::Json(nullptr);
  return j;
}

}  // namespace qkw
