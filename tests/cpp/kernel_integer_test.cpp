// The integer kernels against their reference twins (bitwise, sentinel-filled outputs, random
// shapes), and the integer path of the conv/dense/depthwise layers against their float path:
// whole-layer bit equality, the 2^24 accumulator limit on both sides, and the runtime fallback
// for inputs off the proven grid.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "graph/analysis.h"
#include "integer_kernels_self_test.h"
#include "kernels/qs16_igemm_dot16x2.h"
#include "layers/conv.h"
#include "layers/dense.h"
#include "layer_test_helpers.h"
#include "graph/model.h"

namespace qkw {
namespace {

using layer_test::weight;

TEST(IntegerKernels, MatchReferenceTwinsOnRandomShapes) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    const KernelSelfTestResult r = runIntegerKernelSelfTest(seed, 150);
    EXPECT_GE(r.cases, 1800);  // 4 qs16 cases + 3 popcount case kinds (>= 7 comparisons) + 1 quantizer case per round
    EXPECT_GT(r.macs, 0);
    for (const std::string& f : r.failures) ADD_FAILURE() << "seed " << seed << ": " << f;
  }
}

TEST(IntegerKernels, PackingPadsOddChannelsAndTailWithZeros) {
  // 1 tap, 3 input channels, 9 outputs: kc rounds up to 4, two blocks of 8 channels.
  std::vector<int16_t> codes(3 * 9);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<int16_t>(i + 1);
  const Qs16PackedWeights p = qs16_pack_igemm_weights(codes.data(), 1, 3, 9);
  EXPECT_EQ(p.kc, 4);
  ASSERT_EQ(p.data.size(), 2u * 1 * 4 * 8);
  // block 0, pair 0: channel j holds (k0, k1) = codes[0*9+j], codes[1*9+j]
  EXPECT_EQ(p.data[0], codes[0]);
  EXPECT_EQ(p.data[1], codes[9]);
  // block 0, pair 1: (k2, padding 0)
  EXPECT_EQ(p.data[16], codes[18]);
  EXPECT_EQ(p.data[17], 0);
  // block 1 holds channel 8 only
  EXPECT_EQ(p.data[32], codes[8]);
  EXPECT_EQ(p.data[34], 0);
}

// ---- Whole layers: integer path vs float path ----

// Facts for an input on the grid k * step, k in [lo, hi], as the model hands them to prepare().
PrepareContext factsFor(const Shape& in, double step, int lo, int hi, bool integer = true) {
  PrepareContext ctx;
  ctx.inputShapes = {in};
  InputFacts f;
  f.onUniformGrid = true;
  f.step = step;
  f.min = lo * step;
  f.max = hi * step;
  f.isSigned = lo < 0;
  ctx.inputs = {f};
  ctx.integerKernels = integer;
  ctx.accumulatorBound = [f](const Tensor& k, int64_t channels, int64_t innerStride, bool zeroTerms) {
    const AccumulatorBound b = boundLinear(KernelView{&k, channels, innerStride}, nullptr, f.step, f.min, f.max, zeroTerms);
    return AccumulatorFacts{b.mantissaBits, b.accumulatorBits};
  };
  return ctx;
}

Tensor randomTensor(Shape shape, std::mt19937& gen, int lo, int hi, double step) {
  Tensor t;
  t.shape = shape;
  t.data.resize(static_cast<size_t>(numElements(shape)));
  std::uniform_int_distribution<int> d(lo, hi);
  for (float& v : t.data) v = static_cast<float>(d(gen) * step);
  return t;
}

bool bitEqual(const Tensor& a, const Tensor& b) {
  return a.data.size() == b.data.size() && std::memcmp(a.data.data(), b.data.data(), a.data.size() * 4) == 0;
}

ConvParams convParams(int k, int stride, int dilation, Padding padding) {
  ConvParams p;
  p.kH = p.kW = k;
  p.strideH = p.strideW = stride;
  p.dilationH = p.dilationW = dilation;
  p.padding = padding;
  return p;
}

struct ConvPair {
  std::unique_ptr<ConvLayer> integer, floating;
  KernelChoice choice, floatChoice;
};

