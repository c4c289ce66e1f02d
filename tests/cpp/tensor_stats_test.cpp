// Observed per-layer statistics (src/graph/tensor_stats.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <random>

#include "graph/tensor_stats.h"
#include "tensor_stats_self_test.h"
#include "kernels/stats_distinct_f32.h"

namespace qkw {
namespace {

TensorAnalysis quantizedOn(GridSummary grid) {
  TensorAnalysis a;
  a.name = "t";
  a.status = TensorAnalysis::Status::Quantized;
  a.grid = std::move(grid);
  return a;
}

TEST(TensorStatsTest, BasicStatistics) {
  Tensor t({2, 3}, {1.0f, -2.0f, 3.0f, 1.0f, 1.0f, 4.0f});
  TensorStats s = computeStats(t, nullptr, 4);
  EXPECT_EQ(s.count, 6);
  EXPECT_EQ(s.min, -2.0);
  EXPECT_EQ(s.max, 4.0);
  EXPECT_DOUBLE_EQ(s.mean, 8.0 / 6.0);
  EXPECT_EQ(s.distinct, 4);
  EXPECT_FALSE(s.onGrid.has_value());
  ASSERT_EQ(s.histogram.size(), 4u);
  EXPECT_EQ(std::accumulate(s.histogram.begin(), s.histogram.end(), int64_t{0}), 6);
  // bins of width 1.5 over [-2, 4]: [-2,-0.5): -2; [-0.5,1): none; [1,2.5): 1,1,1; [2.5,4]: 3,4
  EXPECT_EQ(s.histogram, (std::vector<int64_t>{1, 0, 3, 2}));
}

TEST(TensorStatsTest, OnGridDataIsOnGrid) {
  GridSummary g = uniformGrid(1.0 / 16, 0.0, 15.0 / 16);
  Tensor t({1, 5}, {0.0f, -0.0f, 0.0625f, 0.5f, 0.9375f});
  TensorAnalysis a = quantizedOn(g);
  TensorStats s = computeStats(t, &a);
  ASSERT_TRUE(s.onGrid.has_value());
  EXPECT_TRUE(*s.onGrid);
  EXPECT_EQ(s.offGridCount, 0);
  EXPECT_EQ(s.distinct, 4);  // -0 == 0
  EXPECT_TRUE(s.offGridExamples.empty());
}

TEST(TensorStatsTest, OffGridDataIsCountedWithExamples) {
  GridSummary g = uniformGrid(1.0 / 16, 0.0, 15.0 / 16);
  Tensor t({1, 6}, {0.0625f, 0.03f, 1.0f, NAN, -0.0625f, 0.5f});
  TensorAnalysis a = quantizedOn(g);
  TensorStats s = computeStats(t, &a);
  ASSERT_TRUE(s.onGrid.has_value());
  EXPECT_FALSE(*s.onGrid);
  EXPECT_EQ(s.offGridCount, 4);  // 0.03 off the lattice; 1.0 and -0.0625 out of range; NaN
  ASSERT_EQ(s.offGridExamples.size(), 4u);
  EXPECT_EQ(s.offGridExamples[0], 0.03f);
  EXPECT_EQ(s.offGridExamples[1], 1.0f);
  EXPECT_TRUE(std::isnan(s.offGridExamples[2]));
  EXPECT_EQ(s.nanCount, 1);
  EXPECT_EQ(s.distinct, 5);
  EXPECT_EQ(std::accumulate(s.histogram.begin(), s.histogram.end(), int64_t{0}), 5);  // NaN left out
  qkw::Json j = toJson(s);
  EXPECT_EQ(j["onGrid"], false);
  EXPECT_EQ(j["offGridCount"], 4);
  EXPECT_EQ(j["offGridExamples"][2], "NaN");
}

TEST(TensorStatsTest, FloatTensorsAndDataDependentGridsHaveNoVerdict) {
  Tensor t({3}, {0.1f, 0.2f, 0.3f});
  TensorAnalysis f;
  f.status = TensorAnalysis::Status::Float;
  EXPECT_FALSE(computeStats(t, &f).onGrid.has_value());
  TensorAnalysis q;
  q.status = TensorAnalysis::Status::Quantized;  // no grid: per-batch scale
  EXPECT_FALSE(computeStats(t, &q).onGrid.has_value());
  EXPECT_TRUE(toJson(computeStats(t, &q))["onGrid"].is_null());
}

TEST(TensorStatsTest, PerChannelStepsUseTheLastAxis) {
  GridSummary g = uniformGrid(1.0 / 8, -4.0, 4.0);
  g.steps = {0.5, 1.0 / 8};
  TensorAnalysis a = quantizedOn(g);
  a.status = TensorAnalysis::Status::Exact;
  Tensor good({2, 2}, {1.5f, 0.125f, -2.0f, 3.875f});
  EXPECT_TRUE(*computeStats(good, &a).onGrid);
  Tensor bad({2, 2}, {0.125f, 1.5f, -2.0f, 3.875f});  // 0.125 is not a multiple of channel 0's 1/2
  TensorStats s = computeStats(bad, &a);
  EXPECT_FALSE(*s.onGrid);
  EXPECT_EQ(s.offGridCount, 1);
}

TEST(TensorStatsTest, SignGridAndPowerOfTwoGrid) {
  GridSummary sign = uniformGrid(2.0, -1.0, 1.0);  // quantized_bits(1): {-1, +1}
  TensorAnalysis a = quantizedOn(sign);
  EXPECT_TRUE(*computeStats(Tensor({3}, {-1.0f, 1.0f, 1.0f}), &a).onGrid);
  EXPECT_FALSE(*computeStats(Tensor({2}, {0.0f, 1.0f}), &a).onGrid);

  GridSummary po2;
  po2.kind = Grid::Kind::PowerOfTwo;
  po2.min = -128;
  po2.max = 128;
  TensorAnalysis p = quantizedOn(po2);
  EXPECT_TRUE(*computeStats(Tensor({4}, {0.25f, -8.0f, 1.0f, 0.00390625f}), &p).onGrid);
  EXPECT_EQ(computeStats(Tensor({3}, {0.25f, 3.0f, -0.75f}), &p).offGridCount, 2);
}

TEST(TensorStatsTest, HistogramOfConstantAndEmptyTensors) {
  TensorStats c = computeStats(Tensor({5}, {2.0f, 2.0f, 2.0f, 2.0f, 2.0f}), nullptr, 8);
  EXPECT_EQ(c.distinct, 1);
  EXPECT_EQ(c.histogram[0], 5);
  EXPECT_EQ(std::accumulate(c.histogram.begin(), c.histogram.end(), int64_t{0}), 5);
  TensorStats e = computeStats(Tensor({0}), nullptr);
  EXPECT_EQ(e.count, 0);
  EXPECT_EQ(e.distinct, 0);
  EXPECT_EQ(std::accumulate(e.histogram.begin(), e.histogram.end(), int64_t{0}), 0);
}

TEST(TensorStatsTest, LargeTensorDistinctCountIsExact) {
  Tensor t({1000, 10});
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>((i * 37) % 513) / 64.0f;
  GridSummary g = uniformGrid(1.0 / 64, 0.0, 8.0);
  TensorAnalysis a = quantizedOn(g);
  TensorStats s = computeStats(t, &a, 16);
  EXPECT_EQ(s.distinct, 513);
  EXPECT_TRUE(*s.onGrid);
  EXPECT_EQ(s.max, 8.0);
  EXPECT_EQ(std::accumulate(s.histogram.begin(), s.histogram.end(), int64_t{0}), 10000);
}

// ---- The fast computeStats against computeStatsReference ----

uint64_t bitsOf(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}
uint32_t bitsOf(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// Field by field, doubles bit for bit (a -0 minimum differs from +0 in the JSON).
void expectSameStats(const TensorStats& fast, const TensorStats& ref, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(fast.count, ref.count);
  EXPECT_EQ(fast.nanCount, ref.nanCount);
  EXPECT_EQ(fast.infCount, ref.infCount);
  EXPECT_EQ(bitsOf(fast.min), bitsOf(ref.min)) << fast.min << " vs " << ref.min;
  EXPECT_EQ(bitsOf(fast.max), bitsOf(ref.max)) << fast.max << " vs " << ref.max;
  EXPECT_EQ(bitsOf(fast.mean), bitsOf(ref.mean)) << fast.mean << " vs " << ref.mean;
  EXPECT_EQ(fast.distinct, ref.distinct);
  EXPECT_EQ(fast.histogram, ref.histogram);
  EXPECT_EQ(bitsOf(fast.histogramMin), bitsOf(ref.histogramMin));
  EXPECT_EQ(bitsOf(fast.histogramMax), bitsOf(ref.histogramMax));
  EXPECT_EQ(fast.onGrid, ref.onGrid);
  EXPECT_EQ(fast.offGridCount, ref.offGridCount);
  EXPECT_EQ(fast.observesGrid, ref.observesGrid);
  ASSERT_EQ(fast.observedGrid.has_value(), ref.observedGrid.has_value());
  if (fast.observedGrid) EXPECT_EQ(toJson(*fast.observedGrid), toJson(*ref.observedGrid));
  ASSERT_EQ(fast.offGridExamples.size(), ref.offGridExamples.size());
  for (size_t i = 0; i < fast.offGridExamples.size(); ++i)
    EXPECT_EQ(bitsOf(fast.offGridExamples[i]), bitsOf(ref.offGridExamples[i])) << "example " << i;
  EXPECT_EQ(toJson(fast).dump(), toJson(ref).dump());
}

struct GridCase {
  std::string name;
  std::optional<GridSummary> grid;  // nullopt: float tensor
  int64_t lastDim = 1;
};

GridSummary perChannelGrid(std::vector<double> steps, double min, double max) {
  GridSummary g = uniformGrid(*std::min_element(steps.begin(), steps.end()), min, max);
  g.steps = std::move(steps);
  return g;
}

std::vector<GridCase> gridCases() {
  std::vector<GridCase> cases;
  cases.push_back({"float", std::nullopt, 1});
  cases.push_back({"unsigned 4-bit", uniformGrid(1.0 / 16, 0.0, 15.0 / 16), 1});
  cases.push_back({"signed 8-bit", uniformGrid(1.0 / 64, -2.0, 127.0 / 64), 1});
  cases.push_back({"integer steps", uniformGrid(4.0, -64.0, 60.0), 1});
  cases.push_back({"sign grid", uniformGrid(2.0, -1.0, 1.0), 1});
  cases.push_back({"offset grid", uniformGrid(0.5, 0.25, 7.75), 1});
  cases.push_back({"offset grid, non-dyadic origin", uniformGrid(0.5, 1.0 / 3, 5.0), 1});
  cases.push_back({"wide accumulator", uniformGrid(0x1p-20, -4096.0, 4096.0), 1});  // too many levels to count
  cases.push_back({"sparse accumulator", uniformGrid(1.0 / 64, -256.0, 256.0), 1});  // levels a few times the values
  cases.push_back({"non-power-of-two step", uniformGrid(0.1, -1.0, 1.0), 1});
  cases.push_back({"per-channel", perChannelGrid({0.5, 1.0 / 8, 1.0 / 4}, -4.0, 4.0), 3});
  cases.push_back({"per-channel, steps unused (shape mismatch)", perChannelGrid({0.5, 1.0 / 8}, -4.0, 4.0), 3});
  cases.push_back({"per-channel, non-power-of-two step", perChannelGrid({0.5, 0.3}, -4.0, 4.0), 2});
  GridSummary po2;
  po2.kind = Grid::Kind::PowerOfTwo;
  po2.min = -8;
  po2.max = 8;
  cases.push_back({"power-of-two grid", po2, 1});
  GridSummary custom;
  custom.kind = Grid::Kind::Custom;
  custom.values = {-1.0, -0.25, 0.0, 0.125, 0.5, 1.0};
  custom.min = -1;
  custom.max = 1;
  cases.push_back({"custom grid", custom, 1});
  return cases;
}

// Mostly values of the grid (when there is one), plus off-grid, out-of-range, NaN, ±inf, -0,
// subnormal and huge values at the given rate.
std::vector<float> randomValues(std::mt19937& rng, const GridCase& c, size_t n, double specialRate) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<float> out(n);
  const GridSummary* g = c.grid ? &*c.grid : nullptr;
  for (size_t i = 0; i < n; ++i) {
    float v;
    if (unit(rng) < specialRate) {
      switch (rng() % 10) {
        case 0: v = std::numeric_limits<float>::quiet_NaN(); break;
        case 1: v = INFINITY; break;
        case 2: v = -INFINITY; break;
        case 3: v = -0.0f; break;
        case 4:  // subnormal; the smallest ones vanish when divided by a step above 1
          v = rng() % 2 ? 1e-42f * static_cast<float>(rng() % 100)
                        : std::numeric_limits<float>::denorm_min() * static_cast<float>(1 + rng() % 3);
          break;
        case 5: v = (rng() % 2 ? 1 : -1) * 3e30f; break;
        case 6: v = static_cast<float>(unit(rng) * 20 - 10); break;
        case 7: v = g ? static_cast<float>(g->max + (g->kind == Grid::Kind::Uniform ? g->step : 1)) : 1.5f; break;
        case 8: v = g ? static_cast<float>(g->min - (g->kind == Grid::Kind::Uniform ? g->step : 1)) : -1.5f; break;
        default: v = 0.0f; break;
      }
    } else if (!g) {
      v = static_cast<float>(static_cast<int>(rng() % 64) - 20) / 8.0f;  // a coarse float tensor
      if (rng() % 4 == 0) v *= 0.7f;
    } else if (g->kind == Grid::Kind::Custom) {
      v = static_cast<float>(g->values[rng() % g->values.size()]);
    } else if (g->kind == Grid::Kind::PowerOfTwo) {
      v = (rng() % 2 ? 1.0f : -1.0f) * std::ldexp(1.0f, static_cast<int>(rng() % 8) - 4);
    } else {
      const double step = g->steps.empty() ? g->step : g->steps[i % g->steps.size()];
      const double levels = std::floor((g->max - g->min) / step);
      v = static_cast<float>(g->min + step * std::floor(unit(rng) * (levels + 1)));
    }
    out[i] = v;
  }
  return out;
}

TEST(TensorStatsTest, FastPathsMatchTheReferenceOnRandomTensors) {
  std::mt19937 rng(20240611);
  const std::vector<size_t> rows = {0, 1, 2, 3, 7, 17, 100, 1001, 4099, 20000};
  int compared = 0;
  for (const GridCase& c : gridCases()) {
    for (const TensorAnalysis::Status status :
         {TensorAnalysis::Status::Quantized, TensorAnalysis::Status::Exact, TensorAnalysis::Status::Float}) {
      TensorAnalysis a;
      a.status = status;
      a.grid = c.grid;
      for (size_t r : rows) {
        for (double specialRate : {0.0, 0.01, 0.3}) {
          const int bins = static_cast<int>(1 + rng() % 40);
          Tensor t({static_cast<int64_t>(r), c.lastDim}, randomValues(rng, c, r * static_cast<size_t>(c.lastDim), specialRate));
          expectSameStats(computeStats(t, &a, bins), computeStatsReference(t, &a, bins),
                          c.name + ", " + statusName(status) + ", rows " + std::to_string(r) + ", special rate " +
                              std::to_string(specialRate) + ", bins " + std::to_string(bins));
          ++compared;
        }
      }
    }
  }
  EXPECT_EQ(compared, 15 * 3 * 10 * 3);
}

// The same randomized cases the WASM module runs (tests/js/trace_stats_wasm.test.js).
TEST(TensorStatsTest, SelfTestMatchesTheReference) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    const StatsSelfTestResult r = runStatsSelfTest(seed, 400);
    EXPECT_EQ(r.cases, 400);
    EXPECT_GT(r.values, 0);
    for (const std::string& f : r.failures) ADD_FAILURE() << "seed " << seed << ": " << f;
  }
}

