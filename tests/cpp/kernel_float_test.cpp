// The float32 conv path: f32_conv2d_igemm_4x8__simd against conv2d_f32_reference (the randomized
// self-test that also runs in WASM), the conv layer's kernel choice (igemm where it is exact, the
// reference kernel otherwise), and the activation run in the igemm kernel's per-chunk epilogue
// against the same activation run as a separate layer.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "graph/model.h"
#include "kernels/conv2d_f32_reference.h"
#include "kernels/f32_conv2d_igemm.h"
#include "float_kernels_self_test.h"
#include "layers/conv.h"
#include "layer_test_helpers.h"

namespace qkw {
namespace {

using layer_test::weight;

bool sameBits(const Tensor& a, const Tensor& b) {
  return a.data.size() == b.data.size() && std::memcmp(a.data.data(), b.data.data(), a.data.size() * 4) == 0;
}

// Equal bits, or both NaN (payloads are unspecified; see float_kernels_self_test.cpp).
bool sameValues(const Tensor& a, const Tensor& b) {
  if (a.data.size() != b.data.size()) return false;
  for (size_t i = 0; i < a.data.size(); ++i)
    if (std::memcmp(&a.data[i], &b.data[i], 4) != 0 && !(std::isnan(a.data[i]) && std::isnan(b.data[i]))) return false;
  return true;
}

TEST(FloatKernels, MatchTheReferenceOnRandomShapes) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    const KernelSelfTestResult r = runFloatKernelSelfTest(seed, 300);
    EXPECT_EQ(r.cases, 300);
    EXPECT_GT(r.macs, 0);
    for (const std::string& f : r.failures) ADD_FAILURE() << "seed " << seed << ": " << f;
  }
}

TEST(FloatKernels, PackingPadsTheLastChannelBlockWithZeros) {
  // 2x1 window, 2 input channels (k = 4), 9 filters: two blocks of 8.
  std::vector<float> w(4 * 9);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i + 1);
  const F32ConvPackedWeights p = f32_conv2d_pack_weights(w.data(), 2, 1, 2, 9);
  EXPECT_EQ(p.k, 4);
  ASSERT_EQ(p.data.size(), 2u * 4 * 8);
  EXPECT_EQ(p.data[1 * 8 + 3], w[1 * 9 + 3]);                 // block 0, k 1, channel 3
  EXPECT_EQ(p.data[(4 + 2) * 8 + 0], w[2 * 9 + 8]);           // block 1, k 2, channel 8
  for (int j = 1; j < 8; ++j) EXPECT_EQ(p.data[(4 + 2) * 8 + j], 0.0f);
}

TEST(FloatKernels, NonFiniteWeightsAreDetected) {
  std::vector<float> w(10, 1.0f);
  EXPECT_TRUE(f32_conv2d_weights_finite(w.data(), 10));
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    w[7] = bad;
    EXPECT_FALSE(f32_conv2d_weights_finite(w.data(), 10));
    w[7] = 1.0f;
  }
}

PrepareContext floatInput(const Shape& in) {
  PrepareContext ctx;
  ctx.inputShapes = {in};
  InputFacts f;
  f.why = "input 'x' is float";
  ctx.inputs = {f};
  return ctx;
}

Tensor randomTensor(const Shape& shape, std::mt19937& gen) {
  Tensor t(shape);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (float& v : t.data) v = d(gen);
  return t;
}