ConvPair makeConvPair(const ConvParams& p, const Tensor& kernel, const Tensor& bias, const PrepareContext& ctx) {
  ConvPair pair;
  pair.integer = std::make_unique<ConvLayer>("c", "QConv2D", p, 1, kernel, bias, ActivationFunction(), std::vector<QuantizerSlot>{});
  pair.floating = std::make_unique<ConvLayer>("c", "QConv2D", p, 1, kernel, bias, ActivationFunction(), std::vector<QuantizerSlot>{});
  pair.choice = pair.integer->prepare(ctx);
  PrepareContext off = ctx;
  off.integerKernels = false;
  pair.floatChoice = pair.floating->prepare(off);
  return pair;
}

Tensor run(const Layer& layer, const Tensor& x, const Shape& outNoBatch) {
  Tensor y;
  y.shape = {x.shape[0]};
  y.shape.insert(y.shape.end(), outNoBatch.begin(), outNoBatch.end());
  y.data.assign(static_cast<size_t>(numElements(y.shape)), -1.0f);
  layer.forward({&x}, y);
  return y;
}

TEST(IntegerPath, ConvLayersMatchTheFloatPathBitForBit) {
  std::mt19937 gen(11);
  struct Case { int h, w, c, f, k, stride, dilation; Padding pad; };
  const Case cases[] = {{8, 8, 3, 5, 3, 1, 1, Padding::Same},  {9, 7, 13, 17, 3, 2, 1, Padding::Valid},
                        {6, 6, 8, 16, 1, 1, 1, Padding::Valid}, {10, 11, 5, 9, 3, 1, 2, Padding::Same},
                        {5, 5, 33, 7, 5, 3, 1, Padding::Same},  {1, 1, 31, 3, 1, 1, 1, Padding::Valid}};
  for (const Case& c : cases) {
    const ConvParams p = convParams(c.k, c.stride, c.dilation, c.pad);
    const Tensor kernel = randomTensor({c.k, c.k, c.c, c.f}, gen, -8, 7, 1.0 / 8);
    const Tensor bias = randomTensor({c.f}, gen, -64, 64, 1.0 / 256);
    ConvPair pair = makeConvPair(p, kernel, bias, factsFor({c.h, c.w, c.c}, 1.0 / 16, 0, 15));
    EXPECT_EQ(pair.choice.kernel.rfind("qs8_conv2d_igemm_4x8c2_", 0), 0u) << pair.choice.kernel << " " << pair.choice.reason;
    EXPECT_EQ(pair.floatChoice.kernel.rfind("f32_conv2d_igemm_4x8_", 0), 0u) << pair.floatChoice.kernel;
    EXPECT_NE(pair.floatChoice.reason.find("integerKernels: false"), std::string::npos);
    const Tensor x = randomTensor({2, c.h, c.w, c.c}, gen, 0, 15, 1.0 / 16);
    const Shape out = pair.integer->outputShape({{c.h, c.w, c.c}});
    EXPECT_TRUE(bitEqual(run(*pair.integer, x, out), run(*pair.floating, x, out))) << "case c=" << c.c << " f=" << c.f;
  }
}

// 8-bit unsigned inputs (codes 0..255) into one output channel of K taps of weight code w:
// every partial sum needs ceil(log2(255 * w * K + 1)) bits.
TEST(IntegerPath, AccumulatorsOnBothSidesOf2To24) {
  std::mt19937 gen(5);
  const int64_t in = 2048;
  struct Case { int code; bool integer; };
  // Weight step 1/64: 255 * 31 * 2048 = 16,189,440 < 2^24; 255 * 33 * 2048 = 17,233,920 > 2^24.
  for (const Case c : {Case{31, true}, Case{33, false}}) {
    Tensor kernel;
    kernel.shape = {in, 2};
    kernel.data.assign(static_cast<size_t>(in * 2), static_cast<float>(c.code) / 64.0f);
    Tensor bias;
    bias.shape = {2};
    bias.data = {0.5f, -0.25f};
    DenseLayer integer("d", "QDense", kernel, bias, ActivationFunction(), {});
    DenseLayer floating("d", "QDense", kernel, bias, ActivationFunction(), {});
    const PrepareContext ctx = factsFor({in}, 1.0 / 4, 0, 255);
    const KernelChoice choice = integer.prepare(ctx);
    PrepareContext off = ctx;
    off.integerKernels = false;
    floating.prepare(off);
    if (c.integer) {
      EXPECT_EQ(choice.kernel.rfind("qs16_dense_igemm_4x8c2_", 0), 0u) << choice.kernel << ": " << choice.reason;
    } else {
      EXPECT_EQ(choice.kernel, "f32_dense_simd");
      EXPECT_NE(choice.reason.find("accumulator needs 25 bits > 24"), std::string::npos) << choice.reason;
    }
    // Inputs at the top of the range make the sums reach the bound; random ones elsewhere.
    Tensor x = randomTensor({3, in}, gen, 0, 255, 1.0 / 4);
    for (int64_t i = 0; i < in; ++i) x.data[i] = 255.0f / 4;
    const Tensor a = run(integer, x, {2}), b = run(floating, x, {2});
    EXPECT_TRUE(bitEqual(a, b)) << "code " << c.code;
    if (c.integer) {
      EXPECT_EQ(a.data[0], 255.0f * 31 * 2048 / 256 + 0.5f);
    }
  }
}