TEST(TensorStatsTest, FastPathsMatchTheReferenceOnSpecialTensors) {
  const GridSummary g = uniformGrid(1.0 / 16, 0.0, 15.0 / 16);
  TensorAnalysis a = quantizedOn(g);
  std::vector<std::vector<float>> tensors = {
      {-0.0f, 0.0f, 0.5f},                       // first zero negative: min is -0
      {0.0f, -0.0f, 0.5f},                       // first zero positive
      {-0.0f, -1.0f, -0.0f},                     // max is -0
      {-0.0f, -0.0f},                            // all -0
      {NAN, NAN},                                // nothing but NaN
      {INFINITY, -INFINITY, INFINITY},           // no finite value
      {INFINITY, 0.5f, NAN, -0.0f},              // every kind at once
      {1e-30f, 1e10f, 3.0f, -7e9f, 1e-30f, 1.0f},  // a sum that rounds: sequential order decides
      {std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::max(), std::numeric_limits<float>::max()},
  };
  for (size_t i = 0; i < tensors.size(); ++i) {
    Tensor t({static_cast<int64_t>(tensors[i].size())}, tensors[i]);
    expectSameStats(computeStats(t, &a, 16), computeStatsReference(t, &a, 16), "grid, tensor " + std::to_string(i));
    expectSameStats(computeStats(t, nullptr, 7), computeStatsReference(t, nullptr, 7), "float, tensor " + std::to_string(i));
  }
  // A sum whose rounding depends on the order of the additions.
  std::vector<float> rounding(1000);
  for (size_t i = 0; i < rounding.size(); ++i) rounding[i] = (i % 3 == 0 ? 1e12f : 1.0f) * (1.0f + static_cast<float>(i) * 1e-7f) * (i % 2 ? 1 : -1);
  Tensor t({1000}, rounding);
  expectSameStats(computeStats(t, nullptr), computeStatsReference(t, nullptr), "rounding sum");
}

