// QDepthwiseConv2DTranspose and QSeparableConv2DTranspose (QKeras 2024 layers) and their
// reference kernel, on hand-computed cases.
#include "kernels/depthwise_conv2d_transpose_f32_reference.h"
#include "layer_test_helpers.h"

namespace qkw {
namespace {

using namespace layer_test;
using json = qkw::Json;

json transposeConfig(std::vector<int> kernel, std::vector<int> strides, const std::string& padding) {
  return {{"filters", 1}, {"kernel_size", kernel}, {"strides", strides}, {"padding", padding},
          {"dilation_rate", {1, 1}}, {"use_bias", false}, {"data_format", "channels_last"}};
}

TEST(DepthwiseConv2DTransposeKernel, DeconvOutputLengthFollowsQKeras) {
  EXPECT_EQ(deconvOutputLength(4, 3, 1, 1, false, -1), 6);  // in*s + max(k-s, 0)
  EXPECT_EQ(deconvOutputLength(4, 2, 2, 1, false, -1), 8);
  EXPECT_EQ(deconvOutputLength(4, 3, 2, 1, true, -1), 8);   // in*s
  EXPECT_EQ(deconvOutputLength(2, 2, 2, 1, false, 1), 5);   // (in-1)*s + k + output_padding
  EXPECT_EQ(deconvOutputLength(3, 3, 2, 1, true, 1), 6);    // (in-1)*s + k - 2*(k//2) + output_padding
  EXPECT_EQ(deconvOutputLength(3, 2, 1, 2, false, -1), 5);  // dilated kernel: k_eff = 3
}

TEST(DepthwiseConv2DTransposeKernel, GroupMixesOnlyItsOwnChannels) {
  // One pixel, 4 channels, group_size 2, 1x1 kernel (1, 1, 4, 2): out[g*2+o] = sum_j
  // x[g*2+j] * k[g*2+o][j]; k rows: [1, 0], [0, 1], [1, 1], [2, -1].
  Conv2DGeometry g;
  g.inC = 4;
  const std::vector<float> x = {1, 2, 3, 4};
  const std::vector<float> k = {1, 0, 0, 1, 1, 1, 2, -1};
  std::vector<float> y(4, -99);
  depthwise_conv2d_transpose_f32_reference(x.data(), g, k.data(), 2, y.data());
  EXPECT_EQ(y, (std::vector<float>{1, 2, 7, 2}));
}

TEST(LayerQDepthwiseConv2DTranspose, StrideTwoValidSpreadsEachChannelWithItsKernel) {
  // Input (1, 1, 2, 2): pixels (1, 10) and (2, 20). Kernel (2, 2, 2, 1): channel 0 taps
  // [[1, 2], [3, 4]], channel 1 taps [[0.5, 0], [0, -1]]. Output (1, 2, 4, 2): pixel ix fills
  // columns 2ix and 2ix+1 with x * tap.
  auto layer = build("QDepthwiseConv2DTranspose", transposeConfig({2, 2}, {2, 2}, "valid"),
                     {weight("depthwise_kernel", {2, 2, 2, 1}, {1, 0.5f, 2, 0, 3, 0, 4, -1})});
  Tensor x({1, 1, 2, 2}, {1, 10, 2, 20});
  expectValues(run(*layer, x), {1, 2, 4, 2}, {1, 5, 2, 0, 2, 10, 4, 0, 3, 0, 4, -10, 6, 0, 8, -20});
}

TEST(LayerQDepthwiseConv2DTranspose, SameStrideOneOverlapsAndPadsAfter) {
  // Row [1, 2, 3], kernel (1, 2) taps [1, 10]: same -> width 3, padding before 0, so
  // out[ox] = x[ox]*1 + x[ox-1]*10.
  auto layer = build("QDepthwiseConv2DTranspose", transposeConfig({1, 2}, {1, 1}, "same"),
                     {weight("depthwise_kernel", {1, 2, 1, 1}, {1, 10})});
  expectValues(run(*layer, counting({1, 1, 3, 1})), {1, 1, 3, 1}, {1, 12, 23});
}

TEST(LayerQDepthwiseConv2DTranspose, NeverAddsTheBiasAndKeepsItOutOfTheEffectiveWeights) {
  json c = transposeConfig({1, 1}, {1, 1}, "valid");
  c["use_bias"] = true;
  c["bias_quantizer"] = "quantized_bits(4,2,1)";
  auto layer = build("QDepthwiseConv2DTranspose", c,
                     {weight("depthwise_kernel", {1, 1, 2, 1}, {2, 3}), weight("bias", {1}, {100}, 1)});
  expectValues(run(*layer, Tensor({1, 1, 1, 2}, {1, 1})), {1, 1, 1, 2}, {2, 3});
  const auto effective = layer->effectiveWeights();
  ASSERT_EQ(effective.size(), 1u);
  EXPECT_EQ(effective[0].role, "depthwise_kernel");
  // A converted file (effective weights only) loads without the bias.
  c["qkw_effective_weights"] = true;
  auto reloaded = build("QDepthwiseConv2DTranspose", c, {weight("depthwise_kernel", {1, 1, 2, 1}, {2, 3})});
  expectValues(run(*reloaded, Tensor({1, 1, 1, 2}, {1, 1})), {1, 1, 1, 2}, {2, 3});
}

TEST(LayerQDepthwiseConv2DTranspose, HonoursOutputPaddingUnlikeQConv2DTranspose) {
  json c = transposeConfig({2, 2}, {2, 2}, "valid");
  c["output_padding"] = {1, 0};
  auto layer = build("QDepthwiseConv2DTranspose", c, {weight("depthwise_kernel", {2, 2, 1, 1}, {1, 1, 1, 1})});
  EXPECT_EQ(layer->outputShape({{2, 2, 1}}), (Shape{5, 4, 1}));
  // The extra last row receives nothing.
  Tensor y = run(*layer, Tensor({1, 2, 2, 1}, {1, 1, 1, 1}));
  for (int64_t ox = 0; ox < 4; ++ox) EXPECT_EQ(y.data[4 * 4 + ox], 0.0f);
}

TEST(LayerQDepthwiseConv2DTranspose, QuantizesTheKernelAndAppliesDepthwiseActivationOnly) {
  // quantized_bits(4,0,1,alpha=1): 0.3 -> 0.25, -0.6 -> -0.625. `activation` is not applied
  // by QKeras's call(); depthwise_activation (relu) is.
  json c = transposeConfig({1, 1}, {1, 1}, "valid");
  c["depthwise_kernel_quantizer"] = "quantized_bits(4,0,1,alpha=1)";
  c["depthwise_activation"] = "relu";
  c["activation"] = "sigmoid";
  auto layer = build("QDepthwiseConv2DTranspose", c, {weight("depthwise_kernel", {1, 1, 2, 1}, {0.3f, -0.6f})});
  expectValues(run(*layer, Tensor({1, 1, 1, 2}, {4, 4})), {1, 1, 1, 2}, {1, 0});
  const auto effective = layer->effectiveWeights();
  ASSERT_EQ(effective.size(), 1u);
  EXPECT_EQ(effective[0].tensor.data, (std::vector<float>{0.25f, -0.625f}));
}

TEST(LayerQDepthwiseConv2DTranspose, RejectsMismatchedShapes) {
  json c = transposeConfig({1, 1}, {1, 1}, "valid");
  c["group_size"] = 2;
  expectThrowsWith([&] { build("QDepthwiseConv2DTranspose", c, {weight("depthwise_kernel", {1, 1, 3, 2}, {1, 1, 1, 1, 1, 1})}); },
                   {"layer_under_test", "not a multiple of group_size"});
  auto layer = build("QDepthwiseConv2DTranspose", transposeConfig({1, 1}, {1, 1}, "valid"),
                     {weight("depthwise_kernel", {1, 1, 2, 1}, {1, 1})});
  expectThrowsWith([&] { layer->outputShape({{2, 2, 3}}); }, {"layer_under_test", "3 channels", "expects 2"});
  json dilated = transposeConfig({2, 2}, {1, 1}, "valid");
  dilated["dilation_rate"] = {2, 2};
  expectThrowsWith<Unsupported>(
      [&] { build("QDepthwiseConv2DTranspose", dilated, {weight("depthwise_kernel", {2, 2, 1, 1}, {1, 1, 1, 1})}); },
      {"dilation_rate"});
}

json separableConfig(int filters) {
  json c = transposeConfig({1, 2}, {1, 1}, "valid");
  c["filters"] = filters;
  c["use_bias"] = true;
  return c;
}

// One pixel (1, 2); depthwise kernel (1, 2, 1, 2): tap 0 = (1, 3), tap 1 = (2, -1), so the
// depthwise stage gives width 2: (1, 6) and (2, -2). Pointwise (1, 1, 2, 2): f0 = [1, 1],
// f1 = [10, 0.5]; bias (0.5, -1).
std::vector<WeightInput> separableWeights() {
  return {weight("depthwise_kernel", {1, 2, 1, 2}, {1, 3, 2, -1}, 0),
          weight("pointwise_kernel", {1, 1, 2, 2}, {1, 1, 10, 0.5f}, 1), weight("bias", {2}, {0.5f, -1}, 2)};
}

TEST(LayerQSeparableConv2DTranspose, DepthwiseThenPointwiseThenBias) {
  // ox0: f0 = 1 + 6 + 0.5 = 7.5, f1 = 10 + 3 - 1 = 12; ox1: f0 = 2 - 2 + 0.5 = 0.5,
  // f1 = 20 - 1 - 1 = 18.
  auto layer = build("QSeparableConv2DTranspose", separableConfig(2), separableWeights());
  expectValues(run(*layer, Tensor({1, 1, 1, 2}, {1, 2})), {1, 1, 2, 2}, {7.5f, 12, 0.5f, 18});
  // QKeras master's short-lived CPU/TPU variants (2024-09/10) compute the same (the CPU call is today's).
  for (const char* variant : {"QSeparableConv2DTransposeCPU", "QSeparableConv2DTransposeTPU"}) {
    auto v = build(variant, separableConfig(2), separableWeights());
    expectValues(run(*v, Tensor({1, 1, 1, 2}, {1, 2})), {1, 1, 2, 2}, {7.5f, 12, 0.5f, 18});
  }
}

TEST(LayerQSeparableConv2DTranspose, DepthwiseActivationQuantizesTheIntermediate) {
  // quantized_bits(4,2,1): step 0.5, range [-4, 3.5]: the depthwise value 6 becomes 3.5, so
  // ox0: f0 = 1 + 3.5 + 0.5 = 5, f1 = 10 + 1.75 - 1 = 10.75.
  json c = separableConfig(2);
  c["depthwise_activation"] = "quantized_bits(4,2,1)";
  auto layer = build("QSeparableConv2DTranspose", c, separableWeights());
  expectValues(run(*layer, Tensor({1, 1, 1, 2}, {1, 2})), {1, 1, 2, 2}, {5, 10.75f, 0.5f, 18});
  EXPECT_EQ(layer->outputQuantizer(), nullptr);
  const auto slots = layer->quantizers();
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].slot, "depthwise_activation");
}

