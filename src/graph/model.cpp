// Model::build (parse the normalized graph, reject unsupported features in one error, build the
// layers, order them, infer shapes, plan the arena) and predict (run the plan).
#include "graph/model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "graph/analysis.h"
#include "graph/planner.h"
#include "quant/quantizer_description.h"

namespace qkw {

namespace {

using nlohmann::json;

struct LayerNode {
  std::string name;
  std::string className;
  json config;
  std::vector<std::string> inbound;
};

std::string inQuotes(const std::string& s) { return "'" + s + "'"; }

// A reference [layer, node, tensor(, kwargs)] as Keras writes it.
struct TensorRef {
  std::string layer;
  int64_t node = 0;
  int64_t tensor = 0;
};

TensorRef parseRef(const json& ref, const std::string& where) {
  TensorRef r;
  if (ref.is_string()) {
    r.layer = ref.get<std::string>();
    return r;
  }
  if (!ref.is_array() || ref.empty() || !ref[0].is_string())
    throw Error(where + ": expected [layer_name, node_index, tensor_index], got " + ref.dump());
  r.layer = ref[0].get<std::string>();
  if (ref.size() > 1 && ref[1].is_number_integer()) r.node = ref[1].get<int64_t>();
  if (ref.size() > 2 && ref[2].is_number_integer()) r.tensor = ref[2].get<int64_t>();
  return r;
}

// The class name a quantizer spec names ("quantized_bits(4,0)" or {"class_name": ...}).
std::string quantizerClassOf(const json& spec) {
  if (spec.is_string()) {
    std::string s = spec.get<std::string>();
    s = s.substr(0, s.find('('));
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
    return s;
  }
  if (spec.is_object() && spec.contains("class_name") && spec["class_name"].is_string())
    return spec["class_name"].get<std::string>();
  return "";
}

bool isQuantizerKey(const std::string& key) {
  return key == "activation" || key == "recurrent_activation" ||
         (key.size() > 10 && key.compare(key.size() - 10, 10, "_quantizer") == 0);
}

class GraphModel : public Model {
 public:
  const std::vector<TensorInfo>& inputs() const override { return inputs_; }
  const std::vector<TensorInfo>& outputs() const override { return outputs_; }
  const std::vector<LayerInfo>& layers() const override { return infos_; }
  const Layer& layer(size_t index) const override { return *layers_.at(index); }

  std::map<std::string, std::vector<WeightInput>> effectiveWeights() const override {
    std::map<std::string, std::vector<WeightInput>> all;
    for (const LayerPtr& l : layers_) {
      auto w = l->effectiveWeights();
      if (!w.empty()) all[l->name()] = std::move(w);
    }
    return all;
  }

  ArenaStats arenaStats() const override {
    ArenaStats s;
    s.buffers = arena_.bufferCount();
    s.elementsPerSample = arena_.totalElementsPerSample();
    s.plannedBatch = arena_.plannedBatch();
    s.allocations = arena_.reallocations();
    return s;
  }

  std::vector<Tensor> predict(const std::vector<Tensor>& inputs, const LayerObserver& observer) override;

  // Build steps, in order.
  void parse(const json& graph);
  void rejectUnsupported(const ModelOptions& options);
  void buildLayers(std::map<std::string, std::vector<WeightInput>>& weightsByLayer, const ModelOptions& options);
  void order();
  void inferShapes();
  void prepareLayers(const json& graph, const ModelOptions& options);
  void planElementwiseFusion(const ModelOptions& options);
  void plan();

 private:
  std::vector<LayerNode> nodes_;                 // model order
  std::map<std::string, size_t> nodeIndex_;
  std::vector<TensorRef> inputRefs_, outputRefs_;
  std::vector<std::string> structural_;          // shared layers and the like (unsupported)
  std::vector<LayerPtr> builtByNode_;            // model order

  // Execution order.
  std::vector<LayerPtr> layers_;
  std::vector<LayerInfo> infos_;
  std::vector<std::vector<size_t>> stepInputs_;  // producing steps
  std::vector<size_t> inputSteps_;               // model input k -> step of its InputLayer
  std::vector<size_t> outputSteps_;
  std::vector<TensorInfo> inputs_, outputs_;