TEST(TensorStatsTest, ManyDistinctValuesTakeTheSortedPathAndMatch) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-100.0f, 100.0f);
  std::vector<float> v(200000);
  for (float& x : v) x = u(rng);
  for (size_t i = 0; i < v.size(); i += 97) v[i] = v[i / 2];  // some repeats
  v[5] = NAN;
  v[6] = -0.0f;
  v[7] = 0.0f;
  Tensor t({2000, 100}, v);
  TensorStats fast = computeStats(t, nullptr, 64);
  EXPECT_GT(fast.distinct, static_cast<int64_t>(kDistinctHashLimit));
  expectSameStats(fast, computeStatsReference(t, nullptr, 64), "random floats");
  // Partly on a grid: the grid values are counted per level, the rest sorted.
  TensorAnalysis a = quantizedOn(uniformGrid(1.0 / 4, -100.0, 100.0));
  for (size_t i = 0; i < v.size(); i += 2) v[i] = std::round(v[i] * 4) / 4;
  Tensor mixed({2000, 100}, v);
  expectSameStats(computeStats(mixed, &a, 16), computeStatsReference(mixed, &a, 16), "half on grid");
}

TEST(TensorStatsTest, RepeatedCallsReuseScratchWithoutLeakingCounts) {
  // Level counts are reset after every call: the same tensor gives the same answer, and a
  // smaller tensor afterwards sees none of the larger one's values.
  TensorAnalysis a = quantizedOn(uniformGrid(1.0 / 16, -8.0, 8.0));
  Tensor big({5000});
  for (size_t i = 0; i < big.data.size(); ++i) big.data[i] = static_cast<float>(static_cast<int>(i % 256) - 128) / 16;
  Tensor small({3}, {1.0f, 1.0f, 2.0f});
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(computeStats(big, &a).distinct, 256);
    EXPECT_EQ(computeStats(small, &a).distinct, 2);
    EXPECT_EQ(computeStats(small, nullptr).distinct, 2);
  }
}

