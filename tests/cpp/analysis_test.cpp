// Static quantization analysis (src/graph/analysis.h) on hand-built models, checked against the
// values the models really produce (tensor_stats onGrid) where the analysis claims a grid.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "graph/analysis.h"
#include "graph/model.h"
#include "graph/tensor_stats.h"

namespace qkw {
namespace {

// The analysis, computed afresh; build() keeps the one it chose the kernels with
// (Model::builtAnalysis, served by analyze() and trace()): both must be the same.
std::vector<TensorAnalysis> analyzedAndBuilt(const Model& model) {
  std::vector<TensorAnalysis> fresh = analyzeModel(model);
  EXPECT_NE(model.builtAnalysis(), nullptr);
  if (model.builtAnalysis()) EXPECT_EQ(toJson(*model.builtAnalysis()).dump(), toJson(fresh).dump());
  return fresh;
}

using json = qkw::Json;

// A sequential graph in the normalized format of model.h.
class GraphBuilder {
 public:
  explicit GraphBuilder(const std::vector<int64_t>& inputShape) {
    json shape = json::array({nullptr});
    for (int64_t d : inputShape) shape.push_back(d);
    add("input_1", "InputLayer", {{"batch_input_shape", shape}}, false);
  }
  GraphBuilder& add(const std::string& name, const std::string& cls, json config, bool chained = true) {
    config["name"] = name;
    json layer = {{"name", name}, {"className", cls}, {"config", config}, {"inbound", json::array()}};
    if (chained) layer["inbound"].push_back({last_, 0, 0});
    layers_.push_back(layer);
    last_ = name;
    return *this;
  }
  GraphBuilder& merge(const std::string& name, const std::string& cls, const std::vector<std::string>& inputs,
                      json config = json::object()) {
    add(name, cls, std::move(config), false);
    for (const std::string& in : inputs) layers_.back()["inbound"].push_back({in, 0, 0});
    return *this;
  }
  GraphBuilder& weights(const std::string& role, Tensor t) {
    weights_[last_].push_back({role, static_cast<int>(weights_[last_].size()), std::move(t)});
    return *this;
  }
  json graph() const {
    return {{"name", "m"}, {"layers", layers_}, {"inputs", {{"input_1", 0, 0}}}, {"outputs", {{last_, 0, 0}}}};
  }
  std::unique_ptr<Model> build() const { return Model::build(graph(), weights_); }

