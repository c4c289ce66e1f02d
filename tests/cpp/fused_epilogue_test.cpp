// The fused elementwise epilogue (graph/model.cpp planElementwiseFusion): a conv followed by
// BatchNormalization, ReLU and QActivation predicts the same bits fused and unfused (fuse off),
// including a BN channel with negative gamma, one with zero variance (inv = +inf with epsilon 0),
// and NaN / infinite inputs; a value with two readers stops the chain.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "graph/model.h"
#include "layer_test_helpers.h"

namespace qkw {
namespace {

using layer_test::weight;

bool sameBits(const Tensor& a, const Tensor& b) {
  return a.data.size() == b.data.size() && std::memcmp(a.data.data(), b.data.data(), a.data.size() * 4) == 0;
}

qkw::Json node(const std::string& name, const std::string& cls, qkw::Json config,
                    std::vector<std::string> inbound) {
  qkw::Json e = {{"name", name}, {"className", cls}, {"config", config}, {"inbound", qkw::Json::array()}};
  for (const auto& in : inbound) e["inbound"].push_back({in, 0, 0, qkw::Json::object()});
  return e;
}

constexpr int kC = 5;
constexpr int kBigHw = 45;  // output rows over several fused epilogue chunks

// in (7, 7, 3) -> [QActivation] -> conv (5 filters) -> BN -> ReLU -> QActivation(quantized_relu(3,1)) -> out,
// and with `branch` a second output reading BN directly.
// hw: input height and width; convActivation: the conv's own activation= (none when empty).
std::unique_ptr<Model> build(bool quantizedInput, bool branch, bool fuse, bool integer, int hw = 7,
                             const std::string& convActivation = "") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<qkw::Json> layers = {
      node("in", "InputLayer", {{"batch_input_shape", {nullptr, hw, hw, 3}}, {"name", "in"}}, {})};
  std::string prev = "in";
  if (quantizedInput) {
    layers.push_back(node("q", "QActivation", {{"activation", "quantized_bits(4,0,1,alpha=1)"}}, {"in"}));
    prev = "q";
  }
  layers.push_back(node("c", quantizedInput ? "QConv2D" : "Conv2D",
                        quantizedInput ? qkw::Json{{"filters", kC}, {"kernel_size", {3, 3}}, {"padding", "same"},
                                                        {"kernel_quantizer", "quantized_bits(4,0,1,alpha=1)"},
                                                        {"bias_quantizer", "quantized_bits(8,3,1,alpha=1)"}}
                                       : qkw::Json{{"filters", kC}, {"kernel_size", {3, 3}}, {"padding", "same"}},
                        {prev}));
  if (!convActivation.empty()) layers.back()["config"]["activation"] = convActivation;
  layers.push_back(node("bn", "BatchNormalization", {{"epsilon", 0.0}}, {"c"}));
  layers.push_back(node("r", "ReLU", qkw::Json::object(), {"bn"}));
  layers.push_back(node("a", "QActivation", {{"activation", "quantized_relu(3,1)"}}, {"r"}));
  qkw::Json outputs = {{"a", 0, 0}};
  if (branch) {
    layers.push_back(node("t", "Activation", {{"activation", "tanh"}}, {"bn"}));
    outputs.push_back({"t", 0, 0});
  }
  qkw::Json graph = {{"name", "m"}, {"layers", layers}, {"inputs", {{"in", 0, 0}}}, {"outputs", outputs}};
  std::mt19937 gen(11);
  std::normal_distribution<float> d(0.0f, 0.5f);
  std::vector<float> kernel(3 * 3 * 3 * kC), bias(kC);
  for (float& v : kernel) v = d(gen);
  for (float& v : bias) v = d(gen);
  // gamma < 0 on channel 1, variance 0 on channels 2 (gamma > 0) and 3 (gamma < 0), NaN mean on 4.
  std::vector<float> gamma = {1.5f, -0.75f, 2.0f, -1.0f, 0.5f}, beta = {0.1f, -0.2f, 0.0f, 0.3f, 0.0f};
  std::vector<float> mean = {0.05f, -0.1f, 0.2f, 0.5f, nan}, variance = {0.5f, 2.0f, 0.0f, 0.0f, 1.0f};
  std::map<std::string, std::vector<WeightInput>> weights;
  weights["c"] = {weight("kernel", {3, 3, 3, kC}, kernel), weight("bias", {kC}, bias, 1)};
  weights["bn"] = {weight("gamma", {kC}, gamma), weight("beta", {kC}, beta, 1), weight("moving_mean", {kC}, mean, 2),
                   weight("moving_variance", {kC}, variance, 3)};
  ModelOptions options;
  options.fuseElementwise = fuse;
  options.integerKernels = integer;
  return Model::build(graph, std::move(weights), options);
}

Tensor input(bool specials, int hw = 7) {
  std::mt19937 gen(5);
  std::uniform_int_distribution<int> d(-8, 7);
  Tensor x({2, hw, hw, 3});
  for (float& v : x.data) v = d(gen) / 8.0f;  // on the 4-bit input grid: the integer path reads it
  if (specials) {
    x.data[10] = std::numeric_limits<float>::quiet_NaN();
    x.data[50] = std::numeric_limits<float>::infinity();
    x.data[200] = -std::numeric_limits<float>::infinity();
    x.data[201] = -0.0f;
  }
  return x;
}

TEST(FusedEpilogue, ConvBnReluQActivationSameBitsAsUnfused) {
  for (bool quantizedInput : {false, true})
    for (bool integer : {true, false})
      for (bool specials : {false, true}) {
        SCOPED_TRACE(testing::Message() << "quantizedInput " << quantizedInput << " integer " << integer
                                        << " specials " << specials);
        auto fused = build(quantizedInput, false, true, integer);
        auto plain = build(quantizedInput, false, false, integer);
        const size_t conv = quantizedInput ? 2 : 1;
        const std::string& k = fused->layers()[conv].kernel;
        EXPECT_NE(k.find("+bn+relu+quantized_relu"), std::string::npos) << k;
        EXPECT_EQ(k.substr(0, k.find('+')), plain->layers()[conv].kernel);
        EXPECT_NE(fused->layers()[conv + 1].kernelReason.find("fused into 'c'"), std::string::npos);
        const Tensor x = input(specials);
        const Tensor a = fused->predict({x})[0], b = plain->predict({x})[0];
        EXPECT_TRUE(sameBits(a, b));
        // A second run on the same model (buffers reused) and the trace (unfused) agree too.
        EXPECT_TRUE(sameBits(fused->predict({x})[0], b));
        std::vector<Tensor> traced(fused->layers().size());
        fused->predict({x}, [&](size_t i, const Tensor& t, double) { traced[i] = t; });
        EXPECT_TRUE(sameBits(traced.back(), b));
        // Not vacuous: BN's output holds NaN (the NaN mean) and +-inf (zero variance, epsilon 0).
        bool sawNaN = false, sawPosInf = false, sawNegInf = false;
        for (float v : traced[conv + 1].data) {
          sawNaN |= std::isnan(v);
          sawPosInf |= v == std::numeric_limits<float>::infinity();
          sawNegInf |= v == -std::numeric_limits<float>::infinity();
        }
        EXPECT_TRUE(sawNaN && sawPosInf && sawNegInf);
      }
}

// Outputs of several epilogue chunks (~16 KB: 45*45 rows of 5 channels is 2 chunks per image and
// a partial one, and 2 images), with the conv's own activation (per element or not), integer and
// float paths, and an input with a NaN (off every grid: the integer conv falls back to float).
TEST(FusedEpilogue, ChunkedEpilogueSameBitsAsUnfused) {
  static_assert(kBigHw * kBigHw * kC > 2 * 4096, "several chunks per image");
  for (const std::string act : {"", "quantized_relu(4,1)", "relu", "sigmoid"})
    for (bool integer : {true, false})
      for (bool offGrid : {false, true}) {
        SCOPED_TRACE(testing::Message() << "activation '" << act << "' integer " << integer << " offGrid " << offGrid);
        auto fused = build(true, false, true, integer, kBigHw, act);
        auto plain = build(true, false, false, integer, kBigHw, act);
        EXPECT_NE(fused->layers()[2].kernel.find("+bn+relu+quantized_relu"), std::string::npos);
        EXPECT_EQ(fused->layers()[2].kernel.find("qs") == 0, integer) << fused->layers()[2].kernel;
        Tensor x = input(false, kBigHw);
        if (offGrid) x.data[7] = std::numeric_limits<float>::quiet_NaN();  // the integer conv reads it: float path
        const Tensor a = fused->predict({x})[0], b = plain->predict({x})[0];
        EXPECT_TRUE(sameBits(a, b));
        size_t nonzero = 0;
        for (float v : b.data) nonzero += v != 0.0f;
        EXPECT_GT(nonzero, b.data.size() / 50);  // not vacuous: the chain's outputs vary
      }
}

TEST(FusedEpilogue, PositionDependentActivationsAreNotFused) {
  // tf.sigmoid / exp / log run Eigen's packet path on whole packets and the scalar one on the
  // tail: on a block of rows the tail differs, so such layers stay out of the chain.
  for (const std::string act : {"sigmoid", "elu", "softmax"}) {
    std::vector<qkw::Json> layers = {
        node("in", "InputLayer", {{"batch_input_shape", {nullptr, 5, 5, 3}}, {"name", "in"}}, {}),
        node("c", "Conv2D", {{"filters", kC}, {"kernel_size", {3, 3}}, {"use_bias", false}}, {"in"}),
        node("a", "Activation", {{"activation", act}}, {"c"})};
    qkw::Json graph = {{"name", "m"}, {"layers", layers}, {"inputs", {{"in", 0, 0}}}, {"outputs", {{"a", 0, 0}}}};
    std::map<std::string, std::vector<WeightInput>> weights;
    weights["c"] = {weight("kernel", {3, 3, 3, kC}, std::vector<float>(3 * 3 * 3 * kC, 0.25f))};
    auto m = Model::build(graph, std::move(weights), ModelOptions{});
    EXPECT_EQ(m->layers()[1].kernel.find('+'), std::string::npos) << act << ": " << m->layers()[1].kernel;
  }
}

TEST(FusedEpilogue, AValueWithTwoReadersEndsTheChain) {
  auto fused = build(false, true, true, true);
  auto plain = build(false, true, false, true);
  EXPECT_EQ(fused->layers()[1].kernel, plain->layers()[1].kernel + "+bn");
  EXPECT_TRUE(fused->layers()[3].kernelReason.empty());  // relu reads bn, which tanh reads too
  const Tensor x = input(true);
  const auto a = fused->predict({x}), b = plain->predict({x});
  ASSERT_EQ(a.size(), 2u);
  EXPECT_TRUE(sameBits(a[0], b[0]));
  EXPECT_TRUE(sameBits(a[1], b[1]));
}

}  // namespace
}  // namespace qkw