TEST(TensorStatsTest, DistinctKernelStrategiesAgree) {
  std::mt19937 rng(3);
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{5}, size_t{1000}, size_t{70000}}) {
    for (uint32_t spread : {1u, 7u, 3000u, 100000u, 0xFFFFFFFEu}) {
      std::vector<uint32_t> keys(n);
      for (uint32_t& k : keys) {
        k = static_cast<uint32_t>(rng() % spread) * 2654435761u;
        if ((k & 0x7f800000u) == 0x7f800000u && (k & 0x7fffffu)) k = 0;  // no NaN patterns
        k = distinctKeyOf(k);
      }
      std::map<uint32_t, uint64_t> expected;
      for (uint32_t k : keys) ++expected[k];
      auto asMap = [](const std::vector<ValueCount>& entries) {
        std::map<uint32_t, uint64_t> m;
        for (const ValueCount& e : entries) m[bitsOf(e.value)] += e.count;
        return std::make_pair(m, entries.size());
      };
      std::vector<ValueCount> sorted, hashed, combined;
      countDistinctFloatKeysSorted(keys.data(), n, sorted);
      EXPECT_EQ(asMap(sorted), std::make_pair(expected, expected.size())) << "sorted, n " << n << ", spread " << spread;
      if (countDistinctFloatKeysHashed(keys.data(), n, hashed, size_t{1} << 20)) {
        EXPECT_EQ(asMap(hashed), std::make_pair(expected, expected.size())) << "hashed, n " << n << ", spread " << spread;
      } else {
        ADD_FAILURE() << "the hash map gave up below its limit";
      }
      countDistinctFloatKeys(keys.data(), n, combined);
      EXPECT_EQ(asMap(combined), std::make_pair(expected, expected.size())) << "combined, n " << n << ", spread " << spread;
      std::vector<ValueCount> limited;
      const bool fits = countDistinctFloatKeysHashed(keys.data(), n, limited, 100);
      EXPECT_EQ(fits, expected.size() <= 100);
      if (!fits) {
        EXPECT_TRUE(limited.empty());
      }
    }
  }
}