TEST(LayerQSeparableConv2DTranspose, PointwiseActivationIsTheOutputQuantizer) {
  json c = separableConfig(2);
  c["pointwise_activation"] = "quantized_bits(4,2,1)";
  auto layer = build("QSeparableConv2DTranspose", c, separableWeights());
  expectValues(run(*layer, Tensor({1, 1, 1, 2}, {1, 2})), {1, 1, 2, 2}, {3.5f, 3.5f, 0.5f, 3.5f});
  ASSERT_NE(layer->outputQuantizer(), nullptr);
}

TEST(LayerQSeparableConv2DTranspose, EffectiveWeightsAreQuantizedOnceAndReloadToTheSameOutput) {
  // quantized_bits(2,1,1,alpha=1): step 1, range [-2, 1]: 3 -> 1, -1 -> -1, 10 -> 1, 0.5 -> 0
  // (half to even); bias quantized_bits(4,2,1): -1 stays, 0.5 stays.
  json c = separableConfig(2);
  c["depthwise_kernel_quantizer"] = "quantized_bits(2,1,1,alpha=1)";
  c["pointwise_kernel_quantizer"] = "quantized_bits(2,1,1,alpha=1)";
  c["bias_quantizer"] = "quantized_bits(4,2,1)";
  auto layer = build("QSeparableConv2DTranspose", c, separableWeights());
  const auto effective = layer->effectiveWeights();
  ASSERT_EQ(effective.size(), 3u);
  EXPECT_EQ(effective[0].tensor.data, (std::vector<float>{1, 1, 1, -1}));
  EXPECT_EQ(effective[1].tensor.data, (std::vector<float>{1, 1, 1, 0}));
  EXPECT_EQ(effective[2].tensor.data, (std::vector<float>{0.5f, -1}));
  // depthwise: ox0 (1, 2), ox1 (1, -2); pointwise f0 = a + b, f1 = a; + bias.
  const Tensor x({1, 1, 1, 2}, {1, 2});
  const Tensor y = run(*layer, x);
  expectValues(y, {1, 1, 2, 2}, {3.5f, 0, -0.5f, 0});
  json converted = c;
  converted["qkw_effective_weights"] = true;
  auto reloaded = build("QSeparableConv2DTranspose", converted, effective);
  EXPECT_EQ(run(*reloaded, x).data, y.data);
}