 private:
  json layers_ = json::array();
  std::string last_;
  std::map<std::string, std::vector<WeightInput>> weights_;
};

Tensor filled(Shape shape, const std::vector<float>& values) {
  Tensor t(std::move(shape));
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = values[i % values.size()];
  return t;
}

const TensorAnalysis& find(const std::vector<TensorAnalysis>& all, const std::string& name) {
  for (const TensorAnalysis& a : all)
    if (a.name == name) return a;
  throw std::runtime_error("no analysis for " + name);
}

bool mentions(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

json bnWeightsFreeConfig() { return {{"axis", -1}, {"epsilon", 0.001}, {"center", true}, {"scale", true}}; }

void addBatchNorm(GraphBuilder& g, const std::string& name, int channels) {
  json cfg = bnWeightsFreeConfig();
  g.add(name, "QBatchNormalization", cfg)
      .weights("gamma", filled({channels}, {1.1f, 0.9f}))
      .weights("beta", filled({channels}, {0.1f, -0.2f}))
      .weights("moving_mean", filled({channels}, {0.3f, 0.5f}))
      .weights("moving_variance", filled({channels}, {0.7f, 1.3f}));
}

// The seed question's block: QConv2D(kernel quantized_bits(4,0,1), activation quantized_relu(4))
// -> QBatchNormalization -> MaxPooling2D -> Dropout -> Flatten -> QDense (no activation).
GraphBuilder userScenario(bool activationAfterBatchNorm) {
  GraphBuilder g({6, 6, 1});
  g.add("q_conv2d", "QConv2D",
        {{"filters", 2},
         {"kernel_size", {3, 3}},
         {"strides", {1, 1}},
         {"padding", "valid"},
         {"activation", "quantized_relu(4)"},
         {"use_bias", true},
         {"kernel_quantizer", "quantized_bits(4,0,1)"},
         {"bias_quantizer", "quantized_bits(4,0,1)"}})
      .weights("kernel", filled({3, 3, 1, 2}, {0.31f, -0.12f, 0.05f, 0.44f, -0.27f, 0.18f, 0.09f}))
      .weights("bias", filled({2}, {0.1f, -0.05f}));
  addBatchNorm(g, "q_batch_normalization", 2);
  if (activationAfterBatchNorm) g.add("q_activation", "QActivation", {{"activation", "quantized_relu(4)"}});
  g.add("max_pooling2d", "MaxPooling2D", {{"pool_size", {2, 2}}, {"strides", {2, 2}}, {"padding", "valid"}});
  g.add("dropout", "Dropout", {{"rate", 0.25}});
  g.add("flatten", "Flatten", json::object());
  g.add("q_dense", "QDense",
        {{"units", 3},
         {"activation", "linear"},
         {"use_bias", true},
         {"kernel_quantizer", "quantized_bits(4,0,1)"},
         {"bias_quantizer", "quantized_bits(4,0,1)"}})
      .weights("kernel", filled({8, 3}, {0.21f, -0.6f, 0.33f, 0.02f, -0.14f, 0.5f, 0.71f}))
      .weights("bias", filled({3}, {0.125f, -0.25f, 0.0f}));
  return g;
}

// Runs the model on random inputs and checks every tensor the analysis puts on a grid.
void expectObservedOnGrid(Model& model, const std::vector<TensorAnalysis>& analysis, const Shape& inputShape) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-1.5f, 1.5f);
  Shape shape = inputShape;
  shape.insert(shape.begin(), 4);
  Tensor x(shape);
  for (float& v : x.data) v = uniform(rng);
  int checked = 0;
  model.predict({x}, [&](size_t index, const Tensor& out, double) {
    const TensorAnalysis& a = analysis.at(index);
    TensorStats s = computeStats(out, &a);
    if (a.status == TensorAnalysis::Status::Float) {
      EXPECT_FALSE(s.onGrid.has_value()) << a.name;
      return;
    }
    ASSERT_TRUE(s.onGrid.has_value()) << a.name;
    EXPECT_TRUE(*s.onGrid) << a.name << ": " << s.offGridCount << " off-grid values, first "
                           << (s.offGridExamples.empty() ? 0.0f : s.offGridExamples[0]) << "; " << a.reason;
    ++checked;
  });
  EXPECT_GT(checked, 0);
}

TEST(AnalysisTest, UserScenarioOnlyTheConvOutputIsQuantized) {
  GraphBuilder g = userScenario(false);
  auto model = g.build();
  const json graph = g.graph();
  std::vector<TensorAnalysis> all = analyzedAndBuilt(*model);
  ASSERT_EQ(all.size(), 7u);

  const TensorAnalysis& input = find(all, "input_1");
  EXPECT_EQ(input.status, TensorAnalysis::Status::Float);
  EXPECT_TRUE(mentions(input.reason, "model input")) << input.reason;

  const TensorAnalysis& conv = find(all, "q_conv2d");
  EXPECT_EQ(conv.status, TensorAnalysis::Status::Quantized);
  ASSERT_TRUE(conv.quantizer.has_value());
  EXPECT_TRUE(mentions(*conv.quantizer, "quantized_relu")) << *conv.quantizer;
  ASSERT_TRUE(conv.grid.has_value());
  EXPECT_EQ(conv.grid->step, 1.0 / 16);
  EXPECT_EQ(conv.grid->min, 0.0);
  EXPECT_EQ(conv.grid->max, 15.0 / 16);
  EXPECT_EQ(conv.grid->bits, 4);
  EXPECT_FALSE(conv.grid->isSigned);
  EXPECT_FALSE(conv.accumulatorBits.has_value());  // float input: no integer accumulator
  EXPECT_TRUE(mentions(conv.reason, "1/16")) << conv.reason;

  const TensorAnalysis& bn = find(all, "q_batch_normalization");
  EXPECT_EQ(bn.status, TensorAnalysis::Status::Float);
  EXPECT_FALSE(bn.grid.has_value());
  EXPECT_TRUE(mentions(bn.reason, "QBatchNormalization has no output quantizer")) << bn.reason;
  EXPECT_TRUE(mentions(bn.reason, "gamma_quantizer")) << bn.reason;
  EXPECT_TRUE(mentions(bn.reason, "QActivation('quantized_relu(4)')")) << bn.reason;
  EXPECT_TRUE(mentions(bn.reason, "QConv2DBatchnorm")) << bn.reason;

  for (const char* name : {"max_pooling2d", "dropout", "flatten"}) {
    const TensorAnalysis& a = find(all, name);
    EXPECT_EQ(a.status, TensorAnalysis::Status::Float) << name;
    EXPECT_TRUE(mentions(a.reason, "is float")) << a.reason;
  }
  EXPECT_TRUE(mentions(find(all, "max_pooling2d").reason, "'q_batch_normalization'"));

  const TensorAnalysis& dense = find(all, "q_dense");
  EXPECT_EQ(dense.status, TensorAnalysis::Status::Float);
  EXPECT_TRUE(mentions(dense.reason, "QDense has no activation quantizer")) << dense.reason;
  EXPECT_TRUE(mentions(dense.reason, "raw dot product plus bias")) << dense.reason;
  EXPECT_TRUE(mentions(dense.reason, "QActivation")) << dense.reason;

  expectObservedOnGrid(*model, all, {6, 6, 1});
}

TEST(AnalysisTest, UserScenarioWithQActivationAfterBatchNormIsQuantizedThroughout) {
  GraphBuilder g = userScenario(true);
  auto model = g.build();
  const json graph = g.graph();
  std::vector<TensorAnalysis> all = analyzedAndBuilt(*model);

  EXPECT_EQ(find(all, "q_batch_normalization").status, TensorAnalysis::Status::Float);
  const TensorAnalysis& act = find(all, "q_activation");
  EXPECT_EQ(act.status, TensorAnalysis::Status::Quantized);
  ASSERT_TRUE(act.grid.has_value());
  EXPECT_EQ(act.grid->step, 1.0 / 16);
  EXPECT_TRUE(mentions(act.reason, "QActivation quantized_relu(4")) << act.reason;

  for (const char* name : {"max_pooling2d", "dropout", "flatten"}) {
    const TensorAnalysis& a = find(all, name);
    EXPECT_EQ(a.status, TensorAnalysis::Status::Quantized) << name << ": " << a.reason;
    ASSERT_TRUE(a.grid.has_value()) << name;
    EXPECT_EQ(a.grid->step, 1.0 / 16) << name;
    EXPECT_EQ(a.source.value_or(""), "q_activation") << name;
  }

  // The auto_po2 kernel (per-unit power-of-two scales) times the 1/16 input plus the bias is
  // exact on a fine dyadic grid, but nothing quantizes it.
  const TensorAnalysis& dense = find(all, "q_dense");
  EXPECT_EQ(dense.status, TensorAnalysis::Status::Exact) << dense.reason;
  ASSERT_TRUE(dense.grid.has_value());
  EXPECT_TRUE(dense.accumulatorBits.has_value());
  EXPECT_TRUE(mentions(dense.reason, "no output quantizer")) << dense.reason;

  expectObservedOnGrid(*model, all, {6, 6, 1});
}

// QActivation('quantized_relu(4)') -> QDense(2, kernel/bias quantized_bits(4,0,1,alpha=1)).
// Hand computation (input grid k/16 in [0, 15/16], weights on k/8):
//   unit 0: w = [0.5, -0.25, 0.125, 0.875], b = 0.125: kernel step 1/8, bias step 1/8
//           step = min(1/16 * 1/8, 1/8) = 1/128; range [-0.25*15/16 + 1/8, 1.5*15/16 + 1/8] = [-7/64, 49/32]
//   unit 1: w = [-0.875, -0.875, 0, 0.25], b = -0.5: step 1/128;
//           range [-1.75*15/16 - 1/2, 0.25*15/16 - 1/2] = [-137/64, -17/64]
//   accumulator: max |bound| / step = 137/64 * 128 = 274 -> ceil(log2(275)) + 1 = 10 bits.
TEST(AnalysisTest, FixedPointDenseAfterQActivationIsExactWithHandComputedGrid) {
  GraphBuilder g({4});
  g.add("q_activation", "QActivation", {{"activation", "quantized_relu(4)"}});
  g.add("q_dense", "QDense",
        {{"units", 2},
         {"activation", "linear"},
         {"use_bias", true},
         {"kernel_quantizer", "quantized_bits(4,0,1,alpha=1)"},
         {"bias_quantizer", "quantized_bits(4,0,1,alpha=1)"}})
      .weights("kernel", Tensor({4, 2}, {0.5f, -0.875f, -0.25f, -0.875f, 0.125f, 0.0f, 0.875f, 0.25f}))
      .weights("bias", Tensor({2}, {0.125f, -0.5f}));
  auto model = g.build();
  const json graph = g.graph();
  std::vector<TensorAnalysis> all = analyzedAndBuilt(*model);
  const TensorAnalysis& dense = find(all, "q_dense");
  EXPECT_EQ(dense.status, TensorAnalysis::Status::Exact) << dense.reason;
  ASSERT_TRUE(dense.grid.has_value());
  EXPECT_EQ(dense.grid->step, 1.0 / 128);
  EXPECT_TRUE(dense.grid->steps.empty());
  EXPECT_EQ(dense.grid->min, -137.0 / 64);
  EXPECT_EQ(dense.grid->max, 49.0 / 32);
  EXPECT_TRUE(dense.grid->isSigned);
  EXPECT_EQ(dense.grid->bits, 10);
  EXPECT_EQ(dense.grid->integer, 2);
  ASSERT_TRUE(dense.accumulatorBits.has_value());
  EXPECT_EQ(*dense.accumulatorBits, 10);
  EXPECT_EQ(dense.source.value_or(""), "q_dense");

  json j = toJson(dense);
  EXPECT_EQ(j["status"], "exact");
  EXPECT_EQ(j["grid"]["step"].get<double>(), 1.0 / 128);
  EXPECT_EQ(j["accumulatorBits"], 10);
  EXPECT_TRUE(j["quantizer"].is_null());

  // The extreme inputs reach the hand-computed bounds of both units exactly.
  Tensor x({4, 4}, {0.0f, 0.9375f, 0.0f, 0.0f,         // unit 0 minimum
                    0.9375f, 0.0f, 0.9375f, 0.9375f,   // unit 0 maximum
                    0.9375f, 0.9375f, 0.0f, 0.0f,      // unit 1 minimum
                    0.0f, 0.0f, 0.0f, 0.9375f});       // unit 1 maximum
  std::vector<Tensor> y = model->predict({x});
  EXPECT_EQ(y[0].data[0], -7.0f / 64);
  EXPECT_EQ(y[0].data[2], 49.0f / 32);
  EXPECT_EQ(y[0].data[5], -137.0f / 64);
  EXPECT_EQ(y[0].data[7], -17.0f / 64);
  expectObservedOnGrid(*model, all, {4});
}

TEST(AnalysisTest, PerChannelStepsFromAutoPo2KernelAreReported) {
  GraphBuilder g({3});
  g.add("q_activation", "QActivation", {{"activation", "quantized_bits(4,0,keep_negative=False)"}});
  // Column scales differ by a factor 8: auto_po2 picks a different power of two per unit.
  g.add("q_dense", "QDense",
        {{"units", 2}, {"use_bias", false}, {"kernel_quantizer", "quantized_bits(4,0,1)"}})
      .weights("kernel", Tensor({3, 2}, {0.3f, -0.05f, -0.6f, 0.02f, 0.1f, 0.04f}));
  auto model = g.build();
  const json graph = g.graph();
  std::vector<TensorAnalysis> all = analyzedAndBuilt(*model);
  const TensorAnalysis& dense = find(all, "q_dense");
  ASSERT_EQ(dense.status, TensorAnalysis::Status::Exact) << dense.reason;
  ASSERT_EQ(dense.grid->steps.size(), 2u);
  EXPECT_NE(dense.grid->steps[0], dense.grid->steps[1]);
  EXPECT_EQ(dense.grid->step, std::min(dense.grid->steps[0], dense.grid->steps[1]));
  EXPECT_TRUE(toJson(dense)["grid"].contains("steps"));
  expectObservedOnGrid(*model, all, {3});
}

TEST(AnalysisTest, FloatActivationsAndKerasLayers) {
  GraphBuilder g({4});
  g.add("q_activation", "QActivation", {{"activation", "quantized_bits(8,0)"}});
  g.add("relu", "Activation", {{"activation", "relu"}});
  g.add("dense", "Dense", {{"units", 2}, {"activation", "linear"}, {"use_bias", true}})
      .weights("kernel", Tensor({4, 2}, {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f}))
      .weights("bias", Tensor({2}, {0.01f, 0.02f}));
  g.add("softmax", "Activation", {{"activation", "softmax"}});
  auto model = g.build();
  const json graph = g.graph();
  std::vector<TensorAnalysis> all = analyzedAndBuilt(*model);

  const TensorAnalysis& relu = find(all, "relu");
  EXPECT_EQ(relu.status, TensorAnalysis::Status::Quantized) << relu.reason;
  EXPECT_EQ(relu.grid->min, 0.0);
  EXPECT_EQ(relu.grid->max, 127.0 / 128);
  EXPECT_EQ(relu.grid->step, 1.0 / 128);

  const TensorAnalysis& dense = find(all, "dense");
  EXPECT_EQ(dense.status, TensorAnalysis::Status::Float);
  EXPECT_TRUE(mentions(dense.reason, "24-bit mantissa")) << dense.reason;
  EXPECT_TRUE(mentions(dense.reason, "Dense (Keras)")) << dense.reason;

  const TensorAnalysis& softmax = find(all, "softmax");
  EXPECT_EQ(softmax.status, TensorAnalysis::Status::Float);
  EXPECT_TRUE(mentions(softmax.reason, "softmax")) << softmax.reason;
  expectObservedOnGrid(*model, all, {4});
}

TEST(AnalysisTest, DataDependentActivationQuantizerHasNoFixedGrid) {
  GraphBuilder g({4});
  g.add("q_activation", "QActivation", {{"activation", "quantized_bits(4,0,1,alpha='auto_po2')"}});
  auto model = g.build();
  std::vector<TensorAnalysis> all = analyzedAndBuilt(*model);
  const TensorAnalysis& a = find(all, "q_activation");
  EXPECT_EQ(a.status, TensorAnalysis::Status::Quantized);
  EXPECT_FALSE(a.grid.has_value());
  EXPECT_TRUE(mentions(a.reason, "per-batch scale")) << a.reason;
  EXPECT_TRUE(toJson(a)["grid"].is_null());
}

TEST(AnalysisTest, KerasBatchNormalizationAndPooling) {
  GraphBuilder g({4, 4, 2});
  g.add("q_activation", "QActivation", {{"activation", "quantized_relu(4,2)"}});
  g.add("avg", "AveragePooling2D", {{"pool_size", {2, 2}}, {"strides", {2, 2}}, {"padding", "valid"}});
  g.add("avg3", "AveragePooling2D", {{"pool_size", {1, 2}}, {"strides", {1, 1}}, {"padding", "valid"}});
  g.add("bn", "BatchNormalization", bnWeightsFreeConfig())
      .weights("gamma", filled({2}, {1.0f}))
      .weights("beta", filled({2}, {0.0f}))
      .weights("moving_mean", filled({2}, {0.0f}))
      .weights("moving_variance", filled({2}, {1.0f}));
  auto model = g.build();
  const json graph = g.graph();
  std::vector<TensorAnalysis> all = analyzedAndBuilt(*model);
  const TensorAnalysis& avg = find(all, "avg");
  EXPECT_EQ(avg.status, TensorAnalysis::Status::Exact) << avg.reason;
  EXPECT_EQ(avg.grid->step, 1.0 / 16);  // 1/4 grid of quantized_relu(4,2), divided by 4
  EXPECT_EQ(avg.grid->max, 3.75);
  const TensorAnalysis& avg3 = find(all, "avg3");
  EXPECT_EQ(avg3.status, TensorAnalysis::Status::Exact) << avg3.reason;
  EXPECT_EQ(avg3.grid->step, 1.0 / 32);
  const TensorAnalysis& bn = find(all, "bn");
  EXPECT_EQ(bn.status, TensorAnalysis::Status::Float);
  EXPECT_TRUE(mentions(bn.reason, "BatchNormalization (Keras)")) << bn.reason;
  expectObservedOnGrid(*model, all, {4, 4, 2});
}

// Two quantized branches (k/8 in [-1, 7/8] and k/64 in [0, 63/64]) merged three ways.
TEST(AnalysisTest, MergesOfDyadicGrids) {
  GraphBuilder g({4});
  g.add("qa8", "QActivation", {{"activation", "quantized_bits(4,0)"}});
  g.merge("qa64", "QActivation", {"input_1"}, {{"activation", "quantized_relu(6,0)"}});
  g.merge("add", "Add", {"qa8", "qa64"});
  g.merge("sub", "Subtract", {"qa8", "qa64"});
  g.merge("concat", "Concatenate", {"qa8", "qa64"}, {{"axis", -1}});
  g.merge("same", "Maximum", {"qa8", "qa8"});
  g.merge("padded", "Concatenate", {"add", "sub", "concat", "same"}, {{"axis", -1}});
  auto model = g.build();
  const json graph = g.graph();
  std::vector<TensorAnalysis> all = analyzedAndBuilt(*model);
  const TensorAnalysis& add = find(all, "add");
  ASSERT_EQ(add.status, TensorAnalysis::Status::Exact) << add.reason;
  EXPECT_EQ(add.grid->step, 1.0 / 64);
  EXPECT_EQ(add.grid->min, -1.0);
  EXPECT_EQ(add.grid->max, 7.0 / 8 + 63.0 / 64);
  const TensorAnalysis& sub = find(all, "sub");
  ASSERT_EQ(sub.status, TensorAnalysis::Status::Exact) << sub.reason;
  EXPECT_EQ(sub.grid->min, -1.0 - 63.0 / 64);
  EXPECT_EQ(sub.grid->max, 7.0 / 8);
  const TensorAnalysis& concat = find(all, "concat");
  ASSERT_EQ(concat.status, TensorAnalysis::Status::Exact) << concat.reason;
  EXPECT_EQ(concat.grid->step, 1.0 / 64);
  EXPECT_EQ(concat.grid->max, 63.0 / 64);
  const TensorAnalysis& same = find(all, "same");
  EXPECT_EQ(same.status, TensorAnalysis::Status::Quantized) << same.reason;
  EXPECT_EQ(same.grid->step, 1.0 / 8);
  EXPECT_EQ(same.source.value_or(""), "qa8");
  expectObservedOnGrid(*model, all, {4});
}

// dyadicStep reads the lowest set bit from the double's bits; the definition it must match:
// normalize with frexp, shift out the trailing zeros one at a time.
double dyadicStepByShifting(double v) {
  int e = 0;
  const double f = std::frexp(std::fabs(v), &e);
  auto m = static_cast<uint64_t>(std::ldexp(f, 53));
  int trailing = 0;
  while ((m & 1u) == 0) m >>= 1, ++trailing;
  return std::ldexp(1.0, e - 53 + trailing);
}

TEST(AnalysisTest, DyadicStepMatchesItsDefinitionOnRandomDoubles) {
  std::mt19937_64 rng(7);
  int compared = 0;
  for (int i = 0; i < 200000; ++i) {
    uint64_t bits = rng();
    if (i % 4 == 0) bits &= ~(uint64_t{0x7ff} << 52);                    // subnormals
    if (i % 4 == 1) bits &= ~((uint64_t{1} << (rng() % 53)) - 1);          // many trailing zeros
    if (i % 4 == 2) bits = (rng() & 0x800fffff00000000ull) | (static_cast<uint64_t>(1023 + static_cast<int>(rng() % 60) - 30) << 52);  // float weights
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v) || v == 0) continue;
    ASSERT_EQ(dyadicStep(v), dyadicStepByShifting(v)) << std::hexfloat << v;
    ++compared;
  }
  EXPECT_GT(compared, 150000);
  EXPECT_EQ(dyadicStep(std::numeric_limits<double>::denorm_min()), std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(dyadicStep(-std::numeric_limits<double>::max()), std::ldexp(1.0, 1023 - 52));
}

