// QDense / Dense / QDenseBatchnorm on hand-computed cases.
#include "layer_test_helpers.h"

namespace qkw {
namespace {

using namespace layer_test;
using json = qkw::Json;

TEST(LayerDense, KerasDenseComputesDotPlusBias) {
  auto layer = build("Dense", {{"units", 2}, {"activation", "linear"}},
                     {weight("kernel", {2, 2}, {0.5f, -1, 0.25f, 2}), weight("bias", {2}, {0.125f, -0.5f}, 1)});
  expectValues(run(*layer, Tensor({1, 2}, {1, 2})), {1, 2}, {1.125f, 2.5f});
  EXPECT_EQ(layer->outputQuantizer(), nullptr);
  EXPECT_TRUE(layer->quantizers().empty());
}

TEST(LayerDense, KerasDenseReluAndNoBias) {
  auto layer = build("Dense", {{"units", 2}, {"activation", "relu"}, {"use_bias", false}},
                     {weight("kernel", {2, 2}, {0.5f, -1, 0.25f, 2})});
  expectValues(run(*layer, Tensor({1, 2}, {1, -2})), {1, 2}, {0.0f, 0.0f});
  expectValues(run(*layer, Tensor({1, 2}, {2, 1})), {1, 2}, {1.25f, 0.0f});
}

TEST(LayerDense, RankThreeInputUsesTheLastAxis) {
  auto layer = build("Dense", {{"units", 1}}, {weight("kernel", {2, 1}, {1, 10}), weight("bias", {1}, {0.5f})});
  expectValues(run(*layer, Tensor({1, 3, 2}, {1, 2, 3, 4, 5, 6})), {1, 3, 1}, {21.5f, 43.5f, 65.5f});
}

TEST(LayerDense, QDenseQuantizesKernelBiasAndOutput) {
  // quantized_bits(4,0,1,alpha=1): step 1/8 in [-7/8, 7/8]. kernel -> [[0.25,-0.875],[0,0.625]],
  // bias -> [0.125,-0.25]; x=[1,2] -> [0.375, 0.125]; quantized_relu(2,0) (step 1/4, half to
  // even): 1.5 steps -> 2 steps = 0.5, 0.5 steps -> 0.
  json config = {{"units", 2},
                 {"kernel_quantizer", "quantized_bits(4,0,1,alpha=1)"},
                 {"bias_quantizer", "quantized_bits(4,0,1,alpha=1)"},
                 {"activation", "quantized_relu(2,0)"}};
  auto layer = build("QDense", config,
                     {weight("kernel", {2, 2}, {0.3f, -0.9f, 0.05f, 0.6f}), weight("bias", {2}, {0.1f, -0.2f}, 1)});
  expectValues(run(*layer, Tensor({1, 2}, {1, 2})), {1, 2}, {0.5f, 0.0f});
  auto weights = layer->effectiveWeights();
  ASSERT_EQ(weights.size(), 2u);
  EXPECT_EQ(weights[0].tensor.data, (std::vector<float>{0.25f, -0.875f, 0.0f, 0.625f}));
  EXPECT_EQ(weights[1].tensor.data, (std::vector<float>{0.125f, -0.25f}));
  ASSERT_NE(layer->outputQuantizer(), nullptr);
  EXPECT_EQ(layer->outputQuantizer()->className(), "quantized_relu");
  ASSERT_EQ(layer->quantizers().size(), 3u);
  EXPECT_EQ(layer->quantizers()[0].slot, "kernel_quantizer");
  EXPECT_EQ(layer->quantizers()[2].slot, "activation");
}

TEST(LayerDense, QDenseKernelWithoutAlphaBecomesAutoPo2) {
  // semantics §2.1: quantized_bits(4,0,1) in a kernel slot is auto_po2 per output unit.
  auto layer = build("QDense", {{"units", 2}, {"use_bias", false}, {"kernel_quantizer", "quantized_bits(4,0,1)"}},
                     {weight("kernel", {3, 2}, {0.3f, -0.05f, -0.6f, 0.02f, 0.1f, 0.04f})});
  Tensor eye({3, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  expectValues(run(*layer, eye), {3, 2}, {0.3125f, -0.046875f, -0.4375f, 0.0234375f, 0.125f, 0.0390625f});
}

TEST(LayerDense, EffectiveWeightsAreNotQuantizedAgain) {
  // A converted file stores already-quantized values; the flag stops a second quantization
  // (here it would change 0.3 -> 0.25).
  json config = {{"units", 1}, {"use_bias", false}, {"kernel_quantizer", "quantized_bits(4,0,1,alpha=1)"},
                 {"qkw_effective_weights", true}};
  auto layer = build("QDense", config, {weight("kernel", {1, 1}, {0.3f})});
  expectValues(run(*layer, Tensor({1, 1}, {1})), {1, 1}, {0.3f});
}

TEST(LayerDense, QDenseHardSigmoidIsQKerasSlopeHalf) {
  auto q = build("QDense", {{"units", 1}, {"use_bias", false}, {"activation", "hard_sigmoid"}},
                 {weight("kernel", {1, 1}, {1})});
  auto k = build("Dense", {{"units", 1}, {"use_bias", false}, {"activation", "hard_sigmoid"}},
                 {weight("kernel", {1, 1}, {1})});
  expectValues(run(*q, Tensor({1, 1}, {0.5f})), {1, 1}, {0.75f});
  Tensor keras = run(*k, Tensor({1, 1}, {0.5f}));
  EXPECT_EQ(keras.data[0], 0.5f * 0.2f + 0.5f);
}

TEST(LayerDense, PositionalWeightsWhenTheFileHasNoNames) {
  auto layer = build("Dense", {{"units", 1}},
                     {WeightInput{"", 1, Tensor({1}, {0.5f})}, WeightInput{"", 0, Tensor({1, 1}, {2})}});
  expectValues(run(*layer, Tensor({1, 1}, {3})), {1, 1}, {6.5f});
}

TEST(LayerDense, ErrorsNameLayerAndWeight) {
  expectThrowsWith([] { build("Dense", {{"units", 2}}, {weight("kernel", {3, 2}, std::vector<float>(6))}); },
                   {"layer_under_test", "Dense", "missing weight 'bias'", "kernel (3, 2)"});
  expectThrowsWith([] {
    build("Dense", {{"units", 2}}, {weight("kernel", {3, 4}, std::vector<float>(12)), weight("bias", {2}, {0, 0})});
  }, {"layer_under_test", "'kernel'", "(3, 4)"});
  auto layer = build("Dense", {{"units", 1}}, {weight("kernel", {3, 1}, {1, 1, 1}), weight("bias", {1}, {0})});
  expectThrowsWith([&] { layer->outputShape({{4}}); }, {"layer_under_test", "(4,)"});
  expectThrowsWith([] { build("QDense", {{"units", 1}, {"activation", "no_such_thing"}},
                              {weight("kernel", {1, 1}, {1}), weight("bias", {1}, {0})}); },
                   {"layer_under_test", "activation", "no_such_thing"});
  expectThrowsWith([] { build("Dense", {{"units", 1}, {"activation", "quantized_relu(4)"}},
                              {weight("kernel", {1, 1}, {1}), weight("bias", {1}, {0})}); },
                   {"layer_under_test", "quantized_relu(4)"});
}

TEST(LayerDenseBatchnorm, FoldsThenQuantizes) {
  // inv = rsqrt(3 + 1) * 1.3 = 0.65; folded kernel 2*0.65 = 1.3 -> quantized_bits(4,2,1,alpha=1)
  // (step 0.5) -> 1.5; folded bias = 0.65*(1 - 1) + 0.5 = 0.5. Quantize-then-fold would give 1.3.
  json config = {{"units", 1}, {"epsilon", 1.0}, {"kernel_quantizer", "quantized_bits(4,2,1,alpha=1)"},
                 {"bias_quantizer", nullptr}};
  auto layer = build("QDenseBatchnorm", config,
                     {weight("kernel", {1, 1}, {2}), weight("bias", {1}, {1}), weight("gamma", {1}, {1.3f}),
                      weight("beta", {1}, {0.5f}), weight("moving_mean", {1}, {1}), weight("moving_variance", {1}, {3}),
                      WeightInput{"iteration", 0, Tensor({}, {0})}});
  expectValues(run(*layer, Tensor({2, 1}, {2, -1})), {2, 1}, {3.5f, -1.0f});
  auto w = layer->effectiveWeights();
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].tensor.data[0], 1.5f);
  EXPECT_EQ(w[1].tensor.data[0], 0.5f);
}

TEST(LayerDenseBatchnorm, WithoutBiasFoldsMinusMean) {
  // inv = rsqrt(0 + 0.25) = 2 (scale=False: no gamma); folded kernel [2, 4], bias 2*(0 - 1) + 3 = 1.
  json config = {{"units", 1}, {"epsilon", 0.0}, {"use_bias", false}, {"scale", false}};
  auto layer = build("QDenseBatchnorm", config,
                     {weight("kernel", {2, 1}, {1, 2}), weight("beta", {1}, {3}), weight("moving_mean", {1}, {1}),
                      weight("moving_variance", {1}, {0.25f})});
  expectValues(run(*layer, Tensor({1, 2}, {1, 1})), {1, 1}, {7.0f});
}

}  // namespace
}  // namespace qkw
