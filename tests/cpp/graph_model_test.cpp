// Model::build / predict: order, shapes, branches and merges, multi-input/-output, the arena,
// the observer and the errors.
#include <algorithm>
#include <set>

#include "graph/model.h"
#include "layer_test_helpers.h"

namespace qkw {
namespace {

using namespace layer_test;
using json = qkw::Json;

json layerEntry(const std::string& name, const std::string& cls, json config, std::vector<std::string> inbound) {
  json in = json::array();
  for (const auto& i : inbound) in.push_back({i, 0, 0, json::object()});
  return {{"name", name}, {"className", cls}, {"config", config}, {"inbound", in}};
}

json inputEntry(const std::string& name, Shape shape) {
  json s = json::array({nullptr});
  for (auto d : shape) s.push_back(d);
  return layerEntry(name, "InputLayer", {{"batch_input_shape", s}, {"name", name}}, {});
}

json refs(std::vector<std::string> names) {
  json r = json::array();
  for (const auto& n : names) r.push_back({n, 0, 0});
  return r;
}

json dense(int units, const std::string& activation = "linear") {
  return {{"units", units}, {"activation", activation}, {"use_bias", true}};
}

using WeightMap = std::map<std::string, std::vector<WeightInput>>;

WeightMap denseWeights(const std::string& name, Shape kernel, std::vector<float> k, std::vector<float> b) {
  const int64_t units = kernel[1];
  return {{name, {weight("kernel", kernel, std::move(k)), weight("bias", {units}, std::move(b), 1)}}};
}

void merge(WeightMap& into, WeightMap from) {
  for (auto& e : from) into[e.first] = std::move(e.second);
}

TEST(GraphModel, SequentialChainMatchesLayerByLayer) {
  json graph = {{"name", "m"},
                {"layers",
                 {inputEntry("in", {2}),
                  layerEntry("q_dense", "QDense",
                             {{"units", 2}, {"kernel_quantizer", "quantized_bits(4,0,1,alpha=1)"},
                              {"bias_quantizer", "quantized_bits(4,0,1,alpha=1)"}, {"activation", "linear"}},
                             {"in"}),
                  layerEntry("act", "QActivation", {{"activation", "quantized_relu(2,0)"}}, {"q_dense"}),
                  layerEntry("soft", "Activation", {{"activation", "softmax"}}, {"act"})}},
                {"inputs", refs({"in"})},
                {"outputs", refs({"soft"})}};
  WeightMap w = denseWeights("q_dense", {2, 2}, {0.3f, -0.9f, 0.05f, 0.6f}, {0.1f, -0.2f});
  auto model = Model::build(graph, w);
  ASSERT_EQ(model->layers().size(), 4u);
  EXPECT_EQ(model->layers()[1].className, "QDense");
  EXPECT_EQ(model->layers()[1].outputShape, (Shape{2}));
  EXPECT_EQ(model->layers()[1].outputQuantizer, nullptr);
  ASSERT_NE(model->layers()[2].outputQuantizer, nullptr);
  EXPECT_EQ(model->layers()[1].quantizers.size(), 2u);
  EXPECT_EQ(model->inputs()[0].shape, (Shape{2}));
  EXPECT_EQ(model->outputs()[0].name, "soft");

  std::vector<Tensor> traced;
  auto out = model->predict({Tensor({1, 2}, {1, 2})}, [&](size_t i, const Tensor& t, double ms) {
    EXPECT_EQ(i, traced.size());
    EXPECT_GE(ms, 0.0);
    traced.push_back(t);
  });
  ASSERT_EQ(traced.size(), 4u);
  EXPECT_EQ(traced[1].data, (std::vector<float>{0.375f, 0.125f}));
  EXPECT_EQ(traced[2].data, (std::vector<float>{0.5f, 0.0f}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape, (Shape{1, 2}));
  EXPECT_NEAR(out[0].data[0], 0.62245935f, 1e-6);
  EXPECT_EQ(out[0].data, traced[3].data);
  EXPECT_EQ(model->effectiveWeights().count("q_dense"), 1u);
}

TEST(GraphModel, BranchAndMergeInAnyFileOrder) {
  // in -> a (x*2), in -> b (x*3), add(a, b) -> relu. Listed with the merge before its inputs.
  json graph = {{"layers",
                 {layerEntry("add", "Add", json::object(), {"a", "b"}), inputEntry("in", {1}),
                  layerEntry("relu", "ReLU", json::object(), {"add"}), layerEntry("b", "Dense", dense(1), {"in"}),
                  layerEntry("a", "Dense", dense(1), {"in"})}},
                {"inputs", refs({"in"})},
                {"outputs", refs({"relu"})}};
  WeightMap w = denseWeights("a", {1, 1}, {2}, {0});
  merge(w, denseWeights("b", {1, 1}, {3}, {-1}));
  auto model = Model::build(graph, w);
  std::vector<std::string> order;
  for (const auto& l : model->layers()) order.push_back(l.name);
  EXPECT_EQ(order, (std::vector<std::string>{"in", "b", "a", "add", "relu"}));
  auto out = model->predict({Tensor({3, 1}, {1, -1, 0.5f})});
  EXPECT_EQ(out[0].data, (std::vector<float>{4, 0, 1.5f}));
}

TEST(GraphModel, MultiInputMultiOutput) {
  json graph = {{"layers",
                 {inputEntry("x", {2}), inputEntry("y", {1}),
                  layerEntry("cat", "Concatenate", {{"axis", -1}}, {"x", "y"}),
                  layerEntry("d", "Dense", dense(1), {"cat"}), layerEntry("r", "ReLU", json::object(), {"d"})}},
                {"inputs", refs({"y", "x"})},
                {"outputs", refs({"r", "d", "cat"})}};
  WeightMap w = denseWeights("d", {3, 1}, {1, 10, 100}, {0});
  auto model = Model::build(graph, w);
  ASSERT_EQ(model->inputs().size(), 2u);
  EXPECT_EQ(model->inputs()[0].name, "y");
  EXPECT_EQ(model->outputs()[2].shape, (Shape{3}));
  auto out = model->predict({Tensor({2, 1}, {-1, 1}), Tensor({2, 2}, {1, 2, 3, 4})});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].data, (std::vector<float>{-79, 143}));
  EXPECT_EQ(out[0].data, (std::vector<float>{0, 143}));
  EXPECT_EQ(out[2].data, (std::vector<float>{1, 2, -1, 3, 4, 1}));
}

json longChain(int n) {
  json layers = json::array({inputEntry("in", {4})});
  std::string prev = "in";
  for (int i = 0; i < n; ++i) {
    std::string name = "d" + std::to_string(i);
    layers.push_back(layerEntry(name, "Dense", dense(4 + (i % 3), "relu"), {prev}));
    prev = name;
  }
  return {{"layers", layers}, {"inputs", refs({"in"})}, {"outputs", refs({prev})}};
}

WeightMap longChainWeights(int n) {
  WeightMap w;
  int64_t in = 4;
  for (int i = 0; i < n; ++i) {
    const int64_t units = 4 + (i % 3);
    std::vector<float> k(static_cast<size_t>(in * units));
    for (size_t j = 0; j < k.size(); ++j) k[j] = static_cast<float>((j % 5)) * 0.25f - 0.25f;
    merge(w, denseWeights("d" + std::to_string(i), {in, units}, k, std::vector<float>(units, 0.125f)));
    in = units;
  }
  return w;
}

TEST(GraphModel, ArenaReusesBuffersAndDoesNotReallocate) {
  const int n = 8;
  auto model = Model::build(longChain(n), longChainWeights(n));
  // A chain needs two alternating buffers plus the pinned output.
  EXPECT_LE(model->arenaStats().buffers, 3u);
  std::vector<const float*> first, second;
  Tensor x({2, 4}, {1, 2, 3, 4, -1, 0.5f, 2, 0});
  auto a = model->predict({x}, [&](size_t, const Tensor& t, double) { first.push_back(t.data.data()); });
  auto b = model->predict({x}, [&](size_t, const Tensor& t, double) { second.push_back(t.data.data()); });
  EXPECT_EQ(first, second);
  EXPECT_EQ(a[0].data, b[0].data);
  EXPECT_EQ(model->arenaStats().allocations, 1u);
  std::set<const float*> distinct(first.begin(), first.end());
  EXPECT_LE(distinct.size(), 3u);
  // A smaller batch fits; a larger one re-plans once.
  model->predict({Tensor({1, 4}, {1, 2, 3, 4})});
  EXPECT_EQ(model->arenaStats().allocations, 1u);
  auto big = model->predict({Tensor({5, 4}, std::vector<float>(20, 1.0f))});
  EXPECT_EQ(model->arenaStats().allocations, 2u);
  EXPECT_EQ(model->arenaStats().plannedBatch, 5);
  // Batch rows are independent: row 0 of the batch-2 run equals a batch-1 run of that row.
  auto single = model->predict({Tensor({1, 4}, {1, 2, 3, 4})});
  ASSERT_EQ(single[0].data.size() * 2, a[0].data.size());
  for (size_t i = 0; i < single[0].data.size(); ++i) EXPECT_EQ(single[0].data[i], a[0].data[i]);
}

TEST(GraphModel, BranchValuesStayAliveUntilTheirLastConsumer) {
  // in -> a -> b -> c, and add(a, c): a's buffer must not be reused by b or c.
  json graph = {{"layers",
                 {inputEntry("in", {1}), layerEntry("a", "Dense", dense(1), {"in"}), layerEntry("b", "Dense", dense(1), {"a"}),
                  layerEntry("c", "Dense", dense(1), {"b"}), layerEntry("add", "Add", json::object(), {"a", "c"})}},
                {"outputs", refs({"add"})}};
  WeightMap w = denseWeights("a", {1, 1}, {2}, {0});
  merge(w, denseWeights("b", {1, 1}, {3}, {0}));
  merge(w, denseWeights("c", {1, 1}, {5}, {0}));
  auto model = Model::build(graph, w);
  EXPECT_EQ(model->predict({Tensor({1, 1}, {1})})[0].data, (std::vector<float>{2 + 30}));
}

TEST(GraphModel, RejectsEveryUnsupportedLayerAndQuantizerInOneError) {
  json graph = {{"layers",
                 {inputEntry("in", {3}),
                  layerEntry("oct_1", "QOctaveConv2D", {{"filters", 2}}, {"in"}),
                  layerEntry("x", "Foo", json::object(), {"oct_1"}),
                  layerEntry("q_dense", "QDense",
                             {{"units", 1}, {"kernel_quantizer", "bernoulli()"}, {"activation", "linear"}}, {"x"})}},
                {"outputs", refs({"q_dense"})}};
  try {
    Model::build(graph, {});
    FAIL() << "expected Unsupported";
  } catch (const Unsupported& e) {
    EXPECT_EQ(std::string(e.what()),
              "unsupported: layer 'oct_1' (QOctaveConv2D), layer 'x' (Foo); quantizer 'bernoulli' in layer "
              "'q_dense.kernel_quantizer'");
  }
}

TEST(GraphModel, SharedLayersAreUnsupported) {
  json graph = {{"layers",
                 {inputEntry("in", {1}), layerEntry("d", "Dense", dense(1), {"in"}),
                  {{"name", "e"}, {"className", "ReLU"}, {"config", json::object()}, {"inbound", {{"d", 1, 0, json::object()}}}}}},
                {"outputs", refs({"e"})}};
  expectThrowsWith<Unsupported>([&] { Model::build(graph, denseWeights("d", {1, 1}, {1}, {0})); },
                                {"'d'", "shared"});
}

TEST(GraphModel, GraphErrorsNameTheLayer) {
  json unknown = {{"layers", {inputEntry("in", {1}), layerEntry("r", "ReLU", json::object(), {"nope"})}},
                  {"outputs", refs({"r"})}};
  expectThrowsWith([&] { Model::build(unknown, {}); }, {"'r'", "unknown inbound layer 'nope'"});
  json cycle = {{"layers",
                 {inputEntry("in", {1}), layerEntry("a", "Add", json::object(), {"in", "b"}),
                  layerEntry("b", "ReLU", json::object(), {"a"})}},
                {"outputs", refs({"b"})}};
  expectThrowsWith([&] { Model::build(cycle, {}); }, {"cycle", "'a'", "'b'"});
  json badShape = {{"layers", {inputEntry("in", {3}), layerEntry("d", "Dense", dense(1), {"in"})}},
                   {"outputs", refs({"d"})}};
  expectThrowsWith([&] { Model::build(badShape, denseWeights("d", {2, 1}, {1, 1}, {0})); }, {"'d'", "(3,)"});
  json missingWeights = badShape;
  expectThrowsWith([&] { Model::build(missingWeights, {}); }, {"'d'", "missing weight 'kernel'"});
}

TEST(GraphModel, WeightsTheConfigDoesNotUseAreErrorsUnlessIgnored) {
  json graph = {{"layers", {inputEntry("in", {2}), layerEntry("d", "Dense", dense(1), {"in"}),
                            layerEntry("r", "ReLU", json::object(), {"d"})}},
                {"inputs", refs({"in"})},
                {"outputs", refs({"r"})}};
  WeightMap extraRole = denseWeights("d", {2, 1}, {1, 1}, {0});
  extraRole["d"].push_back(weight("scale", {1}, {2.f}, 2));
  expectThrowsWith([&] { Model::build(graph, extraRole); }, {"'d'", "does not use", "'scale'"});
  WeightMap onRelu = denseWeights("d", {2, 1}, {1, 1}, {0});
  onRelu["r"] = {weight("kernel", {1}, {1.f})};
  expectThrowsWith([&] { Model::build(graph, onRelu); }, {"'r'", "does not use", "'kernel'"});
  ModelOptions lenient;
  lenient.ignoreExtraWeights = true;
  EXPECT_NO_THROW(Model::build(graph, extraRole, lenient));
  EXPECT_NO_THROW(Model::build(graph, onRelu, lenient));
}

// Layers listed in reverse order run in the same (topological) order as listed forwards.
TEST(GraphModel, ReverseListedChainRunsInTopologicalOrder) {
  json forward = longChain(300);
  json reversed = forward;
  std::reverse(reversed["layers"].begin(), reversed["layers"].end());
  auto a = Model::build(forward, longChainWeights(300));
  auto b = Model::build(reversed, longChainWeights(300));
  std::vector<std::string> orderA, orderB;
  for (const auto& l : a->layers()) orderA.push_back(l.name);
  for (const auto& l : b->layers()) orderB.push_back(l.name);
  EXPECT_EQ(orderA, orderB);
  Tensor x({1, 4}, {0.5f, -0.25f, 1.f, 2.f});
  EXPECT_EQ(a->predict({x})[0].data, b->predict({x})[0].data);
}

TEST(GraphModel, PredictChecksInputs) {
  auto model = Model::build(longChain(1), longChainWeights(1));
  expectThrowsWith([&] { model->predict({Tensor({1, 3}, {1, 2, 3})}); }, {"input 'in'", "(1, 3)"});
  expectThrowsWith([&] { model->predict({}); }, {"1 input"});
}

TEST(GraphModel, InputLayerAcceptsBatchShape) {
  json graph = {{"layers",
                 {layerEntry("in", "InputLayer", {{"batch_shape", {nullptr, 2, 2}}}, {}),
                  layerEntry("s", "Softmax", json::object(), {"in"})}},
                {"outputs", refs({"s"})}};
  auto model = Model::build(graph, {});
  EXPECT_EQ(model->inputs()[0].shape, (Shape{2, 2}));
  EXPECT_EQ(model->predict({Tensor({1, 2, 2}, {1, 1, 2, 2})})[0].data, (std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f}));
}

}  // namespace
}  // namespace qkw
