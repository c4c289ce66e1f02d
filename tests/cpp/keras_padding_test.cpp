#include <gtest/gtest.h>

#include "layer_test_helpers.h"

namespace qkw {
namespace {

using json = qkw::Json;
using namespace layer_test;

TEST(KerasPadding, ZeroPadding2DSymmetricInt) {
  auto layer = makeLayer("ZeroPadding2D", json{{"padding", 1}});
  expectValues(run(*layer, counting({1, 2, 2, 1})), {1, 4, 4, 1},
               {0, 0, 0, 0,  //
                0, 1, 2, 0,  //
                0, 3, 4, 0,  //
                0, 0, 0, 0});
}

TEST(KerasPadding, ZeroPadding2DPairIsPerAxisSymmetric) {
  auto layer = makeLayer("ZeroPadding2D", json{{"padding", {1, 2}}});
  Tensor out = run(*layer, counting({1, 1, 1, 1}, 7));
  std::vector<float> expected(3 * 5, 0.0f);
  expected[1 * 5 + 2] = 7;
  expectValues(out, {1, 3, 5, 1}, expected);
}

TEST(KerasPadding, ZeroPadding2DAsymmetricPairs) {
  // ((top, bottom), (left, right)) = ((1, 0), (0, 2)), two channels, batch 2.
  auto layer = makeLayer("ZeroPadding2D", json{{"padding", {{1, 0}, {0, 2}}}, {"data_format", "channels_last"}});
  Tensor in({2, 1, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  expectValues(run(*layer, in), {2, 2, 4, 2},
               {0, 0, 0, 0, 0, 0, 0, 0,  //
                1, 2, 3, 4, 0, 0, 0, 0,  //
                0, 0, 0, 0, 0, 0, 0, 0,  //
                5, 6, 7, 8, 0, 0, 0, 0});
}

TEST(KerasPadding, ZeroPadding2DDefaultIsOne) {
  auto layer = makeLayer("ZeroPadding2D", json::object());
  EXPECT_EQ(layer->outputShape({{3, 4, 2}}), (Shape{5, 6, 2}));
}

TEST(KerasPadding, ZeroPadding1DForms) {
  auto byDefault = makeLayer("ZeroPadding1D", json::object());
  expectValues(run(*byDefault, Tensor({1, 2, 1}, {5, 6})), {1, 4, 1}, {0, 5, 6, 0});
  auto pair = makeLayer("ZeroPadding1D", json{{"padding", {2, 1}}});
  expectValues(run(*pair, Tensor({1, 2, 2}, {1, 2, 3, 4})), {1, 5, 2}, {0, 0, 0, 0, 1, 2, 3, 4, 0, 0});
  auto integer = makeLayer("ZeroPadding1D", json{{"padding", 0}});
  expectValues(run(*integer, Tensor({1, 2, 1}, {5, 6})), {1, 2, 1}, {5, 6});
}

TEST(KerasPadding, Errors) {
  expectThrowsWith([] { makeLayer("ZeroPadding2D", json{{"padding", {1, 2, 3}}}, "zp"); }, {"zp", "'padding'", "[1,2,3]"});
  expectThrowsWith([] { makeLayer("ZeroPadding2D", json{{"padding", -1}}, "zn"); }, {"zn", "negative"});
  expectThrowsWith([] { makeLayer("ZeroPadding2D", json{{"padding", {1, {2, 3}}}}, "zm"); }, {"zm", "'padding'"});
  expectThrowsWith([] { makeLayer("ZeroPadding1D", json{{"padding", {{1, 2}}}}, "z1"); }, {"z1", "'padding'"});
  expectThrowsWith([] { makeLayer("ZeroPadding1D", json{{"padding", "same"}}, "zs"); }, {"zs", "'padding'"});
  expectThrowsWith([] { makeLayer("Cropping1D", json{{"cropping", {1}}}, "c1"); }, {"c1", "'cropping'"});
  expectThrowsWith<Unsupported>(
      [] { makeLayer("ZeroPadding2D", json{{"data_format", "channels_first"}}, "zc"); }, {"zc", "channels_first"});
  auto layer = makeLayer("ZeroPadding2D", json{{"padding", 1}}, "zr");
  expectThrowsWith([&] { layer->outputShape({{3, 3}}); }, {"zr", "(3, 3)"});
}

}  // namespace
}  // namespace qkw
