#include <gtest/gtest.h>

#include "layer_test_helpers.h"

namespace qkw {
namespace {

using json = qkw::Json;
using namespace layer_test;

TEST(KerasCropping, Cropping2DIntCropsEverySide) {
  auto layer = makeLayer("Cropping2D", json{{"cropping", 1}});
  expectValues(run(*layer, counting({1, 3, 3, 1})), {1, 1, 1, 1}, {5});
}

TEST(KerasCropping, Cropping2DPairIsPerAxisSymmetric) {
  auto layer = makeLayer("Cropping2D", json{{"cropping", {1, 0}}});  // rows 1 and 1, no columns
  expectValues(run(*layer, counting({1, 3, 2, 1})), {1, 1, 2, 1}, {3, 4});
}

TEST(KerasCropping, Cropping2DAsymmetricPairs) {
  // ((top, bottom), (left, right)) = ((1, 0), (0, 1)) on 3x3, two channels, batch 2.
  auto layer = makeLayer("Cropping2D", json{{"cropping", {{1, 0}, {0, 1}}}});
  Tensor in = counting({2, 3, 3, 2});
  // batch b, cell (h, w), channel c = 1 + ((b*3 + h)*3 + w)*2 + c
  expectValues(run(*layer, in), {2, 2, 2, 2},
               {7, 8, 9, 10, 13, 14, 15, 16,  //
                25, 26, 27, 28, 31, 32, 33, 34});
}

TEST(KerasCropping, Cropping2DDefaultIsNoCrop) {
  auto layer = makeLayer("Cropping2D", json::object());
  Tensor in = counting({1, 2, 2, 1});
  expectValues(run(*layer, in), {1, 2, 2, 1}, in.data);
}

TEST(KerasCropping, Cropping1DForms) {
  auto byDefault = makeLayer("Cropping1D", json::object());
  expectValues(run(*byDefault, Tensor({1, 4, 1}, {1, 2, 3, 4})), {1, 2, 1}, {2, 3});
  auto pair = makeLayer("Cropping1D", json{{"cropping", {0, 2}}});
  expectValues(run(*pair, Tensor({1, 3, 2}, {1, 2, 3, 4, 5, 6})), {1, 1, 2}, {1, 2});
  auto integer = makeLayer("Cropping1D", json{{"cropping", 1}});
  EXPECT_EQ(integer->outputShape({{5, 3}}), (Shape{3, 3}));
}

TEST(KerasCropping, CroppingEverythingIsAnError) {
  auto layer = makeLayer("Cropping2D", json{{"cropping", {{1, 1}, {0, 0}}}}, "crop");
  expectThrowsWith([&] { layer->outputShape({{2, 5, 1}}); }, {"crop", "Cropping2D", "(1, 1)", "(2, 5, 1)"});
  auto one = makeLayer("Cropping1D", json{{"cropping", {2, 1}}}, "crop1");
  expectThrowsWith([&] { one->outputShape({{3, 1}}); }, {"crop1", "(3, 1)"});
  expectThrowsWith([&] { one->outputShape({{3, 1, 1}}); }, {"crop1", "(steps, channels)"});
  expectThrowsWith([] { makeLayer("Cropping2D", json{{"cropping", {{1, 1}, {0}}}}, "cropb"); }, {"cropb", "'cropping'"});
  expectThrowsWith<Unsupported>(
      [] { makeLayer("Cropping2D", json{{"data_format", "channels_first"}}, "cropc"); }, {"cropc", "channels_first"});
}

}  // namespace
}  // namespace qkw