TEST(LayerQSeparableConv2DTranspose, StrideTwoSameKeepsTheUpsampledSize) {
  json c = separableConfig(1);
  c["kernel_size"] = {2, 2};
  c["strides"] = {2, 2};
  c["padding"] = "same";
  c["use_bias"] = false;
  auto layer = build("QSeparableConv2DTranspose", c,
                     {weight("depthwise_kernel", {2, 2, 1, 1}, {1, 2, 3, 4}), weight("pointwise_kernel", {1, 1, 1, 1}, {2})});
  // Each input pixel becomes its own 2x2 block x * [[1, 2], [3, 4]] * 2.
  expectValues(run(*layer, Tensor({1, 1, 2, 1}, {1, 10})), {1, 2, 4, 1}, {2, 4, 20, 40, 6, 8, 60, 80});
}

TEST(LayerQSeparableConv2DTranspose, RejectsAPointwiseKernelOfTheWrongLayout) {
  std::vector<WeightInput> w = separableWeights();
  w[1] = weight("pointwise_kernel", {1, 1, 2, 3}, std::vector<float>(6, 1), 1);
  expectThrowsWith([&] { build("QSeparableConv2DTranspose", separableConfig(2), w); },
                   {"layer_under_test", "pointwise_kernel"});
}

}  // namespace
}  // namespace qkw