TEST(AnalysisTest, BuildingBlocks) {
  EXPECT_EQ(dyadicStep(0.75), 0.25);
  EXPECT_EQ(dyadicStep(-6.0), 2.0);
  EXPECT_EQ(dyadicStep(1.0), 1.0);
  EXPECT_TRUE(std::isinf(dyadicStep(0.0)));
  EXPECT_TRUE(std::isnan(dyadicStep(NAN)));
  EXPECT_EQ(dyadicStep(static_cast<float>(0.1)), std::ldexp(1.0, -27));
  EXPECT_TRUE(isPowerOfTwo(0.0625));
  EXPECT_FALSE(isPowerOfTwo(0.75));
  EXPECT_EQ(formatStep(1.0 / 16), "1/16");
  EXPECT_EQ(formatStep(std::ldexp(1.0, -30)), "2^-30");
  EXPECT_EQ(formatStep(2.0), "2");

  GridSummary g = uniformGrid(1.0 / 8, -1.0, 7.0 / 8);  // quantized_bits(4,0)
  EXPECT_EQ(g.bits, 4);
  EXPECT_EQ(g.integer, 0);
  EXPECT_TRUE(g.isSigned);
  GridSummary u = uniformGrid(1.0 / 16, 0, 15.0 / 16);  // quantized_relu(4)
  EXPECT_EQ(u.bits, 4);
  EXPECT_EQ(u.integer, 0);

  // Conv-like kernel with two channels (last axis), input on k/4 in [-1, 3/4].
  Tensor kernel({2, 2}, {0.5f, 1.0f, -0.25f, 2.0f});
  Tensor bias({2}, {0.0f, 0.5f});
  AccumulatorBound b = boundLinear({&kernel, 2, 1}, &bias, 0.25, -1.0, 0.75, false);
  // ch0: 0.5*[-1,0.75] + -0.25*[-1,0.75] = [-0.5,0.375] + [-0.1875,0.25] = [-0.6875, 0.625], step 1/16
  EXPECT_EQ(b.lo[0], -0.6875);
  EXPECT_EQ(b.hi[0], 0.625);
  EXPECT_EQ(b.step[0], 1.0 / 16);
  // ch1: 1*[-1,0.75] + 2*[-1,0.75] + 0.5 = [-2.5, 2.75], step min(1/4, 1/2) = 1/4
  EXPECT_EQ(b.lo[1], -2.5);
  EXPECT_EQ(b.hi[1], 2.75);
  EXPECT_EQ(b.step[1], 0.25);
  // accumulator: ch0 0.6875*16 = 11 -> 4+1 = 5; ch1 2.75*4 = 11 -> 5
  EXPECT_EQ(b.accumulatorBits, 5);
  EXPECT_TRUE(b.fitsFloat32());

  // Transposed-conv layout: channel on axis rank-2 (innerStride = last dim).
  Tensor tk({2, 3}, {1.0f, 1.0f, 1.0f, 0.5f, 0.5f, 0.5f});  // (channels=2, in=3)
  AccumulatorBound t = boundLinear({&tk, 2, 3}, nullptr, 1.0, 0.0, 1.0, true);
  EXPECT_EQ(t.hi[0], 3.0);
  EXPECT_EQ(t.hi[1], 1.5);
  EXPECT_EQ(t.step[1], 0.5);
}

