#include <gtest/gtest.h>

#include "layer_test_helpers.h"

namespace qkw {
namespace {

using json = qkw::Json;
using namespace layer_test;

TEST(KerasUpSampling, UpSampling2DRepeatsRowsAndColumns) {
  auto layer = makeLayer("UpSampling2D", json{{"size", {2, 3}}, {"interpolation", "nearest"}});
  expectValues(run(*layer, counting({1, 2, 2, 1})), {1, 4, 6, 1},
               {1, 1, 1, 2, 2, 2,  //
                1, 1, 1, 2, 2, 2,  //
                3, 3, 3, 4, 4, 4,  //
                3, 3, 3, 4, 4, 4});
}

TEST(KerasUpSampling, UpSampling2DDefaultSizeWithChannelsAndBatch) {
  auto layer = makeLayer("UpSampling2D", json::object());
  Tensor in({2, 1, 1, 2}, {1, -1, 2, -2});
  expectValues(run(*layer, in), {2, 2, 2, 2}, {1, -1, 1, -1, 1, -1, 1, -1, 2, -2, 2, -2, 2, -2, 2, -2});
}

TEST(KerasUpSampling, UpSampling1DRepeatsSteps) {
  auto layer = makeLayer("UpSampling1D", json{{"size", 3}});
  expectValues(run(*layer, Tensor({1, 2, 2}, {1, 2, 3, 4})), {1, 6, 2}, {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4});
  auto byDefault = makeLayer("UpSampling1D", json::object());
  EXPECT_EQ(byDefault->outputShape({{5, 3}}), (Shape{10, 3}));
}

TEST(KerasUpSampling, BilinearIsUnsupportedNamingTheLayer) {
  expectThrowsWith<Unsupported>(
      [] { makeLayer("UpSampling2D", json{{"size", 2}, {"interpolation", "bilinear"}}, "up_1"); },
      {"up_1", "UpSampling2D", "bilinear"});
  expectThrowsWith<Unsupported>(
      [] { makeLayer("UpSampling2D", json{{"data_format", "channels_first"}}, "up_2"); }, {"up_2", "channels_first"});
}

TEST(KerasUpSampling, ShapeAndConfigErrors) {
  expectThrowsWith([] { makeLayer("UpSampling2D", json{{"size", {2, 0}}}, "up_z"); }, {"up_z", "size"});
  auto layer = makeLayer("UpSampling2D", json::object(), "up_r");
  expectThrowsWith([&] { layer->outputShape({{4, 2}}); }, {"up_r", "(4, 2)"});
}

}  // namespace
}  // namespace qkw