  // Elementwise fusion (planElementwiseFusion): fusedChain_[p] lists the steps run in place on
  // step p's output right after p; fusedInto_[c] is that p for each of them (or npos).
  std::vector<std::vector<size_t>> fusedChain_;
  std::vector<size_t> fusedInto_;
  void runFusedChain(size_t producer, Tensor& output) const;

  ArenaPlan plan_;
  Arena arena_;
  std::vector<std::vector<const Tensor*>> stepInputTensors_;
  std::vector<Tensor*> stepOutputs_;
};

void GraphModel::parse(const json& graph) {
  if (!graph.is_object()) throw Error("model graph: expected a JSON object");
  if (!graph.contains("layers") || !graph["layers"].is_array() || graph["layers"].empty())
    throw Error("model graph: no 'layers' list");
  for (const json& entry : graph["layers"]) {
    LayerNode node;
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string())
      throw Error("model graph: a layer entry has no 'name': " + entry.dump().substr(0, 200));
    node.name = entry["name"].get<std::string>();
    const std::string where = "layer " + inQuotes(node.name);
    if (!entry.contains("className") || !entry["className"].is_string())
      throw Error(where + ": no 'className'");
    node.className = entry["className"].get<std::string>();
    node.config = entry.contains("config") && entry["config"].is_object() ? entry["config"] : json::object();
    if (nodeIndex_.count(node.name)) throw Error(where + " appears twice in the model");

    if (entry.contains("inbound") && entry["inbound"].is_array()) {
      const json* refs = &entry["inbound"];
      // Keras's nested form [[ref, ref], ...] has one list per call of the layer.
      if (!refs->empty() && (*refs)[0].is_array() && !(*refs)[0].empty() && (*refs)[0][0].is_array()) {
        if (refs->size() > 1)
          structural_.push_back("layer " + inQuotes(node.name) + " (" + node.className +
                                ") called more than once (shared layer)");
        refs = &(*refs)[0];
      }
      for (const json& r : *refs) {
        TensorRef ref = parseRef(r, where + " inbound");
        if (ref.node != 0)
          structural_.push_back("layer " + inQuotes(ref.layer) + " called more than once (shared layer; " +
                                inQuotes(node.name) + " uses call #" + std::to_string(ref.node) + ")");
        if (ref.tensor != 0)
          structural_.push_back("layer " + inQuotes(node.name) + " reading output #" + std::to_string(ref.tensor) +
                                " of " + inQuotes(ref.layer) + " (layers with several outputs)");
        node.inbound.push_back(ref.layer);
      }
    }
    nodeIndex_[node.name] = nodes_.size();
    nodes_.push_back(std::move(node));
  }

  for (const LayerNode& node : nodes_)
    for (const std::string& in : node.inbound)
      if (!nodeIndex_.count(in))
        throw Error("layer " + inQuotes(node.name) + " (" + node.className + "): unknown inbound layer " + inQuotes(in));

