#include <gtest/gtest.h>

#include "layer_test_helpers.h"

namespace qkw {
namespace {

using json = qkw::Json;
using namespace layer_test;

float scaleThenOffset(float x, float scale, float offset) {
  const float scaled = x * scale;  // two roundings, as TF's mul then add
  return scaled + offset;
}

TEST(KerasRescaling, ScaleThenOffsetInFloat32) {
  const double scale = 1.0 / 127.5;
  auto layer = makeLayer("Rescaling", json{{"scale", scale}, {"offset", -1.0}});
  Tensor in({1, 4}, {0, 1, 127, 255});
  const float s = static_cast<float>(scale);
  expectValues(run(*layer, in), {1, 4},
               {scaleThenOffset(0, s, -1), scaleThenOffset(1, s, -1), scaleThenOffset(127, s, -1),
                scaleThenOffset(255, s, -1)});
  EXPECT_FALSE(layer->isIdentityOnValues());
}

TEST(KerasRescaling, OffsetDefaultsToZero) {
  auto layer = makeLayer("Rescaling", json{{"scale", 0.5}});
  expectValues(run(*layer, Tensor({2, 1, 2}, {2, 4, -6, 1})), {2, 1, 2}, {1, 2, -3, 0.5f});
}

TEST(KerasRescaling, ListsBroadcastOnTheLastAxis) {
  auto layer = makeLayer("Rescaling", json{{"scale", {1.0, 2.0, 3.0}}, {"offset", {0.5, 0.0, -1.0}}});
  expectValues(run(*layer, Tensor({1, 2, 3}, {1, 1, 1, 2, 2, 2})), {1, 2, 3}, {1.5f, 2, 2, 2.5f, 4, 5});
  auto mixed = makeLayer("Rescaling", json{{"scale", {2.0}}, {"offset", {1.0, 2.0}}});
  expectValues(run(*mixed, Tensor({1, 2}, {1, 1})), {1, 2}, {3, 4});
}

TEST(KerasRescaling, Errors) {
  auto layer = makeLayer("Rescaling", json{{"scale", {1.0, 2.0}}}, "rescale");
  expectThrowsWith([&] { layer->outputShape({{4, 3}}); }, {"rescale", "Rescaling", "scale has 2 values", "(4, 3)"});
  expectThrowsWith([] { makeLayer("Rescaling", json::object(), "r0"); }, {"r0", "'scale'"});
  expectThrowsWith([] { makeLayer("Rescaling", json{{"scale", "big"}}, "r1"); }, {"r1", "'scale'"});
  expectThrowsWith([] { makeLayer("Rescaling", json{{"scale", 1.0}, {"offset", {{1.0}}}}, "r2"); }, {"r2", "'offset'"});
}

}  // namespace
}  // namespace qkw
