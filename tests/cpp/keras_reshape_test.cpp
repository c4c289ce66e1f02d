#include <gtest/gtest.h>

#include "layer_test_helpers.h"

namespace qkw {
namespace {

using json = qkw::Json;
using namespace layer_test;

TEST(KerasReshape, FlattenKeepsRowMajorHwcOrder) {
  auto layer = makeLayer("Flatten", json{{"data_format", "channels_last"}});
  Tensor in = counting({2, 2, 2, 3});
  Tensor out = run(*layer, in);
  expectValues(out, {2, 12}, in.data);
  EXPECT_TRUE(layer->isIdentityOnValues());
  EXPECT_EQ(layer->outputShape({{}}), (Shape{1}));
}

TEST(KerasReshape, FlattenRejectsChannelsFirst) {
  expectThrowsWith<Unsupported>([] { makeLayer("Flatten", json{{"data_format", "channels_first"}}, "flat"); },
                                {"flat", "Flatten", "channels_first"});
}

TEST(KerasReshape, ReshapeWithMinusOne) {
  auto layer = makeLayer("Reshape", json{{"target_shape", {-1, 2}}});
  Tensor in = counting({1, 3, 4});
  expectValues(run(*layer, in), {1, 6, 2}, in.data);
  EXPECT_EQ(layer->outputShape({{2, 2, 3}}), (Shape{6, 2}));
  EXPECT_TRUE(layer->isIdentityOnValues());
  auto fixed = makeLayer("Reshape", json{{"target_shape", {2, 3, 2}}});
  EXPECT_EQ(fixed->outputShape({{12}}), (Shape{2, 3, 2}));
}

TEST(KerasReshape, ReshapeErrors) {
  expectThrowsWith([] { makeLayer("Reshape", json{{"target_shape", {-1, -1}}}, "r1"); }, {"r1", "more than one -1"});
  expectThrowsWith([] { makeLayer("Reshape", json{{"target_shape", {0, 2}}}, "r0"); }, {"r0", "invalid dimension 0"});
  expectThrowsWith([] { makeLayer("Reshape", json::object(), "r2"); }, {"r2", "target_shape"});
  auto layer = makeLayer("Reshape", json{{"target_shape", {-1, 5}}}, "r3");
  expectThrowsWith([&] { layer->outputShape({{3, 4}}); }, {"r3", "(3, 4)", "12 values", "(-1, 5)"});
  auto fixed = makeLayer("Reshape", json{{"target_shape", {5}}}, "r4");
  expectThrowsWith([&] { fixed->outputShape({{3, 4}}); }, {"r4", "(5,)"});
}

TEST(KerasReshape, PermuteSwapsTwoAxes) {
  auto layer = makeLayer("Permute", json{{"dims", {2, 1}}});
  // (2, 3) -> (3, 2): out[j][i] = in[i][j]
  Tensor in({1, 2, 3}, {1, 2, 3, 4, 5, 6});
  expectValues(run(*layer, in), {1, 3, 2}, {1, 4, 2, 5, 3, 6});
  EXPECT_FALSE(layer->isIdentityOnValues());
}

TEST(KerasReshape, PermuteThreeAxesWithBatch) {
  auto layer = makeLayer("Permute", json{{"dims", {3, 1, 2}}});
  Tensor in = counting({2, 2, 3, 4}, 0);  // value = ((b*2 + i)*3 + j)*4 + k
  Tensor out = run(*layer, in);
  ASSERT_EQ(out.shape, (Shape{2, 4, 2, 3}));
  for (int b = 0; b < 2; ++b)
    for (int k = 0; k < 4; ++k)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
          EXPECT_EQ(out.data[((b * 4 + k) * 2 + i) * 3 + j], static_cast<float>(((b * 2 + i) * 3 + j) * 4 + k));
}

TEST(KerasReshape, PermuteErrors) {
  expectThrowsWith([] { makeLayer("Permute", json{{"dims", {1, 1}}}, "perm"); }, {"perm", "not a permutation"});
  expectThrowsWith([] { makeLayer("Permute", json{{"dims", {0, 1}}}, "perm0"); }, {"perm0", "not a permutation"});
  expectThrowsWith<Unsupported>([] { makeLayer("Permute", json{{"dims", {1, 2, 3, 4, 5, 6, 7, 8}}}, "perm8"); },
                                {"perm8", "at most 7"});
  auto layer = makeLayer("Permute", json{{"dims", {2, 1}}}, "perm2");
  expectThrowsWith([&] { layer->outputShape({{2, 3, 4}}); }, {"perm2", "(2, 3, 4)"});
}

}  // namespace
}  // namespace qkw
