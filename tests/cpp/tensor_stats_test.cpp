// Observed per-layer statistics (src/graph/tensor_stats.h).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "graph/tensor_stats.h"

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
  nlohmann::json j = toJson(s);
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

}  // namespace
}  // namespace qkw
