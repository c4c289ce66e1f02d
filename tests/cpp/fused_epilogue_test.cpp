// The fused elementwise epilogue (graph/model.cpp planElementwiseFusion): a conv followed by
// BatchNormalization, ReLU and QActivation predicts the same bits fused and unfused (fuse off),
// including a BN channel with negative gamma, one with zero variance (inv = +inf with epsilon 0),
// and NaN / infinite inputs; a value with two readers stops the chain.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "graph/model.h"
#include "layers/conv.h"
#include "layer_test_helpers.h"

namespace qkw {
namespace {

using layer_test::weight;

bool sameBits(const Tensor& a, const Tensor& b) {
  return a.data.size() == b.data.size() && std::memcmp(a.data.data(), b.data.data(), a.data.size() * 4) == 0;
}

nlohmann::json node(const std::string& name, const std::string& cls, nlohmann::json config,
                    std::vector<std::string> inbound) {
  nlohmann::json e = {{"name", name}, {"className", cls}, {"config", config}, {"inbound", nlohmann::json::array()}};
  for (const auto& in : inbound) e["inbound"].push_back({in, 0, 0, nlohmann::json::object()});
  return e;
}

constexpr int kC = 5;

// in (7, 7, 3) -> [QActivation] -> conv (5 filters) -> BN -> ReLU -> QActivation(quantized_relu(3,1)) -> out,
// and with `branch` a second output reading BN directly.
// hw: input height and width; convActivation: the conv's own activation= (none when empty).
std::unique_ptr<Model> build(bool quantizedInput, bool branch, bool fuse, bool integer, int hw = 7,
                             const std::string& convActivation = "") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<nlohmann::json> layers = {
      node("in", "InputLayer", {{"batch_input_shape", {nullptr, hw, hw, 3}}, {"name", "in"}}, {})};
  std::string prev = "in";
  if (quantizedInput) {
    layers.push_back(node("q", "QActivation", {{"activation", "quantized_bits(4,0,1,alpha=1)"}}, {"in"}));
    prev = "q";
  }
  layers.push_back(node("c", quantizedInput ? "QConv2D" : "Conv2D",
                        quantizedInput ? nlohmann::json{{"filters", kC}, {"kernel_size", {3, 3}}, {"padding", "same"},
                                                        {"kernel_quantizer", "quantized_bits(4,0,1,alpha=1)"},
                                                        {"bias_quantizer", "quantized_bits(8,3,1,alpha=1)"}}
                                       : nlohmann::json{{"filters", kC}, {"kernel_size", {3, 3}}, {"padding", "same"}},
                        {prev}));
  if (!convActivation.empty()) layers.back()["config"]["activation"] = convActivation;
  layers.push_back(node("bn", "BatchNormalization", {{"epsilon", 0.0}}, {"c"}));
  layers.push_back(node("r", "ReLU", nlohmann::json::object(), {"bn"}));
  layers.push_back(node("a", "QActivation", {{"activation", "quantized_relu(3,1)"}}, {"r"}));
  nlohmann::json outputs = {{"a", 0, 0}};
  if (branch) {
    layers.push_back(node("t", "Activation", {{"activation", "tanh"}}, {"bn"}));
    outputs.push_back({"t", 0, 0});
  }
  nlohmann::json graph = {{"name", "m"}, {"layers", layers}, {"inputs", {{"in", 0, 0}}}, {"outputs", outputs}};
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

// Outputs of several epilogue blocks (ConvLayer::kFusedBlockFloats; 37*37 rows of 5 channels is
// 3 blocks per image and a partial one, and 2 images), with the conv's own activation run per
// block when it reads each element alone (quantized_relu, relu) and over the whole tensor when
// not (sigmoid: TF's packet/scalar split depends on the position). Integer and float paths, and an
// input with a NaN (off every grid: the integer conv falls back to float for that call).
TEST(FusedEpilogue, BlockwiseEpilogueSameBitsAsUnfused) {
  constexpr int kHw = 37;
  static_assert(kHw * kHw * kC > 2 * ConvLayer::kFusedBlockFloats, "several blocks per image");
  for (const std::string act : {"", "quantized_relu(4,1)", "relu", "sigmoid"})
    for (bool integer : {true, false})
      for (bool offGrid : {false, true}) {
        SCOPED_TRACE(testing::Message() << "activation '" << act << "' integer " << integer << " offGrid " << offGrid);
        auto fused = build(true, false, true, integer, kHw, act);
        auto plain = build(true, false, false, integer, kHw, act);
        EXPECT_NE(fused->layers()[2].kernel.find("+bn+relu+quantized_relu"), std::string::npos);
        EXPECT_EQ(fused->layers()[2].kernel.find("qs") == 0, integer) << fused->layers()[2].kernel;
        Tensor x = input(false, kHw);
        if (offGrid) x.data[7] = std::numeric_limits<float>::quiet_NaN();  // the integer conv reads it: float path
        const Tensor a = fused->predict({x})[0], b = plain->predict({x})[0];
        EXPECT_TRUE(sameBits(a, b));
        size_t nonzero = 0;
        for (float v : b.data) nonzero += v != 0.0f;
        EXPECT_GT(nonzero, b.data.size() / 10);  // not vacuous: the chain's outputs vary
      }
}

TEST(FusedEpilogue, PositionDependentActivationsAreNotFused) {
  // tf.sigmoid / exp / log run Eigen's packet path on whole packets and the scalar one on the
  // tail: on a block of rows the tail differs, so such layers stay out of the chain.
  for (const std::string act : {"sigmoid", "elu", "softmax"}) {
    std::vector<nlohmann::json> layers = {
        node("in", "InputLayer", {{"batch_input_shape", {nullptr, 5, 5, 3}}, {"name", "in"}}, {}),
        node("c", "Conv2D", {{"filters", kC}, {"kernel_size", {3, 3}}}, {"in"}),
        node("a", "Activation", {{"activation", act}}, {"c"})};
    nlohmann::json graph = {{"name", "m"}, {"layers", layers}, {"inputs", {{"in", 0, 0}}}, {"outputs", {{"a", 0, 0}}}};
    std::map<std::string, std::vector<WeightInput>> weights;
    weights["c"] = {weight("kernel", {3, 3, 3, kC}, std::vector<float>(3 * 3 * 3 * kC, 0.25f))};
    auto m = Model::build(graph, std::move(weights), ModelOptions{});
    EXPECT_EQ(m->layers()[1].kernel.find('+'), std::string::npos) << act << ": " << m->layers()[1].kernel;
  }
}

// conv c1 -> BN -> QActivation -> integer conv c2: c1's epilogue converts each finished block into
// c2's input codes (ConvLayer::writeInputCodes) instead of c2 converting its whole input. Same
// bits as unfused, with c1 on the integer or float path, with NaN in the input (c1 falls back to
// float, and c2 reads what the quantizer makes of NaN), over several blocks and 2 images; and a
// trace in between (no handoff) agrees.
TEST(FusedEpilogue, IntegerCodesHandedToTheNextConv) {
  constexpr int kHw = 37;
  auto buildPair = [](bool quantizedInput, bool fuse, bool integer) {
    std::vector<nlohmann::json> layers = {
        node("in", "InputLayer", {{"batch_input_shape", {nullptr, kHw, kHw, 3}}, {"name", "in"}}, {})};
    std::string prev = "in";
    if (quantizedInput) {
      layers.push_back(node("q", "QActivation", {{"activation", "quantized_bits(4,0,1,alpha=1)"}}, {"in"}));
      prev = "q";
    }
    const nlohmann::json conv = {{"filters", kC}, {"kernel_size", {3, 3}}, {"padding", "same"},
                                 {"kernel_quantizer", "quantized_bits(4,0,1,alpha=1)"},
                                 {"bias_quantizer", "quantized_bits(8,3,1,alpha=1)"},
                                 {"activation", "quantized_relu(4,1)"}};
    layers.push_back(node("c1", "QConv2D", conv, {prev}));
    layers.push_back(node("bn", "BatchNormalization", {{"epsilon", 0.001}}, {"c1"}));
    layers.push_back(node("a", "QActivation", {{"activation", "quantized_relu(3,1)"}}, {"bn"}));
    layers.push_back(node("c2", "QConv2D", conv, {"a"}));
    nlohmann::json graph = {{"name", "m"}, {"layers", layers}, {"inputs", {{"in", 0, 0}}}, {"outputs", {{"c2", 0, 0}}}};
    std::mt19937 gen(17);
    std::normal_distribution<float> d(0.0f, 0.5f);
    auto values = [&](size_t n) {
      std::vector<float> v(n);
      for (float& e : v) e = d(gen);
      return v;
    };
    std::map<std::string, std::vector<WeightInput>> weights;
    weights["c1"] = {weight("kernel", {3, 3, 3, kC}, values(3 * 3 * 3 * kC)), weight("bias", {kC}, values(kC), 1)};
    weights["c2"] = {weight("kernel", {3, 3, kC, kC}, values(3 * 3 * kC * kC)), weight("bias", {kC}, values(kC), 1)};
    weights["bn"] = {weight("gamma", {kC}, {1.5f, -0.75f, 2.0f, 1.0f, 0.5f}),
                     weight("beta", {kC}, {0.1f, 0.9f, 0.0f, 0.3f, 0.2f}, 1),
                     weight("moving_mean", {kC}, {0.05f, 0.3f, 0.2f, 0.5f, 0.1f}, 2),
                     weight("moving_variance", {kC}, {0.5f, 2.0f, 0.25f, 0.1f, 1.0f}, 3)};
    ModelOptions options;
    options.fuseElementwise = fuse;
    options.integerKernels = integer;
    return Model::build(graph, std::move(weights), options);
  };
  for (bool quantizedInput : {true, false})
    for (bool nan : {false, true}) {
      SCOPED_TRACE(testing::Message() << "quantizedInput " << quantizedInput << " nan " << nan);
      auto fused = buildPair(quantizedInput, true, true);
      auto plain = buildPair(quantizedInput, false, true);
      auto floats = buildPair(quantizedInput, false, false);
      const size_t c1 = quantizedInput ? 2 : 1, c2 = c1 + 3;
      EXPECT_NE(fused->layers()[c1].kernel.find("+bn+quantized_relu+f32_to_qs16_codes"), std::string::npos)
          << fused->layers()[c1].kernel;
      EXPECT_EQ(fused->layers()[c2].kernel.find("qs"), 0u) << fused->layers()[c2].kernel;
      Tensor x = input(false, kHw);
      if (nan) x.data[100] = std::numeric_limits<float>::quiet_NaN();
      const Tensor expected = plain->predict({x})[0];
      EXPECT_TRUE(sameBits(fused->predict({x})[0], expected));
      EXPECT_TRUE(sameBits(floats->predict({x})[0], expected));
      std::vector<Tensor> traced(fused->layers().size());
      fused->predict({x}, [&](size_t i, const Tensor& t, double) { traced[i] = t; });
      EXPECT_TRUE(sameBits(traced.back(), expected));
      // A different input next: the codes are those of this call, not of the last one.
      Tensor y = input(false, kHw);
      std::reverse(y.data.begin(), y.data.end());
      EXPECT_TRUE(sameBits(fused->predict({y})[0], plain->predict({y})[0]));
      EXPECT_FALSE(sameBits(fused->predict({y})[0], expected));
      // One image of the batch alone gives that image's rows.
      Tensor one({1, kHw, kHw, 3});
      std::copy(x.data.begin() + one.size(), x.data.end(), one.data.begin());
      const Tensor single = fused->predict({one})[0];
      EXPECT_EQ(std::memcmp(single.data.data(), expected.data.data() + single.size(), single.size() * 4), 0);
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
