// QActivation, Activation, ReLU, LeakyReLU, PReLU, Softmax.
#include <cmath>

#include "layer_test_helpers.h"

namespace qkw {
namespace {

using namespace layer_test;
using json = nlohmann::json;

TEST(LayerQActivation, QuantizerString) {
  auto layer = build("QActivation", {{"activation", "quantized_relu(2,0)"}});
  expectValues(run(*layer, Tensor({1, 4}, {-1, 0.125f, 0.375f, 2})), {1, 4}, {0, 0, 0.5f, 0.75f});
  ASSERT_NE(layer->outputQuantizer(), nullptr);
  EXPECT_EQ(layer->quantizers().size(), 1u);
}

TEST(LayerQActivation, QuantizerDict) {
  json spec = {{"class_name", "quantized_bits"},
               {"config", {{"bits", 4}, {"integer", 0}, {"symmetric", 1}, {"alpha", 1}, {"keep_negative", true}}},
               {"__passive_serialization__", true}};
  auto layer = build("QActivation", {{"activation", spec}});
  expectValues(run(*layer, Tensor({1, 3}, {0.3f, -2, 0.0625f})), {1, 3}, {0.25f, -0.875f, 0});
}

TEST(LayerQActivation, KerasAndQKerasFunctionNamesAreFloat) {
  auto relu = build("QActivation", {{"activation", "relu"}});
  expectValues(run(*relu, Tensor({1, 2}, {-1, 0.3f})), {1, 2}, {0, 0.3f});
  EXPECT_EQ(relu->outputQuantizer(), nullptr);
  auto hs = build("QActivation", {{"activation", "hard_sigmoid"}});
  expectValues(run(*hs, Tensor({1, 3}, {1, -3, 0.5f})), {1, 3}, {1, 0, 0.75f});
  auto bt = build("QActivation", {{"activation", "binary_tanh"}});
  expectValues(run(*bt, Tensor({1, 3}, {0, 0.5f, -0.5f})), {1, 3}, {-1, 1, -1});
}

TEST(LayerActivation, KerasHardSigmoidHasSlopeOneFifth) {
  auto layer = build("Activation", {{"activation", "hard_sigmoid"}});
  Tensor y = run(*layer, Tensor({1, 3}, {1, -3, 5}));
  EXPECT_EQ(y.data[0], 1.0f * 0.2f + 0.5f);
  EXPECT_EQ(y.data[1], 0.0f);
  EXPECT_EQ(y.data[2], 1.0f);
}

TEST(LayerActivation, SoftmaxOnTheLastAxis) {
  auto layer = build("Activation", {{"activation", "softmax"}});
  Tensor y = run(*layer, Tensor({2, 2}, {0, std::log(3.0f), 5, 5}));
  EXPECT_NEAR(y.data[0], 0.25f, 1e-7);
  EXPECT_NEAR(y.data[1], 0.75f, 1e-7);
  EXPECT_EQ(y.data[2], 0.5f);
  EXPECT_EQ(y.data[3], 0.5f);
}

TEST(LayerActivation, FloatFunctions) {
  auto eval = [](const std::string& name, float x) {
    auto layer = build("Activation", {{"activation", name}});
    return run(*layer, Tensor({1, 1}, {x})).data[0];
  };
  EXPECT_EQ(eval("linear", -2.5f), -2.5f);
  EXPECT_EQ(eval("relu6", 7), 6);
  EXPECT_EQ(eval("tanh", 0.5f), std::tanh(0.5f));
  EXPECT_EQ(eval("sigmoid", 0), 0.5f);
  EXPECT_EQ(eval("elu", -1), std::exp(-1.0f) - 1.0f);
  EXPECT_EQ(eval("softsign", 1), 0.5f);
  EXPECT_EQ(eval("exponential", 0), 1.0f);
  EXPECT_EQ(eval("swish", 0), 0.0f);
  EXPECT_NEAR(eval("softplus", 0), std::log(2.0f), 1e-7);
  EXPECT_NEAR(eval("gelu", 1), 0.8413447f, 1e-6);
  EXPECT_NEAR(eval("selu", 1), 1.0507010f, 1e-6);
}

TEST(LayerActivation, UnknownNamesTheLayerAndValue) {
  expectThrowsWith([] { build("Activation", {{"activation", "quantized_relu(4)"}}); },
                   {"layer_under_test", "quantized_relu(4)"});
  expectThrowsWith([] { build("QActivation", {{"activation", "wobble"}}); }, {"layer_under_test", "wobble"});
}

TEST(LayerReLU, MaxValueSlopeThreshold) {
  auto layer = build("ReLU", {{"max_value", 6.0}, {"negative_slope", 0.5}, {"threshold", 1.0}});
  expectValues(run(*layer, Tensor({1, 4}, {-2, 0.5f, 3, 10})), {1, 4}, {-1.5f, -0.25f, 3, 6});
  auto plain = build("ReLU", {{"max_value", nullptr}, {"negative_slope", 0.0}, {"threshold", 0.0}});
  expectValues(run(*plain, Tensor({1, 2}, {-2, 8})), {1, 2}, {0, 8});
  auto capped = build("ReLU", {{"max_value", 1.5}});
  expectValues(run(*capped, Tensor({1, 2}, {-2, 8})), {1, 2}, {0, 1.5f});
}

TEST(LayerLeakyReLU, Alpha) {
  auto layer = build("LeakyReLU", {{"alpha", 0.25}});
  expectValues(run(*layer, Tensor({1, 2}, {-4, 2})), {1, 2}, {-1, 2});
  auto keras3 = build("LeakyReLU", {{"negative_slope", 0.5}});
  expectValues(run(*keras3, Tensor({1, 1}, {-4})), {1, 1}, {-2});
}

TEST(LayerPReLU, SharedAxesBroadcast) {
  // input (3, 2) per sample, alpha (1, 2): shared over the first axis.
  auto layer = build("PReLU", {{"shared_axes", {1}}}, {weight("alpha", {1, 2}, {0.5f, 0.25f})});
  expectValues(run(*layer, Tensor({1, 3, 2}, {-2, -4, 2, 4, -1, -1})), {1, 3, 2}, {-1, -1, 2, 4, -0.5f, -0.25f});
}

TEST(LayerSoftmax, AxisOne) {
  auto layer = build("Softmax", {{"axis", 1}});
  Tensor y = run(*layer, Tensor({1, 2, 2}, {0, 7, 0, 7}));
  EXPECT_EQ(y.data, (std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f}));
  auto tooFar = build("Softmax", {{"axis", 2}});
  expectThrowsWith([&] { tooFar->outputShape({{4}}); }, {"layer_under_test", "axis 2"});
  auto last = build("Softmax", json::object());
  EXPECT_EQ(run(*last, Tensor({1, 2, 2}, {0, 0, 3, 3})).data, (std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f}));
}

}  // namespace
}  // namespace qkw