  auto refsOf = [&](const char* key) {
    std::vector<TensorRef> refs;
    if (!graph.contains(key)) return refs;
    if (!graph[key].is_array()) throw Error(std::string("model graph: '") + key + "' must be a list");
    for (const json& r : graph[key]) {
      TensorRef ref = parseRef(r, std::string("model ") + key);
      if (!nodeIndex_.count(ref.layer))
        throw Error(std::string("model ") + key + ": unknown layer " + inQuotes(ref.layer));
      if (ref.node != 0 || ref.tensor != 0)
        structural_.push_back(std::string("model ") + key + " reference " + r.dump() +
                              " (shared layers or layers with several outputs)");
      refs.push_back(ref);
    }
    return refs;
  };
  inputRefs_ = refsOf("inputs");
  outputRefs_ = refsOf("outputs");
  if (inputRefs_.empty())
    for (const LayerNode& node : nodes_)
      if (node.className == "InputLayer") inputRefs_.push_back({node.name, 0, 0});
  if (outputRefs_.empty()) throw Error("model graph: no 'outputs'");
  for (const TensorRef& r : inputRefs_)
    if (nodes_[nodeIndex_[r.layer]].className != "InputLayer")
      throw Error("model input " + inQuotes(r.layer) + " is a " + nodes_[nodeIndex_[r.layer]].className +
                  ", not an InputLayer");
  for (const LayerNode& node : nodes_) {
    if (node.className == "InputLayer" && !node.inbound.empty())
      throw Error("layer " + inQuotes(node.name) + " (InputLayer) has inbound layers");
    if (node.className != "InputLayer" && node.inbound.empty())
      throw Error("layer " + inQuotes(node.name) + " (" + node.className + ") has no inbound layer");
  }
}

void GraphModel::rejectUnsupported(const ModelOptions& options) {
  const LayerRegistry& registry = LayerRegistry::instance();
  std::vector<std::string> layers = structural_, quantizers;
  for (const LayerNode& node : nodes_) {
    if (!registry.find(node.className)) layers.push_back("layer " + inQuotes(node.name) + " (" + node.className + ")");
    // Every quantizer spec in the config, so that one message lists them all (also those of
    // layers that are unsupported themselves).
    for (auto it = node.config.begin(); it != node.config.end(); ++it) {
      if (!isQuantizerKey(it.key()) || it.value().is_null()) continue;
      const std::string cls = quantizerClassOf(it.value());
      if (cls.empty() || !isQuantizerName(cls)) continue;
      try {
        makeQuantizer(it.value(), options.quantizerOptions);
      } catch (const Unsupported&) {
        quantizers.push_back("quantizer " + inQuotes(cls) + " in layer " + inQuotes(node.name + "." + it.key()));
      } catch (const Error&) {
        // Malformed specs are reported by the layer's factory, with the layer named.
      }
    }
  }
  if (layers.empty() && quantizers.empty()) return;
  std::string msg = "unsupported: ";
  for (size_t i = 0; i < layers.size(); ++i) msg += (i ? ", " : "") + layers[i];
  if (!layers.empty() && !quantizers.empty()) msg += "; ";
  for (size_t i = 0; i < quantizers.size(); ++i) msg += (i ? ", " : "") + quantizers[i];
  throw Unsupported(msg);
}

void GraphModel::buildLayers(std::map<std::string, std::vector<WeightInput>>& weightsByLayer,
                             const ModelOptions& options) {
  const LayerRegistry& registry = LayerRegistry::instance();
  std::vector<std::string> unsupported;
  builtByNode_.resize(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const LayerNode& node = nodes_[i];
    LayerContext ctx{node.name, node.className, node.config, {}, options.quantizerOptions};
    auto w = weightsByLayer.find(node.name);
    if (w != weightsByLayer.end()) ctx.weights = std::move(w->second);
    try {
      builtByNode_[i] = (*registry.find(node.className))(ctx);
    } catch (const Unsupported& e) {
      unsupported.push_back(e.what());
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error(ctx.errorPrefix() + e.what());
    }
  }
  if (!unsupported.empty()) {
    std::string msg = "unsupported: ";
    for (size_t i = 0; i < unsupported.size(); ++i) msg += (i ? "; " : "") + unsupported[i];
    throw Unsupported(msg);
  }
}

void GraphModel::order() {
  const size_t n = nodes_.size();
  std::vector<bool> done(n, false);
  std::vector<size_t> stepOfNode(n, 0);
  std::vector<size_t> sequence;
  // Repeatedly take the first layer (model order) whose inputs have all run: a stable
  // topological order that keeps the file's order where the graph allows it.
  while (sequence.size() < n) {
    bool progressed = false;
    for (size_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      const bool ready = std::all_of(nodes_[i].inbound.begin(), nodes_[i].inbound.end(),
                                     [&](const std::string& in) { return done[nodeIndex_[in]]; });
      if (!ready) continue;
      done[i] = true;
      stepOfNode[i] = sequence.size();
      sequence.push_back(i);
      progressed = true;
      break;
    }
    if (!progressed) {
      std::string names;
      for (size_t i = 0; i < n; ++i)
        if (!done[i]) names += (names.empty() ? "" : ", ") + inQuotes(nodes_[i].name);
      throw Error("model graph has a cycle among layers " + names);
    }
  }

  for (size_t node : sequence) {
    layers_.push_back(std::move(builtByNode_[node]));
    LayerInfo info;
    info.name = nodes_[node].name;
    info.className = nodes_[node].className;
    info.inbound = nodes_[node].inbound;
    std::vector<size_t> producers;
    for (const std::string& in : nodes_[node].inbound) producers.push_back(stepOfNode[nodeIndex_[in]]);
    stepInputs_.push_back(producers);
    infos_.push_back(std::move(info));
  }
  for (const TensorRef& r : inputRefs_) inputSteps_.push_back(stepOfNode[nodeIndex_[r.layer]]);
  for (const TensorRef& r : outputRefs_) outputSteps_.push_back(stepOfNode[nodeIndex_[r.layer]]);
  for (size_t s = 0; s < layers_.size(); ++s)
    if (infos_[s].className == "InputLayer" &&
        std::find(inputSteps_.begin(), inputSteps_.end(), s) == inputSteps_.end())
      throw Error("layer " + inQuotes(infos_[s].name) + " (InputLayer) is not among the model's inputs");
}

void GraphModel::inferShapes() {
  for (size_t s = 0; s < layers_.size(); ++s) {
    std::vector<Shape> inShapes;
    for (size_t p : stepInputs_[s]) inShapes.push_back(infos_[p].outputShape);
    LayerInfo& info = infos_[s];
    try {
      info.outputShape = layers_[s]->outputShape(inShapes);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error("layer " + inQuotes(info.name) + " (" + info.className + "): " + e.what());
    }
    info.quantizers = layers_[s]->quantizers();
    info.outputQuantizer = layers_[s]->outputQuantizer();
    info.identityOnValues = layers_[s]->isIdentityOnValues();
  }
  for (size_t s : inputSteps_) inputs_.push_back({infos_[s].name, infos_[s].outputShape});
  for (size_t s : outputSteps_) outputs_.push_back({infos_[s].name, infos_[s].outputShape});
}

// What the analysis proved about a tensor, in the form prepare() reads.
InputFacts inputFactsOf(const TensorAnalysis& a) {
  InputFacts f;
  const std::string who = inQuotes(a.name);
  if (a.status == TensorAnalysis::Status::Float) {
    f.why = "input " + who + " is float";
    return f;
  }
  if (!a.grid) {
    f.why = "input " + who + " has no fixed grid (data-dependent quantizer)";
    return f;
  }
  const GridSummary& g = *a.grid;
  if (g.kind != Grid::Kind::Uniform) {
    f.why = "input " + who + " is not on one uniform grid";
    return f;
  }
  if (!isPowerOfTwo(g.step) || !std::isfinite(g.min) || !std::isfinite(g.max) || std::remainder(g.min, g.step) != 0 ||
      std::remainder(g.max, g.step) != 0) {
    f.why = "input " + who + "'s grid step " + formatStep(g.step) + " is not a power of two dividing its range";
    return f;
  }
  f.onUniformGrid = true;
  f.bits = g.bits;
  f.isSigned = g.isSigned;
  f.step = g.step;
  f.min = g.min;
  f.max = g.max;
  return f;
}

void GraphModel::prepareLayers(const json& graph, const ModelOptions& options) {
  const std::vector<TensorAnalysis> analyses = analyzeModel(*this, &graph);
  for (size_t s = 0; s < layers_.size(); ++s) {
    PrepareContext ctx;
    ctx.integerKernels = options.integerKernels;
    for (size_t p : stepInputs_[s]) {
      ctx.inputShapes.push_back(infos_[p].outputShape);
      ctx.inputs.push_back(inputFactsOf(analyses[p]));
    }
    if (!ctx.inputs.empty() && ctx.inputs[0].onUniformGrid) {
      const InputFacts in = ctx.inputs[0];
      ctx.accumulatorBound = [in](const Tensor& kernel, int64_t channels, int64_t innerStride, bool zeroTerms) {
        const AccumulatorBound b =
            boundLinear(KernelView{&kernel, channels, innerStride}, nullptr, in.step, in.min, in.max, zeroTerms);
        return AccumulatorFacts{b.mantissaBits, b.accumulatorBits};
      };
      ctx.separableBound = [in](const Tensor& depthwise, int64_t channels, const Tensor& pointwise) {
        const AccumulatorBound b =
            boundSeparable(KernelView{&depthwise, channels, 1}, pointwise, nullptr, in.step, in.min, in.max);
        return AccumulatorFacts{b.mantissaBits, b.accumulatorBits};
      };
    }
    try {
      KernelChoice choice = layers_[s]->prepare(ctx);
      infos_[s].kernel = std::move(choice.kernel);
      infos_[s].kernelReason = std::move(choice.reason);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error("layer " + inQuotes(infos_[s].name) + " (" + infos_[s].className + "): " + e.what());
    }
  }
}

// Elementwise epilogue fusion. A conv/dense step p whose output only feeds a chain of
// elementwise layers (each the single consumer of the one before, none a model output except
// possibly the last) runs that chain in place on its output buffer, chunk by chunk while the
// chunk is in cache. Each element goes through exactly the float32 ops of the separate layers,
// in the same order (Layer::applyElementwiseInPlace), so the bits are those of the unfused
// run. The chain's consumers then read p's buffer: plan() keeps it alive for them. Applies to
// predict() without an observer; tracing runs every layer separately (its per-layer times are
// those of the unfused path).
void GraphModel::planElementwiseFusion(const ModelOptions& options) {
  const size_t n = layers_.size();
  fusedChain_.assign(n, {});
  fusedInto_.assign(n, std::string::npos);
  if (!options.fuseElementwise) return;
  std::vector<std::vector<size_t>> consumers(n);
  for (size_t s = 0; s < n; ++s)
    for (size_t p : stepInputs_[s]) consumers[p].push_back(s);
  auto isOutput = [&](size_t s) { return std::find(outputSteps_.begin(), outputSteps_.end(), s) != outputSteps_.end(); };
  auto isLinear = [](const std::string& cls) {
    return cls.find("Conv") != std::string::npos || cls.find("Dense") != std::string::npos;
  };
  for (size_t p = 0; p < n; ++p) {
    if (!isLinear(infos_[p].className) || infos_[p].kernel.empty() || infos_[p].outputShape.empty()) continue;
    std::string tags;
    size_t last = p;
    while (!isOutput(last) && consumers[last].size() == 1) {
      const size_t c = consumers[last][0];
      if (stepInputs_[c].size() != 1) break;
      const std::string tag = layers_[c]->elementwiseFusionTag(infos_[last].outputShape);
      if (tag.empty() || infos_[c].outputShape != infos_[last].outputShape) break;
      fusedChain_[p].push_back(c);
      fusedInto_[c] = p;
      tags += "+" + tag;
      last = c;
    }
    if (fusedChain_[p].empty()) continue;
    infos_[p].kernel += tags;
    for (size_t c : fusedChain_[p]) {
      infos_[c].kernel.clear();
      infos_[c].kernelReason =
          "fused into " + inQuotes(infos_[p].name) + " (run in its epilogue by predict(); trace() runs it separately)";
    }
  }
}

void GraphModel::runFusedChain(size_t producer, Tensor& output) const {
  const std::vector<size_t>& chain = fusedChain_[producer];
  const int64_t channels = infos_[producer].outputShape.back();
  if (channels <= 0) return;
  const int64_t total = output.size();
  // ~16 KB of floats per chunk, a whole number of channel rows.
  const int64_t rows = std::max<int64_t>(1, 4096 / channels);
  const int64_t chunk = rows * channels;
  float* data = output.data.data();
  for (int64_t start = 0; start < total; start += chunk) {
    const int64_t count = std::min(chunk, total - start);
    for (size_t c : chain) layers_[c]->applyElementwiseInPlace(data + start, count, channels);
  }
}

void GraphModel::plan() {
  const size_t n = layers_.size();
  std::vector<int64_t> sizes(n);
  std::vector<bool> pinned(n, false);
  for (size_t s = 0; s < n; ++s) sizes[s] = numElements(infos_[s].outputShape);
  for (size_t s : outputSteps_) pinned[s] = true;
  // A fused chain's consumers read its producer's buffer (planElementwiseFusion): keep it alive.
  std::vector<std::vector<size_t>> keepAlive = stepInputs_;
  for (size_t s = 0; s < n; ++s)
    for (size_t p : stepInputs_[s])
      if (fusedInto_[p] != std::string::npos) keepAlive[s].push_back(fusedInto_[p]);
  for (size_t s : outputSteps_)
    if (fusedInto_[s] != std::string::npos) pinned[fusedInto_[s]] = true;
  plan_ = planArena(keepAlive, sizes, pinned);
  arena_.configure(plan_);
  stepInputTensors_.assign(n, {});
  for (size_t s = 0; s < n; ++s) stepInputTensors_[s].assign(std::max<size_t>(stepInputs_[s].size(), 1), nullptr);
  stepOutputs_.assign(n, nullptr);
}

std::vector<Tensor> GraphModel::predict(const std::vector<Tensor>& inputs, const LayerObserver& observer) {
  if (inputs.size() != inputs_.size())
    throw Error("predict: the model has " + std::to_string(inputs_.size()) + " input(s), got " +
                std::to_string(inputs.size()));
  int64_t batch = -1;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& t = inputs[k];
    const Shape& expected = inputs_[k].shape;
    const std::string where = "input " + inQuotes(inputs_[k].name);
    if (t.rank() != static_cast<int>(expected.size()) + 1 || !std::equal(expected.begin(), expected.end(), t.shape.begin() + 1))
      throw Error(where + ": expected shape (batch, " + shapeToString(expected).substr(1) + ", got " +
                  shapeToString(t.shape));
    if (t.size() != numElements(t.shape))
      throw Error(where + ": holds " + std::to_string(t.size()) + " values for shape " + shapeToString(t.shape));
    if (t.shape[0] < 1) throw Error(where + ": empty batch");
    if (batch >= 0 && t.shape[0] != batch)
      throw Error(where + ": batch size " + std::to_string(t.shape[0]) + " differs from the first input's " +
                  std::to_string(batch));
    batch = t.shape[0];
  }
  arena_.ensureBatch(batch);

