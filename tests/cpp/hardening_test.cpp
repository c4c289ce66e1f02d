// Issue 8 (untrusted model files): checked 64-bit sizes, limits checked before allocating,
// clear errors instead of wrapped sizes, and warnings for what QKeras silently does.
// Each test is the regression test of one finding; the Node twin (tests/js/hardening.test.js)
// also checks that another loaded model keeps its numbers.
#include <chrono>
#include <cmath>
#include <limits>

#include "core/limits.h"
#include "graph/model.h"
#include "graph/planner.h"
#include "layer_test_helpers.h"
#include "quant/quantizer_description.h"
#include "quant/spec_parser.h"

namespace qkw {
namespace {

using json = qkw::Json;
using layer_test::weight;
using WeightMap = std::map<std::string, std::vector<WeightInput>>;

json entry(const std::string& name, const std::string& cls, json config, std::vector<std::string> inbound) {
  json in = json::array();
  for (const auto& i : inbound) in.push_back({i, 0, 0, json::object()});
  config["name"] = name;
  return {{"name", name}, {"className", cls}, {"config", config}, {"inbound", in}};
}

json input(const std::string& name, Shape shape) {
  json s = json::array({nullptr});
  for (auto d : shape) s.push_back(d);
  return entry(name, "InputLayer", {{"batch_input_shape", s}}, {});
}

// in -> layer (one hidden layer of class `cls`).
json oneLayer(Shape inShape, const std::string& cls, json config) {
  return {{"name", "m"},
          {"layers", {input("in", inShape), entry("x", cls, config, {"in"})}},
          {"inputs", {{"in", 0, 0}}},
          {"outputs", {{"x", 0, 0}}}};
}

// Expects Model::build to throw a qkw::Error whose message contains every fragment.
void expectBuildError(const json& graph, WeightMap weights, const std::vector<std::string>& fragments,
                      const ModelOptions& options = {}) {
  try {
    Model::build(graph, std::move(weights), options);
    FAIL() << "expected an error containing '" << fragments.at(0) << "'";
  } catch (const Error& e) {
    for (const std::string& f : fragments) EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
  }
}

const std::string kTensorLimit = "over the limit maxTensorElements=268435456 (raise it with loadModel(..., { limits: { maxTensorElements } }))";

// ---- checked sizes and limits -------------------------------------------------------------

TEST(Hardening, NumElementsThrowsInsteadOfWrapping) {
  // 274177 * 67280421310721 = 2^64 + 1: wrapped to 1 before.
  EXPECT_THROW(numElements({274177, 67280421310721}), Error);
  EXPECT_THROW(numElements({-1, 4}), Error);
  EXPECT_EQ(numElements({3, 5}), 15);
}

TEST(Hardening, TensorConstructorRefusesSizesBeyondTheAddressSpace) {
  // On 64-bit hosts 2^62 floats overflow the byte count; on WASM anything past 2^30 does.
  EXPECT_THROW(Tensor(Shape{int64_t{1} << 31, int64_t{1} << 31}), Error);
  EXPECT_THROW(toSizeT(int64_t{1} << 62, sizeof(float), "x"), Error);
}

TEST(Hardening, Finding1ZeroPadding1DHugePaddingsAreRefusedNamingLayerAndLimit) {
  // Input(16,1) -> ZeroPadding1D((2^30, 2^31.5)): 4,294,967,297 elements narrowed to 32 bits.
  const json graph = oneLayer({16, 1}, "ZeroPadding1D", {{"padding", {1073741824, 3221225457LL}}});
  expectBuildError(graph, {}, {"layer 'x' (ZeroPadding1D): output would have 4294967297 elements per sample", kTensorLimit});
}

TEST(Hardening, Finding2ZeroPadding2DPadding2Pow40IsRefused) {
  const json graph = oneLayer({1, 1, 1}, "ZeroPadding2D", {{"padding", int64_t{1} << 40}});
  expectBuildError(graph, {}, {"layer 'x' (ZeroPadding2D): output would have", kTensorLimit});
}

TEST(Hardening, PaddingBeyond2Pow53IsRefusedBeforeAnyArithmetic) {
  const json graph = oneLayer({1, 1, 1}, "ZeroPadding2D", {{"padding", std::numeric_limits<int64_t>::max()}});
  expectBuildError(graph, {}, {"layer 'x' (ZeroPadding2D): config 'padding'", "over the largest supported size"});
  const json unsignedPad = oneLayer({1, 1, 1}, "ZeroPadding2D", {{"padding", std::numeric_limits<uint64_t>::max()}});
  expectBuildError(unsignedPad, {}, {"layer 'x' (ZeroPadding2D): config 'padding'", "out of the 64-bit integer range"});
}

TEST(Hardening, Finding2UpSampling2DSize65536IsRefused) {
  const json graph = oneLayer({1, 1, 1}, "UpSampling2D", {{"size", {65536, 65536}}});
  expectBuildError(graph, {}, {"layer 'x' (UpSampling2D): output would have 4294967296 elements per sample", kTensorLimit});
}

TEST(Hardening, Finding2Conv2DTransposeStrides65536IsRefused) {
  const json graph = oneLayer({1, 1, 1}, "Conv2DTranspose",
                              {{"filters", 1}, {"kernel_size", {1, 1}}, {"strides", {65536, 65536}}, {"use_bias", false}});
  WeightMap w{{"x", {weight("kernel", {1, 1, 1, 1}, {1.0f})}}};
  expectBuildError(graph, std::move(w), {"layer 'x' (Conv2DTranspose): output would have 4294967296 elements per sample", kTensorLimit});
}

TEST(Hardening, Finding2QuantizerRangeOf32BitsIsAClearError) {
  const QuantizerPtr q = makeQuantizer(json("quantized_bits(32,0,0)"), {});
  try {
    q->range();
    FAIL() << "range() of 2^32 values must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("range() would list 4294967296 values, over the limit of 1048576"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(makeQuantizer(json("quantized_bits(4,0,0)"), {})->range().size(), 16u);
  EXPECT_THROW(makeQuantizer(json("quantized_relu(30,0)"), {})->range(), Error);
  EXPECT_THROW(makeQuantizer(json("quantized_ulaw(30,0)"), {})->range(), Error);
}

TEST(Hardening, Finding4UnitsBeyondInt32AreAnErrorNotTruncated) {
  // 4294967360 = 2^32 + 64 used to load as 64 units.
  const json graph = oneLayer({2}, "Dense", {{"units", 4294967360LL}, {"activation", "linear"}});
  WeightMap w{{"x", {weight("kernel", {2, 64}, std::vector<float>(128, 0.5f)), weight("bias", {64}, std::vector<float>(64, 0.0f))}}};
  expectBuildError(graph, std::move(w), {"layer 'x' (Dense): config 'units' is 4294967360, out of the supported range"});
}

TEST(Hardening, Finding4PoolSize2Pow32Plus1IsAnErrorNotOne) {
  const json graph = oneLayer({4, 4, 1}, "MaxPooling2D", {{"pool_size", {4294967297LL, 4294967297LL}}});
  expectBuildError(graph, {}, {"layer 'x' (MaxPooling2D): config 'pool_size' is 4294967297, out of the supported range"});
}

TEST(Hardening, Finding4ReshapeWhoseProductWrapsIsRefused) {
  const json graph = oneLayer({1}, "Reshape", {{"target_shape", {274177, 67280421310721LL}}});
  expectBuildError(graph, {}, {"layer 'x' (Reshape)", "overflows 64 bits"});
}

TEST(Hardening, SeparableConvIntermediateResultIsBoundedLikeAnOutput) {
  // The depthwise result (4, 4, 1 * 100) is larger than the output (4, 4, 1).
  const json graph = oneLayer({4, 4, 1}, "SeparableConv2D",
                              {{"filters", 1}, {"kernel_size", {1, 1}}, {"depth_multiplier", 100}, {"use_bias", false}});
  WeightMap w{{"x", {weight("depthwise_kernel", {1, 1, 1, 100}, std::vector<float>(100, 0.5f)),
                     weight("pointwise_kernel", {1, 1, 100, 1}, std::vector<float>(100, 0.25f))}}};
  ModelOptions options;
  options.limits.maxTensorElements = 1000;
  expectBuildError(graph, w, {"layer 'x' (SeparableConv2D): an intermediate result would have 1600 elements per sample",
                              "maxTensorElements=1000"}, options);
  options.limits.maxTensorElements = 1600;
  EXPECT_NO_THROW(Model::build(graph, w, options));
}

TEST(Hardening, LimitsCanBeRaisedThroughOptions) {
  const json graph = oneLayer({4, 1}, "UpSampling1D", {{"size", 8}});  // 32 elements per sample
  ModelOptions tight;
  tight.limits.maxTensorElements = 16;
  expectBuildError(graph, {}, {"output would have 32 elements per sample", "maxTensorElements=16"}, tight);
  EXPECT_NO_THROW(Model::build(graph, {}));
  const ModelOptions raised = modelOptionsFromJson(json::parse(R"({"limits": {"maxTensorElements": 32}, "internalSigmoid": "hard"})"));
  EXPECT_EQ(raised.limits.maxTensorElements, 32);
  EXPECT_NO_THROW(Model::build(graph, {}, raised));
}

TEST(Hardening, LimitsOptionsAreValidated) {
  EXPECT_THROW(limitsFromJson(json::parse(R"({"maxTensorElementz": 5})")), Error);
  EXPECT_THROW(limitsFromJson(json::parse(R"({"maxTensorElements": 0})")), Error);
  EXPECT_THROW(limitsFromJson(json::parse(R"({"maxTensorElements": 2.5})")), Error);
  EXPECT_THROW(limitsFromJson(json::parse(R"({"maxTensorElements": "9"})")), Error);
  EXPECT_THROW(limitsFromJson(json::parse(R"({"maxTensorElements": 1e300})")), Error);
  EXPECT_THROW(modelOptionsFromJson(json::parse(R"({"limits": 5})")), Error);
}

TEST(Hardening, WeightLimitsAreCheckedBeforeTheLayersBuild) {
  const json graph = oneLayer({2}, "Dense", {{"units", 2}, {"activation", "linear"}});
  ModelOptions options;
  options.limits.maxWeightBytes = 16;
  WeightMap w{{"x", {weight("kernel", {2, 2}, {1, 2, 3, 4}), weight("bias", {2}, {0, 0})}}};
  expectBuildError(graph, w, {"layer 'x': weight 'bias'", "maxWeightBytes=16"}, options);
  options = {};
  options.limits.maxTensorElements = 3;
  expectBuildError(graph, w, {"layer 'x': weight 'kernel' has 4 elements", "maxTensorElements=3"}, options);
}

TEST(Hardening, LayerCountAndConfigDepthLimits) {
  ModelOptions options;
  options.limits.maxLayers = 1;
  expectBuildError(oneLayer({2}, "Dropout", {{"rate", 0.5}}), {}, {"2 layers, over the limit maxLayers=1"}, options);
  std::string deep(100, '[');
  deep += std::string(100, ']');
  try {
    parseJsonWithDepthLimit(deep, 64, "model graph");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model graph: JSON nested deeper than the limit maxConfigDepth=64"), std::string::npos);
  }
  EXPECT_NO_THROW(parseJsonWithDepthLimit(deep, 101, "model graph"));
  // A million levels: no stack overflow (the parser is iterative and stops at the limit).
  EXPECT_THROW(parseJsonWithDepthLimit(std::string(1000000, '['), 64, "g"), Error);
}

TEST(Hardening, ArenaOverTheByteLimitFailsBeforeAllocatingAndTheModelStillWorks) {
  const json graph = oneLayer({4}, "Dropout", {{"rate", 0.5}});
  ModelOptions options;
  options.limits.maxArenaBytes = 2 * 4 * 4 * 10;  // 10 samples: the input and the output buffer of 4 floats
  auto model = Model::build(graph, {}, options);
  Tensor small({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(model->predict({small})[0].data, small.data);
  Tensor big({11, 4});
  try {
    model->predict({big});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("predict: a batch of 11 needs 352 bytes of activations, over the limit maxArenaBytes=320"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(model->predict({small})[0].data, small.data);
  EXPECT_EQ(model->arenaStats().allocations, 1u);
}

TEST(Hardening, ReverseOrderedGraphsOrderInLinearithmicTime) {
  // 20,000 layers listed in reverse order took 27 s with the rescanning topological sort.
  const int n = 20000;
  json layers = json::array();
  for (int i = n - 1; i >= 1; --i)
    layers.push_back(entry("d" + std::to_string(i), "Dropout", {{"rate", 0.1}}, {i == 1 ? "in" : "d" + std::to_string(i - 1)}));
  layers.push_back(input("in", {2}));
  const json graph = {{"name", "m"}, {"layers", layers}, {"inputs", {{"in", 0, 0}}}, {"outputs", {{"d" + std::to_string(n - 1), 0, 0}}}};
  const auto start = std::chrono::steady_clock::now();
  auto model = Model::build(graph, {});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(model->layers().size(), static_cast<size_t>(n));
  EXPECT_EQ(model->layers().front().name, "in");
  EXPECT_EQ(model->layers()[1].name, "d1");
  EXPECT_EQ(model->layers().back().name, "d" + std::to_string(n - 1));
  EXPECT_LT(seconds, 10.0);  // generous: shared CI cores; the quadratic sort took minutes under ASan
}

// ---- warnings for QKeras's silent surprises -------------------------------------------------

std::vector<ModelWarning> warningsOf(const json& graph, WeightMap weights) {
  return Model::build(graph, std::move(weights))->warnings();
}

WeightMap denseWeights(float first = 0.5f) {
  return {{"x", {weight("kernel", {2, 2}, {first, 0.25f, -0.5f, 1.0f}), weight("bias", {2}, {0.0f, 0.0f})}}};
}

TEST(Hardening, WarnsWhenQKerasParserDropsAllArgumentsOfANestedString) {
  const json graph = oneLayer({2}, "QDense",
                              {{"units", 2}, {"kernel_quantizer", "quantized_bits(4,0,1,alpha=foo(1))"}, {"activation", "linear"}});
  const auto warnings = warningsOf(graph, denseWeights());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].layer, "x");
  EXPECT_EQ(warnings[0].code, "quantizer-string");
  EXPECT_NE(warnings[0].message.find("QKeras reads 'quantized_bits(4,0,1,alpha=foo(1))' as quantized_bits() with all defaults"),
            std::string::npos)
      << warnings[0].message;
}

TEST(Hardening, WarnsOnUnquotedStringArguments) {
  const ParsedQuantizerString p = parseQuantizerString("quantized_bits(4,alpha=auto)");
  ASSERT_EQ(p.surprises.size(), 1u);
  EXPECT_NE(p.surprises[0].find("as the string 'ut'"), std::string::npos) << p.surprises[0];
  EXPECT_TRUE(parseQuantizerString("quantized_bits(4,0,1,alpha='auto_po2')").surprises.empty());
  EXPECT_TRUE(parseQuantizerString("quantized_bits(4, 0, 1, alpha=1)").surprises.empty());
  EXPECT_TRUE(parseQuantizerString("quantized_relu").surprises.empty());
}

TEST(Hardening, NoWarningsForAnOrdinaryModel) {
  const json graph = oneLayer({2}, "QDense",
                              {{"units", 2}, {"kernel_quantizer", "quantized_bits(4,0,1,alpha=1)"}, {"activation", "linear"}});
  EXPECT_TRUE(warningsOf(graph, denseWeights()).empty());
}

TEST(Hardening, WarnsThatQBatchNormalizationIgnoresItsActivation) {
  const json graph = oneLayer({2}, "QBatchNormalization", {{"activation", "relu"}, {"scale", false}, {"center", false}});
  WeightMap w{{"x", {weight("moving_mean", {2}, {0, 0}), weight("moving_variance", {2}, {1, 1})}}};
  const auto warnings = warningsOf(graph, std::move(w));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].code, "ignored-setting");
  EXPECT_NE(warnings[0].message.find("QKeras ignores QBatchNormalization's activation \"relu\""), std::string::npos);
}

TEST(Hardening, WarnsOnNonFiniteWeightsNamingTheLayer) {
  const json graph = oneLayer({2}, "Dense", {{"units", 2}, {"activation", "linear"}});
  const auto warnings = warningsOf(graph, denseWeights(std::numeric_limits<float>::infinity()));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].layer, "x");
  EXPECT_EQ(warnings[0].code, "non-finite-weights");
  EXPECT_NE(warnings[0].message.find("weight 'kernel' holds 1 non-finite value"), std::string::npos) << warnings[0].message;
  EXPECT_TRUE(warningsOf(graph, denseWeights()).empty());
}

TEST(Hardening, WarnsOnDropoutRateOutsideZeroOne) {
  EXPECT_EQ(warningsOf(oneLayer({2}, "Dropout", {{"rate", 1.5}}), {}).size(), 1u);
  EXPECT_EQ(warningsOf(oneLayer({2}, "Dropout", {{"rate", 1.0}}), {}).at(0).code, "dropout-rate");
  EXPECT_EQ(warningsOf(oneLayer({2}, "Dropout", {{"rate", -0.1}}), {}).size(), 1u);
  EXPECT_TRUE(warningsOf(oneLayer({2}, "Dropout", {{"rate", 0.0}}), {}).empty());
  EXPECT_TRUE(warningsOf(oneLayer({2}, "Dropout", {{"rate", 0.99}}), {}).empty());
}

TEST(Hardening, NonFiniteQnoiseFactorIsAnError) {
  json options = json::object();
  options["qnoiseFactor"] = std::numeric_limits<double>::infinity();
  EXPECT_THROW(quantizerOptionsFromJson(options), Error);
  options["qnoiseFactor"] = std::nan("");
  EXPECT_THROW(quantizerOptionsFromJson(options), Error);
}

}  // namespace
}  // namespace qkw
