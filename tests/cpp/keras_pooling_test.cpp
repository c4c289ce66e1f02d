#include <gtest/gtest.h>

#include <cfloat>

#include "layer_test_helpers.h"

namespace qkw {
namespace {

using json = qkw::Json;
using namespace layer_test;

TEST(KerasPooling, MaxPooling2DValidDefaultsToStrideEqualPool) {
  auto layer = makeLayer("MaxPooling2D", json{{"pool_size", {2, 2}}, {"strides", nullptr}, {"padding", "valid"}});
  Tensor out = run(*layer, counting({1, 4, 4, 1}));
  expectValues(out, {1, 2, 2, 1}, {6, 8, 14, 16});
}

TEST(KerasPooling, MaxPooling2DOverlappingStride) {
  auto layer = makeLayer("MaxPooling2D", json{{"pool_size", 2}, {"strides", 1}});
  expectValues(run(*layer, counting({1, 3, 3, 1})), {1, 2, 2, 1}, {5, 6, 8, 9});
}

TEST(KerasPooling, MaxPooling2DNonSquarePoolAndStrides) {
  // pool (1,2), strides (2,1): rows 0 and 2, column pairs (0,1) and (1,2).
  auto layer = makeLayer("MaxPooling2D", json{{"pool_size", {1, 2}}, {"strides", {2, 1}}});
  expectValues(run(*layer, counting({1, 3, 3, 1})), {1, 2, 2, 1}, {2, 3, 8, 9});
}

TEST(KerasPooling, MaxPooling2DPerChannelAndBatch) {
  auto layer = makeLayer("MaxPool2D", json::object());  // alias, default pool (2,2)
  Tensor in({2, 2, 2, 2}, {1, -1, 2, -2, 3, -3, 4, -4,   // batch 0: channel 0 max 4, channel 1 max -1
                           -5, 9, -6, 8, -7, 7, -8, 6});  // batch 1: channel 0 max -5, channel 1 max 9
  expectValues(run(*layer, in), {2, 1, 1, 2}, {4, -1, -5, 9});
}

TEST(KerasPooling, MaxPooling1DSamePadsWithMinusInfinityNotZero) {
  // in 4, pool 3, stride 2: out 2, total pad 1 -> 0 before, 1 after. All inputs negative,
  // so a zero-padded cell would win in the second window.
  auto layer = makeLayer("MaxPooling1D", json{{"pool_size", {3}}, {"strides", {2}}, {"padding", "same"}});
  Tensor in({1, 4, 1}, {-1, -2, -3, -4});
  expectValues(run(*layer, in), {1, 2, 1}, {-1, -3});
}

TEST(KerasPooling, AveragePooling1DSamePutsExtraPaddingAfter) {
  // in 4, pool 4, stride 1: total pad 3 -> 1 before, 2 after. Divisor = valid cells only.
  auto layer = makeLayer("AveragePooling1D", json{{"pool_size", 4}, {"strides", 1}, {"padding", "same"}});
  Tensor in({1, 4, 1}, {1, 2, 3, 4});
  expectValues(run(*layer, in), {1, 4, 1}, {6.0f / 3.0f, 10.0f / 4.0f, 9.0f / 3.0f, 7.0f / 2.0f});
}

TEST(KerasPooling, AveragePooling2DSameExcludesPaddingFromDivisor) {
  // 3x3, pool 2, stride 2: out 2x2, one row/column of padding after.
  auto layer = makeLayer("AveragePooling2D", json{{"pool_size", {2, 2}}, {"strides", {2, 2}}, {"padding", "same"}});
  expectValues(run(*layer, counting({1, 3, 3, 1})), {1, 2, 2, 1}, {3.0f, 4.5f, 7.5f, 9.0f});
}

TEST(KerasPooling, AveragePooling2DUppercasePaddingAndChannels) {
  auto layer = makeLayer("AvgPool2D", json{{"pool_size", {2, 2}}, {"padding", "VALID"}});
  Tensor in({1, 2, 2, 2}, {1, 10, 2, 20, 3, 30, 5, 40});
  expectValues(run(*layer, in), {1, 1, 1, 2}, {11.0f / 4.0f, 100.0f / 4.0f});
}

TEST(KerasPooling, AverageDividesTheSumInsteadOfMultiplyingByReciprocal) {
  const float viaDivision = 5.0f / 3.0f;
  volatile float third = 1.0f / 3.0f;
  ASSERT_NE(viaDivision, 5.0f * third);  // the two orders differ for this sum
  auto layer = makeLayer("AveragePooling1D", json{{"pool_size", 3}});
  expectValues(run(*layer, Tensor({1, 3, 1}, {2, 3, 0})), {1, 1, 1}, {viaDivision});
  auto global = makeLayer("GlobalAveragePooling1D", json::object());
  expectValues(run(*global, Tensor({1, 3, 1}, {2, 3, 0})), {1, 1}, {viaDivision});
}

TEST(KerasPooling, AveragePoolingSumsInWindowOrder) {
  // (1e8 + -1e8) + 1 = 1, while 1e8 + (-1e8 + 1) = 0 in float32.
  auto layer = makeLayer("AveragePooling2D", json{{"pool_size", {1, 3}}});
  expectValues(run(*layer, Tensor({1, 1, 3, 1}, {1e8f, -1e8f, 1.0f})), {1, 1, 1, 1}, {1.0f / 3.0f});
}

TEST(KerasPooling, GlobalAveragePooling2DAndKeepdims) {
  Tensor in({1, 2, 2, 2}, {1, 10, 2, 20, 3, 30, 5, 40});
  auto flat = makeLayer("GlobalAveragePooling2D", json::object());
  expectValues(run(*flat, in), {1, 2}, {11.0f / 4.0f, 25.0f});
  auto kept = makeLayer("GlobalAveragePooling2D", json{{"keepdims", true}});
  expectValues(run(*kept, in), {1, 1, 1, 2}, {11.0f / 4.0f, 25.0f});
}

TEST(KerasPooling, GlobalMaxPooling) {
  Tensor in({2, 3, 2}, {1, -1, 5, -2, 3, -3, -4, 0, -6, 1, -5, 2});
  auto g1 = makeLayer("GlobalMaxPooling1D", json::object());
  expectValues(run(*g1, in), {2, 2}, {5, -1, -4, 2});
  auto g1k = makeLayer("GlobalMaxPool1D", json{{"keepdims", true}});
  expectValues(run(*g1k, in), {2, 1, 2}, {5, -1, -4, 2});
  auto g2 = makeLayer("GlobalMaxPooling2D", json{{"data_format", "channels_last"}});
  expectValues(run(*g2, counting({1, 2, 2, 1}, -10)), {1, 1}, {-7});
}

TEST(KerasPooling, MaxPoolOfMinusInfinityWindowGivesLowestFloat) {
  // TF's CPU MaxPool starts from the lowest finite float.
  auto layer = makeLayer("MaxPooling1D", json{{"pool_size", 2}});
  const float inf = std::numeric_limits<float>::infinity();
  expectValues(run(*layer, Tensor({1, 2, 1}, {-inf, -inf})), {1, 1, 1}, {-FLT_MAX});
}

TEST(KerasPooling, RejectsChannelsFirstNamingTheLayer) {
  expectThrowsWith<Unsupported>(
      [] { makeLayer("MaxPooling2D", json{{"data_format", "channels_first"}}, "pool_a"); },
      {"pool_a", "MaxPooling2D", "channels_first"});
  expectThrowsWith<Unsupported>(
      [] { makeLayer("GlobalAveragePooling1D", json{{"data_format", "channels_first"}}, "gap"); },
      {"gap", "channels_first"});
}

TEST(KerasPooling, ShapeErrorsNameTheLayer) {
  auto layer = makeLayer("MaxPooling2D", json{{"pool_size", 3}}, "pool_b");
  expectThrowsWith([&] { layer->outputShape({{2, 5, 1}}); }, {"pool_b", "pool_size 3", "(2, 5, 1)"});
  expectThrowsWith([&] { layer->outputShape({{4, 4}}); }, {"pool_b", "rank 4"});
  expectThrowsWith([&] { layer->outputShape({{4, 4, 1}, {4, 4, 1}}); }, {"pool_b", "1 input"});
  expectThrowsWith([] { makeLayer("AveragePooling1D", json{{"padding", "causal"}}, "p1"); }, {"p1", "causal"});
  expectThrowsWith([] { makeLayer("AveragePooling1D", json{{"pool_size", {2, 2}}}, "p2"); }, {"p2", "pool_size"});
  expectThrowsWith([] { makeLayer("MaxPooling2D", json{{"strides", 0}}, "p3"); }, {"p3", "strides"});
  auto global = makeLayer("GlobalMaxPooling2D", json::object(), "gmp");
  expectThrowsWith([&] { global->outputShape({{4, 4}}); }, {"gmp", "(height, width, channels)"});
}

TEST(KerasPooling, SameOutputShapes) {
  auto layer = makeLayer("MaxPooling2D", json{{"pool_size", {3, 2}}, {"strides", {2, 3}}, {"padding", "same"}});
  EXPECT_EQ(layer->outputShape({{7, 8, 5}}), (Shape{4, 3, 5}));
  EXPECT_FALSE(layer->isIdentityOnValues());
}

}  // namespace
}  // namespace qkw