  using Clock = std::chrono::steady_clock;
  for (size_t s = 0; s < layers_.size(); ++s) {
    std::vector<const Tensor*>& in = stepInputTensors_[s];
    auto k = std::find(inputSteps_.begin(), inputSteps_.end(), s);
    if (k != inputSteps_.end()) {
      in[0] = &inputs[static_cast<size_t>(k - inputSteps_.begin())];
    } else {
      for (size_t j = 0; j < stepInputs_[s].size(); ++j) in[j] = stepOutputs_[stepInputs_[s][j]];
    }
    const bool fused = !observer && fusedInto_[s] != std::string::npos;
    if (fused) {  // already computed in place by its producer's epilogue
      stepOutputs_[s] = stepOutputs_[fusedInto_[s]];
      continue;
    }
    Tensor& out = arena_.bind(plan_.bufferOfStep[s], batch, infos_[s].outputShape);
    stepOutputs_[s] = &out;
    const auto start = observer ? Clock::now() : Clock::time_point();
    layers_[s]->forward(in, out);
    if (!observer && !fusedChain_[s].empty()) runFusedChain(s, out);
    if (observer) {
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      observer(s, out, ms);
    }
  }

  std::vector<Tensor> result;
  result.reserve(outputSteps_.size());
  for (size_t s : outputSteps_) result.push_back(*stepOutputs_[s]);
  return result;
}

}  // namespace