// Each rule reads its layer's own parameters (layers/*.cpp analyzeOutput), not the graph JSON:
// the analysis is the same with or without the graph, including the config-dependent rules.
TEST(AnalysisTest, RulesReadTheirLayersNotTheGraph) {
  GraphBuilder g({4, 4, 2});
  g.add("q_activation", "QActivation", {{"activation", "quantized_bits(4,0)"}});
  g.add("relu", "ReLU", {{"max_value", 0.5}});
  g.add("avg", "AveragePooling2D", {{"pool_size", {2, 2}}, {"padding", "valid"}});
  g.add("rescale", "Rescaling", {{"scale", 0.5}, {"offset", 0.25}});
  g.add("q_bn", "QBatchNormalization", {{"activation", "relu"}})
      .weights("gamma", filled({2}, {1.1f, 0.9f}))
      .weights("beta", filled({2}, {0.1f, -0.2f}))
      .weights("moving_mean", filled({2}, {0.3f, 0.5f}))
      .weights("moving_variance", filled({2}, {0.7f, 1.3f}));
  auto model = g.build();
  const json graph = g.graph();
  const std::vector<TensorAnalysis> all = analyzedAndBuilt(*model);
  EXPECT_EQ(toJson(all).dump(), toJson(analyzeModel(*model, &graph)).dump());

  const TensorAnalysis& relu = find(all, "relu");
  ASSERT_EQ(relu.status, TensorAnalysis::Status::Quantized) << relu.reason;
  EXPECT_EQ(relu.grid->min, 0.0);
  EXPECT_EQ(relu.grid->max, 0.5);  // max_value, on the 1/8 lattice
  const TensorAnalysis& avg = find(all, "avg");
  ASSERT_EQ(avg.status, TensorAnalysis::Status::Exact) << avg.reason;
  EXPECT_EQ(avg.grid->step, 1.0 / 32);
  const TensorAnalysis& rescale = find(all, "rescale");
  ASSERT_EQ(rescale.status, TensorAnalysis::Status::Exact) << rescale.reason;
  EXPECT_EQ(rescale.grid->step, 1.0 / 64);
  EXPECT_EQ(rescale.grid->min, 0.25);
  EXPECT_EQ(rescale.grid->max, 0.5);
  const TensorAnalysis& bn = find(all, "q_bn");
  EXPECT_EQ(bn.status, TensorAnalysis::Status::Float);
  EXPECT_TRUE(mentions(bn.reason, "activation='relu' argument is ignored")) << bn.reason;
  expectObservedOnGrid(*model, all, {4, 4, 2});
}

