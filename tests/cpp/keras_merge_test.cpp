#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_helpers.h"

namespace qkw {
namespace {

using json = qkw::Json;
using namespace layer_test;

TEST(KerasMerge, AddSumsLeftToRight) {
  auto layer = makeLayer("Add", json::object());
  // (1e8 + -1e8) + 1 = 1; summing right to left would give 0.
  Tensor a({1, 2}, {1e8f, 1}), b({1, 2}, {-1e8f, 2}), c({1, 2}, {1, 3});
  expectValues(run(*layer, {a, b, c}), {1, 2}, {1, 6});
  EXPECT_FALSE(layer->isIdentityOnValues());
}

TEST(KerasMerge, SubtractNeedsExactlyTwoInputs) {
  auto layer = makeLayer("Subtract", json::object(), "sub");
  Tensor a({2, 2}, {5, 6, 7, 8}), b({2, 2}, {1, 2, 3, 4});
  expectValues(run(*layer, {a, b}), {2, 2}, {4, 4, 4, 4});
  expectThrowsWith([&] { layer->outputShape({{2}, {2}, {2}}); }, {"sub", "Subtract", "exactly 2 inputs"});
  expectThrowsWith([&] { layer->outputShape({{2}}); }, {"sub", "exactly 2 inputs"});
}

TEST(KerasMerge, MultiplyMaximumMinimum) {
  Tensor a({1, 3}, {1, -2, 3}), b({1, 3}, {4, 5, -6}), c({1, 3}, {0.5f, 2, 2});
  expectValues(run(*makeLayer("Multiply", json::object()), {a, b, c}), {1, 3}, {2, -20, -36});
  expectValues(run(*makeLayer("Maximum", json::object()), {a, b, c}), {1, 3}, {4, 5, 3});
  expectValues(run(*makeLayer("Minimum", json::object()), {a, b, c}), {1, 3}, {0.5f, -2, -6});
}

TEST(KerasMerge, MaximumPropagatesNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor a({1, 2}, {nan, 1}), b({1, 2}, {1, nan});
  Tensor out = run(*makeLayer("Maximum", json::object()), {a, b});
  EXPECT_TRUE(std::isnan(out.data[0]));
  EXPECT_TRUE(std::isnan(out.data[1]));
}

TEST(KerasMerge, AverageSumsThenDivides) {
  auto layer = makeLayer("Average", json::object());
  Tensor a({1, 2}, {1e8f, 2}), b({1, 2}, {-1e8f, 3}), c({1, 2}, {1, 0});
  const float five = 5.0f;
  expectValues(run(*layer, {a, b, c}), {1, 2}, {1.0f / 3.0f, five / 3.0f});
  Tensor d({1, 1}, {1}), e({1, 1}, {2});
  expectValues(run(*layer, {d, e}), {1, 1}, {1.5f});
}

TEST(KerasMerge, SingleInputIsAllowed) {
  Tensor a({1, 2}, {3, 4});
  expectValues(run(*makeLayer("Add", json::object()), {a}), {1, 2}, {3, 4});
  expectValues(run(*makeLayer("Average", json::object()), {a}), {1, 2}, {3, 4});
}

TEST(KerasMerge, BroadcastsSizeOneAxes) {
  auto layer = makeLayer("Add", json::object());
  Tensor a({1, 2, 3}, {1, 2, 3, 4, 5, 6}), b({1, 1, 3}, {10, 20, 30});
  expectValues(run(*layer, {a, b}), {1, 2, 3}, {11, 22, 33, 14, 25, 36});
  // The broadcast input may come first: it is expanded before the first add.
  expectValues(run(*layer, {b, a}), {1, 2, 3}, {11, 22, 33, 14, 25, 36});
  Tensor col({1, 2, 1}, {100, 200});
  expectValues(run(*makeLayer("Subtract", json::object()), {a, col}), {1, 2, 3}, {-99, -98, -97, -196, -195, -194});
}

TEST(KerasMerge, LowerRankInputsGainAxesAfterBatch) {
  // Keras expands (3,) to (1, 3) (after the batch axis), i.e. numpy right alignment.
  auto layer = makeLayer("Multiply", json::object());
  Tensor a({2, 2, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}), b({2, 3}, {1, 0, -1, 2, 2, 2});
  EXPECT_EQ(layer->outputShape({{2, 3}, {3}}), (Shape{2, 3}));
  expectValues(run(*layer, {a, b}), {2, 2, 3}, {1, 0, -3, 4, 0, -6, 14, 16, 18, 20, 22, 24});
}

TEST(KerasMerge, IncompatibleShapesNameTheLayer) {
  auto layer = makeLayer("Add", json::object(), "add_1");
  expectThrowsWith([&] { layer->outputShape({{4, 3}, {4, 2}}); }, {"add_1", "Add", "(4, 3)", "(4, 2)"});
  expectThrowsWith([&] { layer->outputShape({}); }, {"add_1", "at least 1 input"});
  expectThrowsWith<Unsupported>([&] { layer->outputShape({Shape(8, 1), Shape(8, 1)}); }, {"add_1", "rank 9"});
}

TEST(KerasMerge, ConcatenateLastAxisByDefault) {
  auto layer = makeLayer("Concatenate", json::object());
  Tensor a({2, 2}, {1, 2, 3, 4}), b({2, 1}, {9, 8});
  expectValues(run(*layer, {a, b}), {2, 3}, {1, 2, 9, 3, 4, 8});
}

TEST(KerasMerge, ConcatenatePositiveAndNegativeAxes) {
  Tensor a({1, 1, 2, 2}, {1, 2, 3, 4}), b({1, 2, 2, 2}, {5, 6, 7, 8, 9, 10, 11, 12});
  auto axis1 = makeLayer("Concatenate", json{{"axis", 1}});
  expectValues(run(*axis1, {a, b}), {1, 3, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  auto minus3 = makeLayer("Concatenate", json{{"axis", -3}});
  expectValues(run(*minus3, {a, b}), {1, 3, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  // axis -2 on (2, 1) and (2, 2) of shape (h, w, c) = (1, 2, 1)... use width concat:
  Tensor c({2, 1, 1, 1}, {1, 2}), d({2, 1, 2, 1}, {3, 4, 5, 6});
  auto minus2 = makeLayer("Concatenate", json{{"axis", -2}});
  expectValues(run(*minus2, {c, d}), {2, 1, 3, 1}, {1, 3, 4, 2, 5, 6});
  auto three = makeLayer("Concatenate", json{{"axis", 2}});
  EXPECT_EQ(three->outputShape({{1, 2, 3}, {1, 5, 3}, {1, 1, 3}}), (Shape{1, 8, 3}));
}

TEST(KerasMerge, ConcatenateErrors) {
  auto layer = makeLayer("Concatenate", json{{"axis", -1}}, "cat");
  expectThrowsWith([&] { layer->outputShape({{2, 3}, {3, 3}}); }, {"cat", "Concatenate", "(2, 3)", "(3, 3)"});
  expectThrowsWith([&] { layer->outputShape({{2, 3}, {2, 3, 1}}); }, {"cat", "(2, 3, 1)"});
  auto batchAxis = makeLayer("Concatenate", json{{"axis", 0}}, "cat0");
  expectThrowsWith([&] { batchAxis->outputShape({{2}, {2}}); }, {"cat0", "axis 0"});
  auto tooFar = makeLayer("Concatenate", json{{"axis", 3}}, "cat3");
  expectThrowsWith([&] { tooFar->outputShape({{2, 2}, {2, 2}}); }, {"cat3", "axis 3"});
}

}  // namespace
}  // namespace qkw