ModelOptions modelOptionsFromJson(const nlohmann::json& options) {
  ModelOptions result;
  if (options.is_null()) return result;
  if (!options.is_object()) throw Error("model options must be an object");
  json quantizer = options;
  if (auto it = quantizer.find("integerKernels"); it != quantizer.end()) {
    if (!it->is_boolean()) throw Error("option 'integerKernels' must be true or false, got " + it->dump());
    result.integerKernels = it->get<bool>();
    quantizer.erase(it);
  }
  if (auto it = quantizer.find("fuse"); it != quantizer.end()) {
    if (!it->is_boolean()) throw Error("option 'fuse' must be true or false, got " + it->dump());
    result.fuseElementwise = it->get<bool>();
    quantizer.erase(it);
  }
  result.quantizerOptions = quantizerOptionsFromJson(quantizer);
  return result;
}

std::unique_ptr<Model> Model::build(const nlohmann::json& graph,
                                    std::map<std::string, std::vector<WeightInput>> weightsByLayer,
                                    const ModelOptions& options) {
  auto model = std::make_unique<GraphModel>();
  model->parse(graph);
  model->rejectUnsupported(options);
  model->buildLayers(weightsByLayer, options);
  model->order();
  model->inferShapes();
  model->prepareLayers(graph, options);
  model->planElementwiseFusion(options);
  model->plan();
  return model;
}

}  // namespace qkw