TEST(IntegerPath, InputsOffTheProvenGridRunTheFloatPath) {
  std::mt19937 gen(3);
  const ConvParams p = convParams(3, 1, 1, Padding::Same);
  const Tensor kernel = randomTensor({3, 3, 4, 8}, gen, -8, 7, 1.0 / 8);
  ConvPair pair = makeConvPair(p, kernel, Tensor(), factsFor({5, 5, 4}, 1.0 / 16, 0, 15));
  ASSERT_EQ(pair.choice.kernel.rfind("qs8_conv2d", 0), 0u);
  const Shape out = {5, 5, 8};
  for (float bad : {1.0f / 32, 2.0f, -1.0f / 16, NAN, INFINITY}) {
    Tensor x = randomTensor({1, 5, 5, 4}, gen, 0, 15, 1.0 / 16);
    x.data[37] = bad;
    const Tensor a = run(*pair.integer, x, out), b = run(*pair.floating, x, out);
    EXPECT_TRUE(bitEqual(a, b)) << "value " << bad;
  }
}

TEST(IntegerPath, FloatInputsKeepTheFloatKernelWithAReason) {
  const ConvParams p = convParams(3, 1, 1, Padding::Same);
  std::mt19937 gen(1);
  const Tensor kernel = randomTensor({3, 3, 4, 8}, gen, -8, 7, 1.0 / 8);
  ConvLayer layer("c", "QConv2D", p, 1, kernel, Tensor(), ActivationFunction(), {});
  PrepareContext ctx;
  ctx.inputShapes = {{5, 5, 4}};
  InputFacts f;
  f.why = "input 'x' is float";
  ctx.inputs = {f};
  const KernelChoice choice = layer.prepare(ctx);
  EXPECT_EQ(choice.kernel.rfind("f32_conv2d_igemm_4x8_", 0), 0u) << choice.kernel;
  EXPECT_EQ(choice.reason, "input 'x' is float");
}

TEST(IntegerPath, DepthwiseMatchesTheFloatPath) {
  std::mt19937 gen(9);
  const ConvParams p = convParams(3, 2, 1, Padding::Same);
  const Tensor kernel = randomTensor({3, 3, 19, 1}, gen, -128, 127, 1.0 / 64);
  const Tensor bias = randomTensor({19}, gen, -64, 64, 1.0 / 128);
  DepthwiseConvLayer integer("dw", "QDepthwiseConv2D", p, kernel, bias, ActivationFunction(), {});
  DepthwiseConvLayer floating("dw", "QDepthwiseConv2D", p, kernel, bias, ActivationFunction(), {});
  const PrepareContext ctx = factsFor({9, 9, 19}, 1.0 / 8, -128, 127);
  const KernelChoice choice = integer.prepare(ctx);
  EXPECT_EQ(choice.kernel.rfind("qs8_dwconv2d_8c_", 0), 0u) << choice.kernel << ": " << choice.reason;
  PrepareContext off = ctx;
  off.integerKernels = false;
  floating.prepare(off);
  const Tensor x = randomTensor({2, 9, 9, 19}, gen, -128, 127, 1.0 / 8);
  const Shape out = integer.outputShape({{9, 9, 19}});
  EXPECT_TRUE(bitEqual(run(integer, x, out), run(floating, x, out)));
}