// With a NaN or infinite weight, a padded conv cannot read padded taps as 0 (0*NaN = NaN where the
// reference adds nothing): it runs the reference kernel. A conv without padding reads no padded
// tap and keeps the igemm kernel. Every variant gives the reference's values.
TEST(FloatConvLayer, ChoosesIgemmWhereItIsExactAndTheReferenceOtherwise) {
  std::mt19937 gen(3);
  const Shape in = {9, 10, 6};
  const Tensor x = randomTensor({2, 9, 10, 6}, gen);
  for (Padding padding : {Padding::Same, Padding::Valid})
    for (float bad : {0.0f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
      SCOPED_TRACE(testing::Message() << "same " << (padding == Padding::Same) << " bad weight " << bad);
      Tensor kernel = randomTensor({3, 3, 6, 11}, gen), bias = randomTensor({11}, gen);
      if (bad != 0.0f) kernel.data[5] = bad;
      ConvParams p;
      p.kH = p.kW = 3;
      p.padding = padding;
      ConvLayer layer("c", "Conv2D", p, 1, kernel, bias, ActivationFunction(), {});
      const KernelChoice choice = layer.prepare(floatInput(in));
      if (bad == 0.0f || padding == Padding::Valid) {
        EXPECT_EQ(choice.kernel.rfind("f32_conv2d_igemm_4x8_", 0), 0u) << choice.kernel;
      } else {
        EXPECT_EQ(choice.kernel, "f32_conv2d_reference");
      }
      const Shape out = layer.outputShape({in});
      Tensor y({2, out[0], out[1], out[2]}), ref({2, out[0], out[1], out[2]});
      std::fill(y.data.begin(), y.data.end(), -7.0f);
      layer.forward({&x}, y);
      Conv2DGeometry g;
      g.batch = 2;
      g.inH = 9, g.inW = 10, g.inC = 6, g.kH = g.kW = 3;
      if (padding == Padding::Same) {
        g.outH = samePadding(9, 3, 1, 1, &g.padTop);
        g.outW = samePadding(10, 3, 1, 1, &g.padLeft);
      } else {
        g.outH = validOutputLength(9, 3, 1, 1);
        g.outW = validOutputLength(10, 3, 1, 1);
      }
      conv2d_f32_reference(x.data.data(), g, kernel.data.data(), 11, 1, bias.data.data(), ref.data.data());
      EXPECT_TRUE(sameValues(y, ref));
      if (bad != 0.0f) {
        bool sawNonFinite = false;
        for (float v : y.data) sawNonFinite |= !std::isfinite(v);
        EXPECT_TRUE(sawNonFinite);  // not vacuous: the bad weight reaches the output
      }
    }
}

// 'same' padding with a huge dilation would need a padded copy far larger than the input: the
// layer runs the reference kernel instead of allocating it.
TEST(FloatConvLayer, HugePaddingKeepsTheReferenceKernel) {
  std::mt19937 gen(2);
  const Tensor kernel = randomTensor({3, 3, 2, 4}, gen);
  ConvParams p;
  p.kH = p.kW = 3;
  p.dilationH = p.dilationW = 5000;
  p.padding = Padding::Same;
  ConvLayer layer("c", "Conv2D", p, 1, kernel, Tensor(), ActivationFunction(), {});
  EXPECT_EQ(layer.prepare(floatInput({2, 3, 2})).kernel, "f32_conv2d_reference");
  p.dilationH = p.dilationW = 2;
  ConvLayer small("c", "Conv2D", p, 1, kernel, Tensor(), ActivationFunction(), {});
  EXPECT_EQ(small.prepare(floatInput({2, 3, 2})).kernel.rfind("f32_conv2d_igemm_4x8_", 0), 0u);
}

qkw::Json node(const std::string& name, const std::string& cls, qkw::Json config,
                    std::vector<std::string> inbound) {
  qkw::Json e = {{"name", name}, {"className", cls}, {"config", config}, {"inbound", qkw::Json::array()}};
  for (const auto& in : inbound) e["inbound"].push_back({in, 0, 0, qkw::Json::object()});
  return e;
}

// in (h, w, 5) -> QConv2D(11, 3x3, stride s, activation) [-> QActivation(activation) when split].
std::unique_ptr<Model> convModel(int h, int w, int stride, const std::string& activation, bool split) {
  std::vector<qkw::Json> layers = {
      node("in", "InputLayer", {{"batch_input_shape", {nullptr, h, w, 5}}, {"name", "in"}}, {})};
  qkw::Json conv = {{"filters", 11}, {"kernel_size", {3, 3}}, {"strides", {stride, stride}}, {"padding", "same"},
                         {"kernel_quantizer", "quantized_bits(4,0,1,alpha=1)"}};
  if (!split) conv["activation"] = activation;
  layers.push_back(node("c", "QConv2D", conv, {"in"}));
  std::string last = "c";
  if (split) {
    layers.push_back(node("a", "QActivation", {{"activation", activation}}, {"c"}));
    last = "a";
  }
  qkw::Json graph = {{"name", "m"}, {"layers", layers}, {"inputs", {{"in", 0, 0}}}, {"outputs", {{last, 0, 0}}}};
  std::mt19937 gen(7);
  std::normal_distribution<float> d(0.0f, 0.5f);
  std::vector<float> kernel(3 * 3 * 5 * 11), bias(11);
  for (float& v : kernel) v = d(gen);
  for (float& v : bias) v = d(gen);
  std::map<std::string, std::vector<WeightInput>> weights;
  weights["c"] = {weight("kernel", {3, 3, 5, 11}, kernel), weight("bias", {11}, bias, 1)};
  ModelOptions options;
  options.fuseElementwise = false;
  return Model::build(graph, std::move(weights), options);
}

// The conv's own activation runs per chunk of 64 output pixels inside the kernel: same bits as
// the activation applied afterwards to the whole tensor, over several chunks, a partial last
// chunk, batch 2, and NaN / infinite inputs.
TEST(FloatConvLayer, ActivationInTheKernelEpilogueMatchesASeparateLayer) {
  for (const std::string activation : {"quantized_relu(4,0)", "quantized_bits(6,2,1,alpha=1)", "relu"})
    for (int stride : {1, 2}) {
      SCOPED_TRACE(activation + " stride " + std::to_string(stride));
      auto fused = convModel(17, 13, stride, activation, false);
      auto split = convModel(17, 13, stride, activation, true);
      EXPECT_EQ(fused->layers()[1].kernel.rfind("f32_conv2d_igemm_4x8_", 0), 0u) << fused->layers()[1].kernel;
      std::mt19937 gen(5);
      Tensor x = randomTensor({2, 17, 13, 5}, gen);
      x.data[40] = std::numeric_limits<float>::quiet_NaN();
      x.data[900] = std::numeric_limits<float>::infinity();
      x.data[1500] = -std::numeric_limits<float>::infinity();
      const Tensor a = fused->predict({x})[0], b = split->predict({x})[0];
      EXPECT_TRUE(sameBits(a, b));
      EXPECT_TRUE(sameBits(fused->predict({x})[0], b));  // a second run reuses every buffer
    }
}

}  // namespace
}  // namespace qkw