// A per-channel offset adds a different value per channel: not one tracked grid. A one-value
// list is the scalar broadcast.
TEST(AnalysisTest, RescalingPerChannelOffsetIsNotTracked) {
  GraphBuilder g({2});
  g.add("q_activation", "QActivation", {{"activation", "quantized_bits(4,0)"}});
  g.add("one", "Rescaling", {{"scale", {0.5}}});
  g.add("per_channel", "Rescaling", {{"scale", 1.0}, {"offset", {0.25, 0.5}}});
  auto model = g.build();
  const std::vector<TensorAnalysis> all = analyzedAndBuilt(*model);
  const TensorAnalysis& one = find(all, "one");
  ASSERT_EQ(one.status, TensorAnalysis::Status::Exact) << one.reason;
  EXPECT_EQ(one.grid->step, 1.0 / 16);
  const TensorAnalysis& perChannel = find(all, "per_channel");
  EXPECT_EQ(perChannel.status, TensorAnalysis::Status::Float);
  EXPECT_TRUE(mentions(perChannel.reason, "per-channel offset")) << perChannel.reason;
  expectObservedOnGrid(*model, all, {2});
}

// ReLU(threshold=-0.3) without max_value keeps the values in (-0.3, 0): the output grid reaches
// down to the smallest grid value above the threshold, not to 0.
TEST(AnalysisTest, ReluWithNegativeThresholdKeepsSmallNegatives) {
  GraphBuilder g({8});
  g.add("q_activation", "QActivation", {{"activation", "quantized_bits(4,0)"}});  // step 1/8 in [-1, 7/8]
  g.add("relu", "ReLU", {{"threshold", -0.3}, {"negative_slope", 0.0}, {"max_value", nullptr}});
  auto model = g.build();
  const std::vector<TensorAnalysis> all = analyzedAndBuilt(*model);
  const TensorAnalysis& relu = find(all, "relu");
  ASSERT_TRUE(relu.grid.has_value()) << relu.reason;
  EXPECT_EQ(relu.grid->min, -0.25);
  EXPECT_EQ(relu.grid->max, 0.875);
  EXPECT_EQ(relu.grid->step, 1.0 / 8);
  expectObservedOnGrid(*model, all, {8});
}

}  // namespace
}  // namespace qkw