// ---- Through Model::build: the analysis' facts reach prepare() ----

std::vector<float> randomFloats(size_t n, std::mt19937& gen) {
  std::normal_distribution<float> d(0.0f, 0.5f);
  std::vector<float> v(n);
  for (float& x : v) x = d(gen);
  return v;
}

qkw::Json entry(const std::string& name, const std::string& cls, qkw::Json config, const std::string& inbound) {
  qkw::Json e = {{"name", name}, {"className", cls}, {"config", config}, {"inbound", qkw::Json::array()}};
  if (!inbound.empty()) e["inbound"].push_back({inbound, 0, 0, qkw::Json::object()});
  return e;
}

// in (9, 9, 6) -> QActivation(quantized_bits(4,0)) -> `layer` -> output.
std::unique_ptr<Model> buildAfterQuantizedInput(const qkw::Json& layer, std::vector<WeightInput> weights,
                                                bool integerKernels) {
  qkw::Json graph = {
      {"name", "m"},
      {"layers",
       {entry("in", "InputLayer", {{"batch_input_shape", {nullptr, 9, 9, 6}}, {"name", "in"}}, ""),
        entry("q", "QActivation", {{"activation", "quantized_bits(4,0,1,alpha=1)"}}, "in"), layer}},
      {"inputs", {{"in", 0, 0}}},
      {"outputs", {{layer["name"], 0, 0}}}};
  ModelOptions options;
  options.integerKernels = integerKernels;
  return Model::build(graph, {{layer["name"].get<std::string>(), std::move(weights)}}, options);
}

void expectSamePredictions(const qkw::Json& layer, const std::vector<WeightInput>& weights,
                           const std::string& kernelPrefix) {
  auto fast = buildAfterQuantizedInput(layer, weights, true);
  auto slow = buildAfterQuantizedInput(layer, weights, false);
  EXPECT_EQ(fast->layers()[2].kernel.rfind(kernelPrefix, 0), 0u)
      << fast->layers()[2].kernel << ": " << fast->layers()[2].kernelReason;
  EXPECT_EQ(slow->layers()[2].kernel.rfind("f32_", 0), 0u);
  std::mt19937 gen(4);
  Tensor x({3, 9, 9, 6}, randomFloats(3 * 9 * 9 * 6, gen));
  const Tensor a = fast->predict({x})[0], b = slow->predict({x})[0];
  EXPECT_TRUE(bitEqual(a, b));
}

TEST(IntegerPath, ModelBuildHandsTheAnalysisFactsToConvAndSeparable) {
  std::mt19937 gen(8);
  const qkw::Json conv = entry("c", "QConv2D",
                                    {{"filters", 11}, {"kernel_size", {3, 3}}, {"strides", {2, 1}}, {"padding", "same"},
                                     {"kernel_quantizer", "quantized_bits(4,0,1,alpha=1)"},
                                     {"bias_quantizer", "quantized_bits(8,3,1,alpha=1)"},
                                     {"activation", "quantized_relu(4,0)"}},
                                    "q");
  expectSamePredictions(conv, {weight("kernel", {3, 3, 6, 11}, randomFloats(3 * 3 * 6 * 11, gen)),
                               weight("bias", {11}, randomFloats(11, gen), 1)},
                        "qs8_conv2d_igemm_4x8c2_");
  const qkw::Json sep = entry("s", "QSeparableConv2D",
                                   {{"filters", 13}, {"kernel_size", {3, 3}}, {"padding", "valid"},
                                    {"depthwise_quantizer", "quantized_bits(4,0,1,alpha=1)"},
                                    {"pointwise_quantizer", "quantized_bits(4,0,1,alpha=1)"},
                                    {"bias_quantizer", "quantized_bits(8,3,1,alpha=1)"}},
                                   "q");
  expectSamePredictions(sep, {weight("depthwise_kernel", {3, 3, 6, 1}, randomFloats(3 * 3 * 6, gen)),
                              weight("pointwise_kernel", {1, 1, 6, 13}, randomFloats(6 * 13, gen), 1),
                              weight("bias", {13}, randomFloats(13, gen), 2)},
                        "qs8_dwconv2d_8c_");
}

}  // namespace
}  // namespace qkw
