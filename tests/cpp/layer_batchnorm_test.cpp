// QBatchNormalization and Keras BatchNormalization.
#include <cmath>

#include "layer_test_helpers.h"

namespace qkw {
namespace {

using namespace layer_test;
using json = qkw::Json;

std::vector<WeightInput> bnWeights(std::vector<float> gamma, std::vector<float> beta, std::vector<float> mean,
                                   std::vector<float> var) {
  const int64_t c = static_cast<int64_t>(mean.size());
  return {weight("gamma", {c}, std::move(gamma)), weight("beta", {c}, std::move(beta)),
          weight("moving_mean", {c}, std::move(mean)), weight("moving_variance", {c}, std::move(var))};
}

TEST(LayerBatchNormalization, KerasFormula) {
  // inv = rsqrt(4 + 0) * 2 = 1; offset = 1 - 3*1 = -2.
  auto layer = build("BatchNormalization", {{"epsilon", 0.0}, {"axis", -1}}, bnWeights({2, 1}, {1, 0}, {3, 0}, {4, 0.25f}));
  expectValues(run(*layer, Tensor({2, 2}, {5, 1, 0, -1})), {2, 2}, {3, 2, -2, -2});
  EXPECT_EQ(layer->outputQuantizer(), nullptr);
}

TEST(LayerBatchNormalization, KerasOperationOrderWithDefaultEpsilon) {
  const float g = 0.7f, b = 0.3f, m = 0.11f, v = 0.9f, x = 1.37f;
  auto layer = build("BatchNormalization", json::object(), bnWeights({g}, {b}, {m}, {v}));
  float inv = 1.0f / std::sqrt(v + 0.001f);
  inv = inv * g;
  const float expected = x * inv + (b - m * inv);
  expectValues(run(*layer, Tensor({1, 1}, {x})), {1, 1}, {expected});
}

TEST(LayerBatchNormalization, CenterAndScaleFlags) {
  // scale=False: no gamma; center=False: no beta, offset = -mean*inv.
  auto layer = build("BatchNormalization", {{"epsilon", 0.0}, {"scale", false}, {"center", false}},
                     {weight("moving_mean", {1}, {1}), weight("moving_variance", {1}, {0.25f})});
  expectValues(run(*layer, Tensor({1, 1}, {3})), {1, 1}, {4});
}

TEST(LayerBatchNormalization, AxisOneOfARankFourInput) {
  auto layer = build("BatchNormalization", {{"epsilon", 0.0}, {"axis", {1}}},
                     bnWeights({1, 1}, {0, 100}, {0, 0}, {1, 1}));
  expectValues(run(*layer, counting({1, 2, 1, 2})), {1, 2, 1, 2}, {1, 2, 103, 104});
}

TEST(LayerQBatchNormalization, DefaultQuantizersWhenKeysAreMissing) {
  // semantics §4.4 examples: gamma [0.9,1.3,-0.2,0] -> [1,1,2^-32,2^-32]; beta [0,0.1,-0.3,0.002]
  // -> [2^-8,0.125,-0.25,2^-8]; mean [0,0.3,-1.7,5] -> [2^-8,0.25,-2,4]; variance [1,0.6,3,0.01]
  // -> [1,1,4,0.015625] (the spec's 0.5 sits on a log-domain tie, so 0.6 is used here).
  auto layer = build("QBatchNormalization", {{"activation", "quantized_relu(2)"}},
                     bnWeights({0.9f, 1.3f, -0.2f, 0}, {0, 0.1f, -0.3f, 0.002f}, {0, 0.3f, -1.7f, 5},
                               {1, 0.6f, 3, 0.01f}));
  auto w = layer->effectiveWeights();
  ASSERT_EQ(w.size(), 4u);
  const float p8 = std::ldexp(1.0f, -8), p32 = std::ldexp(1.0f, -32);
  EXPECT_EQ(w[0].role, "gamma");
  EXPECT_EQ(w[0].tensor.data, (std::vector<float>{1, 1, p32, p32}));
  EXPECT_EQ(w[1].tensor.data, (std::vector<float>{p8, 0.125f, -0.25f, p8}));
  EXPECT_EQ(w[2].tensor.data, (std::vector<float>{p8, 0.25f, -2, 4}));
  EXPECT_EQ(w[3].tensor.data, (std::vector<float>{1, 1, 4, 0.015625f}));
  EXPECT_EQ(layer->quantizers().size(), 4u);
  // The activation argument is ignored and the output is float.
  EXPECT_EQ(layer->outputQuantizer(), nullptr);

  const std::vector<float> x = {0.3f, -1.1f, 2.5f, 0.7f};
  Tensor y = run(*layer, Tensor({1, 4}, x));
  for (int c = 0; c < 4; ++c) {
    float inv = 1.0f / std::sqrt(w[3].tensor.data[c] + 0.001f);
    inv = inv * w[0].tensor.data[c];
    const float expected = x[c] * inv + (w[1].tensor.data[c] - w[2].tensor.data[c] * inv);
    EXPECT_EQ(y.data[c], expected) << "channel " << c;
  }
}

TEST(LayerQBatchNormalization, NullQuantizersMeanFloat) {
  json config = {{"epsilon", 0.0}, {"gamma_quantizer", nullptr}, {"beta_quantizer", nullptr},
                 {"mean_quantizer", nullptr}, {"variance_quantizer", nullptr}};
  auto layer = build("QBatchNormalization", config, bnWeights({2}, {1}, {3}, {4}));
  expectValues(run(*layer, Tensor({1, 1}, {5})), {1, 1}, {3});
  EXPECT_TRUE(layer->quantizers().empty());
}

TEST(LayerQBatchNormalization, InverseQuantizerQuantizesTheFactor) {
  // inv = rsqrt(0.09)*1 = 3.3333333 -> quantized_bits(4,2,1,alpha=1) (step 0.5) -> 3.5.
  json config = {{"epsilon", 0.0}, {"gamma_quantizer", nullptr}, {"variance_quantizer", nullptr},
                 {"beta_quantizer", nullptr}, {"mean_quantizer", nullptr},
                 {"inverse_quantizer", "quantized_bits(4,2,1,alpha=1)"}};
  auto layer = build("QBatchNormalization", config, bnWeights({1}, {0}, {1}, {0.09f}));
  expectValues(run(*layer, Tensor({1, 1}, {3})), {1, 1}, {3 * 3.5f - 1 * 3.5f});
}

TEST(LayerBatchNormalization, ErrorsNameLayerAndWeight) {
  expectThrowsWith([] {
    build("BatchNormalization", json::object(),
          {weight("gamma", {2}, {1, 1}), weight("beta", {2}, {0, 0}), weight("moving_mean", {2}, {0, 0})});
  }, {"layer_under_test", "moving_variance"});
  auto layer = build("BatchNormalization", json::object(), bnWeights({1, 1}, {0, 0}, {0, 0}, {1, 1}));
  expectThrowsWith([&] { layer->outputShape({{3}}); }, {"layer_under_test", "3 channels"});
}

}  // namespace
}  // namespace qkw