// ---- The model input's observed grid ----

TensorAnalysis modelInput() {
  TensorAnalysis a;
  a.name = "input_1";
  a.className = "InputLayer";
  a.status = TensorAnalysis::Status::Float;
  return a;
}

TEST(TensorStatsTest, InputOnA256thGridReportsTheGridAndItsDistinctValues) {
  // Pixels / 256: every value k/256 for k in 0..255, the 8-bit unsigned grid of step 1/256.
  std::vector<float> pixels(3 * 256);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>((i * 7) % 256) / 256.0f;
  const Tensor t({3, 256}, pixels);
  const TensorAnalysis input = modelInput();
  const TensorStats s = computeStats(t, &input);
  ASSERT_TRUE(s.observesGrid);
  ASSERT_TRUE(s.observedGrid.has_value());
  EXPECT_EQ(s.observedGrid->step, 1.0 / 256);
  EXPECT_EQ(s.observedGrid->bits, 8);
  EXPECT_EQ(s.observedGrid->integer, 0);
  EXPECT_FALSE(s.observedGrid->isSigned);
  EXPECT_EQ(s.distinct, 256);
  ASSERT_TRUE(s.onGrid.has_value());
  EXPECT_TRUE(*s.onGrid);
  const qkw::Json j = toJson(s);
  EXPECT_EQ(j["observedGrid"]["step"], 1.0 / 256);
  EXPECT_EQ(j["onGrid"], true);
  expectSameStats(s, computeStatsReference(t, &input), "pixels/256");
}

