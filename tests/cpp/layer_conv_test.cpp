// Conv1D/2D, transpose, depthwise, separable and the folded conv layers on hand-computed cases.
#include "layer_test_helpers.h"

namespace qkw {
namespace {

using namespace layer_test;
using json = qkw::Json;

json conv2d(int filters, std::vector<int> k, const std::string& padding = "valid") {
  return {{"filters", filters}, {"kernel_size", k}, {"padding", padding}, {"strides", {1, 1}},
          {"dilation_rate", {1, 1}}, {"use_bias", false}, {"data_format", "channels_last"}};
}

// 3x3 single-channel input 1..9 and the 2x2 kernel [[1, 0.5], [0.25, -1]].
const std::vector<float> kKernel2x2 = {1, 0.5f, 0.25f, -1};

TEST(LayerConv2D, ValidTwoByTwo) {
  auto layer = build("Conv2D", conv2d(1, {2, 2}), {weight("kernel", {2, 2, 1, 1}, kKernel2x2)});
  expectValues(run(*layer, counting({1, 3, 3, 1})), {1, 2, 2, 1}, {-2, -1.25f, 0.25f, 1});
}

TEST(LayerConv2D, SamePadsAfterWhenTheTotalIsOdd) {
  // total pad 1 per axis goes after: the last row/column see zeros below/right.
  auto layer = build("Conv2D", conv2d(1, {2, 2}, "same"), {weight("kernel", {2, 2, 1, 1}, kKernel2x2)});
  Tensor y = run(*layer, counting({1, 3, 3, 1}));
  expectValues(y, {1, 3, 3, 1}, {-2, -1.25f, 3 + 6 * 0.25f, 0.25f, 1, 6 + 9 * 0.25f, 7 + 8 * 0.5f, 8 + 9 * 0.5f, 9});
}

TEST(LayerConv2D, SameWithStrideTwo) {
  json c = conv2d(1, {3, 3}, "same");
  c["strides"] = {2, 2};
  auto layer = build("Conv2D", c, {weight("kernel", {3, 3, 1, 1}, std::vector<float>(9, 1))});
  expectValues(run(*layer, counting({1, 4, 4, 1})), {1, 2, 2, 1}, {54, 45, 72, 54});
}

TEST(LayerConv2D, DilationSpreadsTheWindow) {
  json c = conv2d(1, {2, 2});
  c["dilation_rate"] = {2, 2};
  auto layer = build("Conv2D", c, {weight("kernel", {2, 2, 1, 1}, {1, 1, 1, 1})});
  Tensor y = run(*layer, counting({1, 5, 5, 1}));
  ASSERT_EQ(y.shape, (Shape{1, 3, 3, 1}));
  EXPECT_EQ(y.data[0], 1 + 3 + 11 + 13);
  EXPECT_EQ(y.data[8], 13 + 15 + 23 + 25);
}

TEST(LayerConv2D, GroupsReadTheirOwnChannels) {
  json c = conv2d(2, {1, 1});
  c["groups"] = 2;
  auto layer = build("Conv2D", c, {weight("kernel", {1, 1, 1, 2}, {2, 3})});
  expectValues(run(*layer, Tensor({1, 1, 2, 2}, {1, 10, 2, 20})), {1, 1, 2, 2}, {2, 30, 4, 60});
}

TEST(LayerConv2D, ChannelsMixThroughTheKernelLayout) {
  // kernel (1,1,in=2,out=2) [[a,b],[c,d]]: out0 = x0*a + x1*c, out1 = x0*b + x1*d.
  json c = conv2d(2, {1, 1});
  c["use_bias"] = true;
  auto layer = build("Conv2D", c, {weight("kernel", {1, 1, 2, 2}, {1, 2, 3, 4}), weight("bias", {2}, {0.5f, -0.5f})});
  expectValues(run(*layer, Tensor({1, 1, 1, 2}, {1, 10})), {1, 1, 1, 2}, {31.5f, 41.5f});
}

TEST(LayerConv2D, QConv2DMaskAppliesAfterQuantization) {
  // 0.3 -> quantized_bits(4,0,1,alpha=1) -> 0.25; the mask keeps the diagonal.
  json c = conv2d(1, {2, 2});
  c["kernel_quantizer"] = "quantized_bits(4,0,1,alpha=1)";
  c["mask"] = {{{{1}}, {{0}}}, {{{0}}, {{1}}}};
  auto layer = build("QConv2D", c, {weight("kernel", {2, 2, 1, 1}, {0.3f, 0.3f, 0.3f, 0.3f})});
  expectValues(run(*layer, counting({1, 2, 2, 1})), {1, 1, 1, 1}, {0.25f * 1 + 0.25f * 4});
  EXPECT_EQ(layer->effectiveWeights()[0].tensor.data, (std::vector<float>{0.25f, 0, 0, 0.25f}));
}

TEST(LayerConv2D, QConv2DActivationQuantizesOutput) {
  json c = conv2d(1, {1, 1});
  c["activation"] = "quantized_relu(2,0)";
  auto layer = build("QConv2D", c, {weight("kernel", {1, 1, 1, 1}, {1})});
  expectValues(run(*layer, Tensor({1, 1, 4, 1}, {-1, 0.125f, 0.375f, 2})), {1, 1, 4, 1}, {0, 0, 0.5f, 0.75f});
  ASSERT_NE(layer->outputQuantizer(), nullptr);
}

TEST(LayerConv1D, CausalPadsOnTheLeft) {
  json c = {{"filters", 1}, {"kernel_size", {2}}, {"padding", "causal"}, {"use_bias", false}};
  auto layer = build("Conv1D", c, {weight("kernel", {2, 1, 1}, {1, 10})});
  expectValues(run(*layer, counting({1, 4, 1})), {1, 4, 1}, {10, 1 + 20, 2 + 30, 3 + 40});
}

TEST(LayerConv1D, StridedValid) {
  json c = {{"filters", 1}, {"kernel_size", 3}, {"strides", 2}, {"padding", "valid"}, {"use_bias", false}};
  auto layer = build("QConv1D", c, {weight("kernel", {3, 1, 1}, {1, 1, 1})});
  expectValues(run(*layer, counting({1, 7, 1})), {1, 3, 1}, {6, 12, 18});
}

TEST(LayerConv2DTranspose, StrideTwoValidSpreadsEachPixel) {
  json c = conv2d(1, {2, 2});
  c["strides"] = {2, 2};
  auto layer = build("QConv2DTranspose", c, {weight("kernel", {2, 2, 1, 1}, {1, 1, 1, 1})});
  expectValues(run(*layer, counting({1, 2, 2, 1})), {1, 4, 4, 1},
               {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
}

TEST(LayerConv2DTranspose, StrideOneValidOverlaps) {
  auto layer = build("Conv2DTranspose", conv2d(1, {2, 2}), {weight("kernel", {2, 2, 1, 1}, {1, 1, 1, 1})});
  expectValues(run(*layer, counting({1, 2, 2, 1})), {1, 3, 3, 1}, {1, 3, 2, 4, 10, 6, 3, 7, 4});
}

TEST(LayerConv2DTranspose, QKerasIgnoresOutputPaddingKerasHonoursIt) {
  json c = conv2d(1, {2, 2});
  c["strides"] = {2, 2};
  c["output_padding"] = {1, 1};
  auto q = build("QConv2DTranspose", c, {weight("kernel", {2, 2, 1, 1}, {1, 1, 1, 1})});
  auto k = build("Conv2DTranspose", c, {weight("kernel", {2, 2, 1, 1}, {1, 1, 1, 1})});
  EXPECT_EQ(q->outputShape({{2, 2, 1}}), (Shape{4, 4, 1}));
  EXPECT_EQ(k->outputShape({{2, 2, 1}}), (Shape{5, 5, 1}));
  c["padding"] = "same";
  c["kernel_size"] = {3, 3};
  auto qs = build("QConv2DTranspose", c, {weight("kernel", {3, 3, 1, 1}, std::vector<float>(9, 1))});
  EXPECT_EQ(qs->outputShape({{3, 5, 1}}), (Shape{6, 10, 1}));
}

TEST(LayerConv2DTranspose, SameUsesTheForwardConvPadding) {
  // 2x2 input, 3x3 kernel, stride 1, same: out 2x2, pad before 1: out(oy,ox) = sum over
  // inputs (iy,ix) of x * w[oy-iy+1][ox-ix+1].
  json c = conv2d(1, {3, 3}, "same");
  std::vector<float> w = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto layer = build("Conv2DTranspose", c, {weight("kernel", {3, 3, 1, 1}, w)});
  // x = [[1,2],[3,4]]. out(0,0) = 1*w[1][1] + 2*w[1][0] + 3*w[0][1] + 4*w[0][0] = 5+8+6+4 = 23.
  Tensor y = run(*layer, counting({1, 2, 2, 1}));
  ASSERT_EQ(y.shape, (Shape{1, 2, 2, 1}));
  EXPECT_EQ(y.data[0], 23);
  // out(1,1) = 1*w[2][2] + 2*w[2][1] + 3*w[1][2] + 4*w[1][1] = 9+16+18+20 = 63.
  EXPECT_EQ(y.data[3], 63);
}

TEST(LayerDepthwiseConv2D, OutputChannelIsCTimesDmPlusJ) {
  json c = {{"kernel_size", {1, 1}}, {"depth_multiplier", 2}, {"use_bias", true}, {"padding", "VALID"}};
  auto layer = build("DepthwiseConv2D", c,
                     {weight("depthwise_kernel", {1, 1, 2, 2}, {1, 2, 3, 4}), weight("bias", {4}, {0, 0, 0, 0.5f})});
  expectValues(run(*layer, Tensor({1, 1, 1, 2}, {1, 2})), {1, 1, 1, 4}, {1, 2, 6, 8.5f});
}

TEST(LayerDepthwiseConv2D, QuantizerScalesPerMultiplierIndex) {
  // auto_po2 on (kh,kw,in,dm) reduces over all but the last axis: channel 0 and 1 share the
  // scale of multiplier j. With alpha=1 fixed point the values just round.
  json c = {{"kernel_size", {1, 1}}, {"depth_multiplier", 1}, {"use_bias", false},
            {"depthwise_quantizer", "quantized_bits(4,0,1,alpha=1)"}, {"activation", "linear"}};
  auto layer = build("QDepthwiseConv2D", c, {weight("depthwise_kernel", {1, 1, 2, 1}, {0.3f, -0.6f})});
  expectValues(run(*layer, Tensor({1, 1, 1, 2}, {1, 1})), {1, 1, 1, 2}, {0.25f, -0.625f});
}

TEST(LayerSeparableConv2D, DepthwiseThenPointwiseNoIntermediateQuantization) {
  json c = {{"filters", 1}, {"kernel_size", {1, 1}}, {"depth_multiplier", 1}, {"use_bias", true},
            {"activation", nullptr}};
  auto layer = build("QSeparableConv2D", c,
                     {weight("depthwise_kernel", {1, 1, 2, 1}, {2, 3}), weight("pointwise_kernel", {1, 1, 2, 1}, {1, 10}),
                      weight("bias", {1}, {0.5f})});
  expectValues(run(*layer, Tensor({2, 1, 1, 2}, {1, 1, 2, 0.5f})), {2, 1, 1, 1}, {32.5f, 19.5f});
}

TEST(LayerSeparableConv1D, CausalRunsAsHeightOne) {
  json c = {{"filters", 1}, {"kernel_size", 2}, {"padding", "causal"}, {"use_bias", false}};
  auto layer = build("SeparableConv1D", c,
                     {weight("depthwise_kernel", {2, 1, 1}, {1, 10}), weight("pointwise_kernel", {1, 1, 1}, {2})});
  expectValues(run(*layer, counting({1, 3, 1})), {1, 3, 1}, {20, 42, 64});
}

TEST(LayerConv2DBatchnorm, FoldsThenQuantizes) {
  // Same numbers as the dense case: folded kernel 1.3 -> 1.5, folded bias 0.5.
  json c = conv2d(1, {1, 1});
  c["use_bias"] = true;
  c["epsilon"] = 1.0;
  c["kernel_quantizer"] = "quantized_bits(4,2,1,alpha=1)";
  auto layer = build("QConv2DBatchnorm", c,
                     {weight("kernel", {1, 1, 1, 1}, {2}), weight("bias", {1}, {1}), weight("gamma", {1}, {1.3f}),
                      weight("beta", {1}, {0.5f}), weight("moving_mean", {1}, {1}),
                      weight("moving_variance", {1}, {3}), WeightInput{"iteration", 0, Tensor({}, {0})}});
  expectValues(run(*layer, Tensor({1, 1, 2, 1}, {2, 1})), {1, 1, 2, 1}, {3.5f, 2.0f});
}

TEST(LayerConv2DBatchnorm, FoldingFactorIsPerFilter) {
  // inv = rsqrt(var + 0) * gamma = [2*1, 0.5*3] = [2, 1.5]; no kernel quantizer.
  json c = conv2d(2, {1, 1});
  c["epsilon"] = 0.0;
  auto layer = build("QConv2DBatchnorm", c,
                     {weight("kernel", {1, 1, 2, 2}, {1, 2, 3, 4}), weight("gamma", {2}, {1, 3}),
                      weight("beta", {2}, {0, 1}), weight("moving_mean", {2}, {0.5f, 2}),
                      weight("moving_variance", {2}, {0.25f, 4})});
  // kernel folded: [[2, 3], [6, 6]]; bias: [2*(0-0.5)+0, 1.5*(0-2)+1] = [-1, -2].
  expectValues(run(*layer, Tensor({1, 1, 1, 2}, {1, 1})), {1, 1, 1, 2}, {7, 7});
}

TEST(LayerDepthwiseConv2DBatchnorm, FoldingFactorFollowsCTimesDmPlusJ) {
  json c = {{"kernel_size", {1, 1}}, {"depth_multiplier", 2}, {"epsilon", 0.0}, {"use_bias", false}};
  auto layer = build("QDepthwiseConv2DBatchnorm", c,
                     {weight("depthwise_kernel", {1, 1, 2, 2}, {1, 1, 1, 1}), weight("gamma", {4}, {1, 2, 3, 4}),
                      weight("beta", {4}, {0, 0, 0, 0}), weight("moving_mean", {4}, {0, 0, 0, 0}),
                      weight("moving_variance", {4}, {1, 1, 1, 1})});
  expectValues(run(*layer, Tensor({1, 1, 1, 2}, {1, 10})), {1, 1, 1, 4}, {1, 2, 30, 40});
}

TEST(LayerConv, ErrorsNameTheLayer) {
  auto layer = build("Conv2D", conv2d(1, {3, 3}), {weight("kernel", {3, 3, 1, 1}, std::vector<float>(9))});
  expectThrowsWith([&] { layer->outputShape({{2, 2, 1}}); }, {"layer_under_test", "smaller than the kernel"});
  expectThrowsWith([&] { layer->outputShape({{4, 4, 2}}); }, {"layer_under_test", "2 channels"});
  json cf = conv2d(1, {1, 1});
  cf["data_format"] = "channels_first";
  expectThrowsWith<Unsupported>([&] { build("Conv2D", cf, {weight("kernel", {1, 1, 1, 1}, {1})}); },
                                {"layer_under_test", "channels_first"});
  expectThrowsWith([] { build("Conv2D", conv2d(2, {1, 1}), {weight("kernel", {1, 1, 1, 3}, {1, 2, 3})}); },
                   {"layer_under_test", "'kernel'", "(1, 1, 1, 3)"});
}

}  // namespace
}  // namespace qkw