TEST(TensorStatsTest, InputOffAnySmallGridKeepsOnGridNull) {
  const TensorAnalysis input = modelInput();
  std::vector<float> scaled(256);
  for (size_t i = 0; i < scaled.size(); ++i) scaled[i] = static_cast<float>(i) / 255.0f;  // not dyadic
  const std::vector<std::pair<std::string, Tensor>> cases = {
      {"pixels/255", Tensor({256}, scaled)},
      {"all zeros", Tensor({4}, {0.0f, -0.0f, 0.0f, 0.0f})},
      {"with NaN", Tensor({3}, {0.5f, std::numeric_limits<float>::quiet_NaN(), 0.25f})},
      {"with inf", Tensor({2}, {0.5f, std::numeric_limits<float>::infinity()})},
      {"17 bits", Tensor({2}, {1.0f, 65536.0f})},
  };
  for (const auto& [what, t] : cases) {
    const TensorStats s = computeStats(t, &input);
    EXPECT_TRUE(s.observesGrid) << what;
    EXPECT_FALSE(s.observedGrid.has_value()) << what;
    EXPECT_FALSE(s.onGrid.has_value()) << what;
    EXPECT_TRUE(toJson(s)["observedGrid"].is_null()) << what;
    expectSameStats(s, computeStatsReference(t, &input), what);
  }
  // Signed integers fit a two's complement grid; other layers never get an observed grid.
  const Tensor ints({3}, {-128.0f, 4.0f, 127.0f});
  const TensorStats signedInts = computeStats(ints, &input);
  ASSERT_TRUE(signedInts.observedGrid.has_value());
  EXPECT_EQ(signedInts.observedGrid->bits, 8);
  EXPECT_TRUE(signedInts.observedGrid->isSigned);
  EXPECT_EQ(signedInts.observedGrid->step, 1.0);
  expectSameStats(signedInts, computeStatsReference(ints, &input), "signed ints");
  TensorAnalysis notInput = modelInput();
  notInput.className = "Dense";
  EXPECT_FALSE(computeStats(ints, &notInput).observesGrid);
  EXPECT_FALSE(toJson(computeStats(ints, &notInput)).contains("observedGrid"));
}

}  // namespace
}  // namespace qkw
