// Model::build (parse the normalized graph, reject unsupported features in one error, build the
// layers, order them, infer shapes, plan the arena) and predict (run the plan).
#include "graph/model.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>

#include "graph/analysis.h"
#include "graph/planner.h"
#include "layers/output_select.h"
#include "quant/quantizer_description.h"

namespace qkw {

namespace {

using json = qkw::Json;

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
  const std::vector<TensorAnalysis>* builtAnalysis() const override { return &analysis_; }
  const std::vector<ModelWarning>& warnings() const override { return warnings_; }

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
  void parse(const json& graph, const Limits& limits);
  void checkWeights(const std::map<std::string, std::vector<WeightInput>>& weightsByLayer, const Limits& limits);
  void wireRecurrentMasks();
  void addOutputSelects();
  void bindOutputSelects();
  void rejectUnsupported(const ModelOptions& options);
  void buildLayers(std::map<std::string, std::vector<WeightInput>>& weightsByLayer, const ModelOptions& options);
  void order();
  void inferShapes(const Limits& limits);
  void prepareLayers(const json& graph, const ModelOptions& options);
  void planElementwiseFusion(const ModelOptions& options);
  void plan(const Limits& limits);

 private:
  std::vector<LayerNode> nodes_;                 // model order
  std::map<std::string, size_t> nodeIndex_;
  std::vector<TensorRef> inputRefs_, outputRefs_;
  std::vector<std::string> structural_;          // shared layers and the like (unsupported)
  struct PendingSelect {
    size_t consumer;  // node index, or SIZE_MAX for a model output
    size_t position;  // inbound position or model output position
    std::string layer;
    int64_t tensor;
  };
  std::vector<PendingSelect> pendingSelects_;
  std::vector<LayerPtr> builtByNode_;            // model order

  // Execution order.
  std::vector<LayerPtr> layers_;
  std::vector<LayerInfo> infos_;
  std::vector<TensorAnalysis> analysis_;  // prepareLayers(): depends on the graph and weights only
  std::vector<std::vector<size_t>> stepInputs_;  // producing steps
  std::vector<size_t> inputSteps_;               // model input k -> step of its InputLayer
  std::vector<size_t> outputSteps_;
  std::vector<TensorInfo> inputs_, outputs_;

  std::vector<ModelWarning> warnings_;

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

void GraphModel::parse(const json& graph, const Limits& limits) {
  if (!graph.is_object()) throw Error("model graph: expected a JSON object");
  if (!graph.contains("layers") || !graph["layers"].is_array() || graph["layers"].empty())
    throw Error("model graph: no 'layers' list");
  if (static_cast<int64_t>(graph["layers"].size()) > limits.maxLayers)
    throw Error("model graph: " + std::to_string(graph["layers"].size()) + " layers, over the limit " +
                Limits::describe("maxLayers", limits.maxLayers) + " " + Limits::howToRaise("maxLayers"));
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
        if (ref.tensor != 0) {
          // Resolved to an OutputSelect step by addOutputSelects() (layers with several outputs).
          pendingSelects_.push_back({nodes_.size(), node.inbound.size(), ref.layer, ref.tensor});
        }
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
      if (ref.node != 0)
        structural_.push_back(std::string("model ") + key + " reference " + r.dump() +
                              " (shared layers or layers with several outputs)");
      if (ref.tensor != 0 && std::string(key) == "outputs")
        pendingSelects_.push_back({SIZE_MAX, refs.size(), ref.layer, ref.tensor});
      else if (ref.tensor != 0)
        structural_.push_back(std::string("model ") + key + " reference " + r.dump() + " (a layer's output #" +
                              std::to_string(ref.tensor) + ")");
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

// Keras passes a mask from Masking / Embedding(mask_zero=True) along mask-propagating layers to the
// recurrent layers. Each recurrent layer (and Bidirectional) that receives one gets the mask's
// source tensor as a second input and "qkw_mask_value" in its config (src/layers/recurrent.h).
void GraphModel::wireRecurrentMasks() {
  auto isRnn = [](const std::string& c) {
    return c == "QSimpleRNN" || c == "QLSTM" || c == "QGRU" || c == "SimpleRNN" || c == "LSTM" || c == "GRU" ||
           c == "Bidirectional" || c == "QBidirectional" || c == "RNN";
  };
  auto returnsSequences = [](const LayerNode& n) {
    const json& c = n.config;
    if (c.contains("layer") && c["layer"].is_object() && c["layer"].contains("config"))
      return c["layer"]["config"].value("return_sequences", false);
    return c.value("return_sequences", false);
  };
  static const std::set<std::string> propagating = {
      "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "Activation",
      "Dense", "QDense", "TimeDistributed", "BatchNormalization", "QBatchNormalization"};
  for (LayerNode& node : nodes_) {
    if (!isRnn(node.className) || node.inbound.size() != 1) continue;
    const LayerNode* p = &nodes_[nodeIndex_[node.inbound[0]]];
    for (size_t hops = 0; hops <= nodes_.size(); ++hops) {
      if (p->className == "Masking" && p->inbound.size() == 1) {
        const json& mv = p->config.contains("mask_value") ? p->config["mask_value"] : json(0.0);
        node.config["qkw_mask_value"] = mv.is_number() ? mv.get<double>() : 0.0;
        node.inbound.push_back(p->inbound[0]);
        break;
      }
      if (p->className == "Embedding" && p->inbound.size() == 1) {
        if (p->config.value("mask_zero", false)) {
          node.config["qkw_mask_value"] = 0.0;
          node.inbound.push_back(p->inbound[0]);
        }
        break;
      }
      const bool passes = propagating.count(p->className) || (isRnn(p->className) && returnsSequences(*p));
      if (!passes || p->inbound.empty()) break;
      p = &nodes_[nodeIndex_[p->inbound[0]]];
    }
  }
}

// Names of the extra outputs (#1, #2, ...) of the layers that have several, from their config:
// RNNs with return_state ("state_h", "state_c" for LSTM; "state" otherwise) and Bidirectional
// (merge_mode None: "backward" first; return_state: "forward_<state>..., backward_<state>...").
// Empty for every other layer. Must list what the layer's extraOutputNames() lists.
std::vector<std::string> extraOutputNamesFromConfig(const std::string& cls, const json& config) {
  auto rnnStates = [](const std::string& c) -> std::vector<std::string> {
    if (c == "QLSTM" || c == "LSTM") return {"state_h", "state_c"};
    if (c == "QGRU" || c == "GRU" || c == "QSimpleRNN" || c == "SimpleRNN") return {"state"};
    return {};
  };
  if (cls == "Bidirectional" || cls == "QBidirectional") {
    if (!config.contains("layer") || !config["layer"].is_object()) return {};
    const json& inner = config["layer"];
    std::string innerClass = inner.value("class_name", "");
    innerClass = innerClass.substr(innerClass.rfind('>') == std::string::npos ? 0 : innerClass.rfind('>') + 1);
    std::vector<std::string> names;
    if (config.contains("merge_mode") && config["merge_mode"].is_null()) names.push_back("backward");
    const json innerConfig = inner.contains("config") && inner["config"].is_object() ? inner["config"] : json::object();
    if (innerConfig.value("return_state", false))
      for (const char* dir : {"forward_", "backward_"})
        for (const std::string& st : rnnStates(innerClass)) names.push_back(dir + st);
    return names;
  }
  if (cls == "RNN" && config.is_object() && config.value("return_state", false) && config.contains("cell") &&
      config["cell"].is_object()) {
    std::string cell = config["cell"].value("class_name", "");
    cell = cell.substr(cell.rfind('>') == std::string::npos ? 0 : cell.rfind('>') + 1);
    return rnnStates(cell.size() > 4 ? cell.substr(0, cell.size() - 4) : cell);  // "QLSTMCell" -> "QLSTM"
  }
  if (config.is_object() && config.value("return_state", false)) return rnnStates(cls);
  return {};
}

// Every [layer, node, k >= 1] reference becomes an OutputSelect node "<layer>/<output name>"
// reading the producer's extra output #k; references to layers without several outputs stay
// unsupported.
void GraphModel::addOutputSelects() {
  std::map<std::pair<std::string, int64_t>, std::string> made;
  for (const PendingSelect& p : pendingSelects_) {
    const LayerNode& producer = nodes_[nodeIndex_.at(p.layer)];
    const std::vector<std::string> names = extraOutputNamesFromConfig(producer.className, producer.config);
    if (p.tensor < 1 || p.tensor > static_cast<int64_t>(names.size())) {  // int64: size_t is 32-bit in WASM
      const std::string who = p.consumer == SIZE_MAX ? std::string("model outputs") : "layer " + inQuotes(nodes_[p.consumer].name);
      structural_.push_back(who + " reading output #" + std::to_string(p.tensor) + " of " + inQuotes(p.layer) +
                            " (" + producer.className + " has " + std::to_string(names.size() + 1) + " output(s))");
      continue;
    }
    auto key = std::make_pair(p.layer, p.tensor);
    auto it = made.find(key);
    if (it == made.end()) {
      LayerNode node;
      node.name = p.layer + "/" + names[static_cast<size_t>(p.tensor) - 1];
      node.className = "OutputSelect";
      node.config = {{"index", p.tensor}, {"name", node.name}};
      node.inbound = {p.layer};
      if (nodeIndex_.count(node.name)) throw Error("layer " + inQuotes(node.name) + " clashes with the name of output #" +
                                                   std::to_string(p.tensor) + " of " + inQuotes(p.layer));
      nodeIndex_[node.name] = nodes_.size();
      it = made.emplace(key, node.name).first;
      nodes_.push_back(std::move(node));
    }
    if (p.consumer == SIZE_MAX)
      outputRefs_[p.position].layer = it->second;
    else
      nodes_[p.consumer].inbound[p.position] = it->second;
  }
  for (TensorRef& r : outputRefs_) r.tensor = 0;
}

void GraphModel::bindOutputSelects() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto* select = dynamic_cast<OutputSelectLayer*>(builtByNode_[i].get());
    if (!select) continue;
    if (nodes_[i].inbound.size() != 1) throw Error("layer " + inQuotes(nodes_[i].name) + " (OutputSelect): one inbound layer expected");
    select->bind(builtByNode_[nodeIndex_.at(nodes_[i].inbound[0])].get());
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

// Before any layer copies or transforms a weight: sizes under the limits, and non-finite
// values named (QKeras computes with them as they are).
void GraphModel::checkWeights(const std::map<std::string, std::vector<WeightInput>>& weightsByLayer,
                              const Limits& limits) {
  int64_t bytes = 0;
  for (const auto& [layer, weights] : weightsByLayer) {
    for (const WeightInput& w : weights) {
      const std::string what = "layer " + inQuotes(layer) + ": weight " + inQuotes(w.role.empty() ? "#" + std::to_string(w.index) : w.role);
      const int64_t n = numElements(w.tensor.shape);
      if (n > limits.maxTensorElements)
        throw Error(what + " has " + std::to_string(n) + " elements, over the limit " +
                    Limits::describe("maxTensorElements", limits.maxTensorElements) + " " + Limits::howToRaise("maxTensorElements"));
      bytes = checkedAdd(bytes, checkedMul(w.tensor.size(), static_cast<int64_t>(sizeof(float)), what), what);
      if (bytes > limits.maxWeightBytes)
        throw Error(what + ": the model's weights pass " + std::to_string(limits.maxWeightBytes) + " bytes, the limit " +
                    Limits::describe("maxWeightBytes", limits.maxWeightBytes) + " " + Limits::howToRaise("maxWeightBytes"));
      int64_t nonFinite = 0;
      for (float v : w.tensor.data) nonFinite += std::isfinite(v) ? 0 : 1;
      if (nonFinite > 0 && nodeIndex_.count(layer))
        warnings_.push_back({layer, "non-finite-weights",
                             "weight " + inQuotes(w.role.empty() ? "#" + std::to_string(w.index) : w.role) + " holds " +
                                 std::to_string(nonFinite) + " non-finite value" + (nonFinite == 1 ? "" : "s") +
                                 " (NaN or Inf; float64 values beyond float32's range become Inf): QKeras computes "
                                 "with them as they are, so outputs they reach are NaN or Inf"});
    }
  }
}

void GraphModel::buildLayers(std::map<std::string, std::vector<WeightInput>>& weightsByLayer,
                             const ModelOptions& options) {
  const LayerRegistry& registry = LayerRegistry::instance();
  std::vector<std::string> unsupported;
  builtByNode_.resize(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const LayerNode& node = nodes_[i];
    LayerContext ctx{node.name, node.className, node.config, {}, options.quantizerOptions, &warnings_};
    ctx.quantizerOptions.parserNotes = std::make_shared<std::vector<std::string>>();
    auto w = weightsByLayer.find(node.name);
    if (w != weightsByLayer.end()) ctx.weights = std::move(w->second);
    try {
      builtByNode_[i] = (*registry.find(node.className))(ctx);
      for (const std::string& note : *ctx.quantizerOptions.parserNotes) ctx.warn("quantizer-string", note);
      const std::vector<std::string> unused = options.ignoreExtraWeights ? std::vector<std::string>{} : ctx.unusedWeights();
      if (!unused.empty()) {
        std::string list;
        for (const std::string& u : unused) list += (list.empty() ? "" : ", ") + u;
        throw Error(ctx.errorPrefix() + "the file has weight(s) this layer's config does not use: " + list +
                    " (pass { ignoreExtraWeights: true } to load it anyway)");
      }
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
  // topological order that keeps the file's order where the graph allows it. Kahn's algorithm
  // with the ready layers in a min-heap of model positions: O((layers + edges) log layers), where
  // rescanning from the start each time was quadratic (27 s for 20,000 layers in reverse order).
  std::vector<size_t> waitingFor(n, 0);
  std::vector<std::vector<size_t>> consumers(n);
  for (size_t i = 0; i < n; ++i)
    for (const std::string& in : nodes_[i].inbound) {
      consumers[nodeIndex_.at(in)].push_back(i);
      ++waitingFor[i];
    }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  for (size_t i = 0; i < n; ++i)
    if (waitingFor[i] == 0) ready.push(i);
  while (!ready.empty()) {
    const size_t i = ready.top();
    ready.pop();
    done[i] = true;
    stepOfNode[i] = sequence.size();
    sequence.push_back(i);
    for (size_t c : consumers[i])
      if (--waitingFor[c] == 0) ready.push(c);
  }
  if (sequence.size() < n) {
    std::string names;
    for (size_t i = 0; i < n; ++i)
      if (!done[i]) names += (names.empty() ? "" : ", ") + inQuotes(nodes_[i].name);
    throw Error("model graph has a cycle among layers " + names);
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

void GraphModel::inferShapes(const Limits& limits) {
  for (size_t s = 0; s < layers_.size(); ++s) {
    std::vector<Shape> inShapes;
    for (size_t p : stepInputs_[s]) inShapes.push_back(infos_[p].outputShape);
    LayerInfo& info = infos_[s];
    const std::string where = "layer " + inQuotes(info.name) + " (" + info.className + "): ";
    try {
      info.outputShape = layers_[s]->outputShape(inShapes);
    } catch (const Unsupported&) {
      throw;
    } catch (const Error& e) {
      const std::string message = e.what();
      if (message.rfind("layer ", 0) == 0) throw;
      throw Error(where + message);
    } catch (const std::exception& e) {
      throw Error(where + e.what());
    }
    // The bound on every activation, checked before the arena is planned or allocated.
    int64_t elements = 1;
    for (int64_t d : info.outputShape) {
      if (d < 1)
        throw Error(where + "output shape " + shapeToString(info.outputShape) + " has an empty or negative dimension");
      if (__builtin_mul_overflow(elements, d, &elements)) elements = std::numeric_limits<int64_t>::max();
    }
    const int64_t scratch = layers_[s]->scratchElementsPerSample(inShapes);
    if (scratch > limits.maxTensorElements)
      throw Error(where + "an intermediate result would have " + std::to_string(scratch) +
                  " elements per sample, over the limit " + Limits::describe("maxTensorElements", limits.maxTensorElements) +
                  " " + Limits::howToRaise("maxTensorElements"));
    if (elements > limits.maxTensorElements)
      throw Error(where + "output would have " +
                  (elements == std::numeric_limits<int64_t>::max() ? "more than 2^63" : std::to_string(elements)) +
                  " elements per sample (shape " + shapeToString(info.outputShape) + "), over the limit " +
                  Limits::describe("maxTensorElements", limits.maxTensorElements) + " " + Limits::howToRaise("maxTensorElements"));
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
  // A binary grid {-a, +a} (step 2a, so min is off the multiples of the step) lies on the grid of
  // step a; that grid adds 0, a value the tensor never takes (zeroFree).
  if (isPowerOfTwo(g.step) && std::isfinite(g.min) && std::isfinite(g.max) && std::remainder(g.min, g.step) != 0 &&
      std::remainder(g.min, g.step / 2) == 0 && std::remainder(g.max, g.step / 2) == 0 &&
      std::remainder(g.max - g.min, g.step) == 0) {
    f.onUniformGrid = true;
    f.zeroFree = true;
    f.bits = g.bits;
    f.isSigned = g.isSigned;
    f.step = g.step / 2;
    f.min = g.min;
    f.max = g.max;
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
  analysis_ = analyzeModel(*this, &graph);
  const std::vector<TensorAnalysis>& analyses = analysis_;
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

void GraphModel::plan(const Limits& limits) {
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
  int64_t bytes = 0;
  for (int64_t e : plan_.bufferElementsPerSample)
    bytes = checkedAdd(bytes, checkedMul(e, static_cast<int64_t>(sizeof(float)), "activation arena"), "activation arena");
  if (bytes > limits.maxArenaBytes)
    throw Error("model: the activations of one sample need " + std::to_string(bytes) + " bytes, over the limit " +
                Limits::describe("maxArenaBytes", limits.maxArenaBytes) + " " + Limits::howToRaise("maxArenaBytes"));
  arena_.configure(plan_, limits.maxArenaBytes);
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

ModelOptions modelOptionsFromJson(const qkw::Json& options) {
  ModelOptions result;
  if (options.is_null()) return result;
  if (!options.is_object()) throw Error("model options must be an object");
  json quantizer = options;
  if (auto it = quantizer.find("limits"); it != quantizer.end()) {
    result.limits = limitsFromJson(*it);
    quantizer.erase(it);
  }
  if (auto it = quantizer.find("integerKernels"); it != quantizer.end()) {
    if (!it->is_boolean()) throw Error("option 'integerKernels' must be true or false, got " + it->dump());
    result.integerKernels = it->get<bool>();
    quantizer.erase(it);
  }
  if (auto it = quantizer.find("ignoreExtraWeights"); it != quantizer.end()) {
    if (!it->is_boolean()) throw Error("option 'ignoreExtraWeights' must be true or false, got " + it->dump());
    result.ignoreExtraWeights = it->get<bool>();
    quantizer.erase(it);
  }
  if (auto it = quantizer.find("fuse"); it != quantizer.end()) {
    if (!it->is_boolean()) throw Error("option 'fuse' must be true or false, got " + it->dump());
    result.fuseElementwise = it->get<bool>();
    quantizer.erase(it);
  }
  // QAdaptiveActivation: 'after-load' (default; model.predict's first batch after loading,
  // predictBatchSize samples, uses integer=0) or 'ema' (every sample uses the EMA-derived bits).
  bool ema = false;
  int64_t batch = 32;
  if (auto it = quantizer.find("adaptiveActivation"); it != quantizer.end()) {
    const std::string mode = it->is_string() ? it->get<std::string>() : "";
    if (mode != "after-load" && mode != "ema")
      throw Error("option 'adaptiveActivation' must be 'after-load' or 'ema', got " + it->dump());
    ema = mode == "ema";
    quantizer.erase(it);
  }
  if (auto it = quantizer.find("predictBatchSize"); it != quantizer.end()) {
    if (!it->is_number_integer() || it->get<double>() < 1 || it->get<double>() > 9007199254740992.0)
      throw Error("option 'predictBatchSize' must be a positive integer (Keras's model.predict batch_size), got " +
                  it->dump());
    batch = it->get<int64_t>();
    quantizer.erase(it);
  }
  result.quantizerOptions = quantizerOptionsFromJson(quantizer);
  result.quantizerOptions.adaptiveFirstBatch = ema ? 0 : batch;
  return result;
}

std::unique_ptr<Model> Model::build(const qkw::Json& graph,
                                    std::map<std::string, std::vector<WeightInput>> weightsByLayer,
                                    const ModelOptions& options) {
  auto model = std::make_unique<GraphModel>();
  model->parse(graph, options.limits);
  model->checkWeights(weightsByLayer, options.limits);
  model->addOutputSelects();
  model->wireRecurrentMasks();
  model->rejectUnsupported(options);
  model->buildLayers(weightsByLayer, options);
  model->bindOutputSelects();
  model->order();
  model->inferShapes(options.limits);
  model->prepareLayers(graph, options);
  model->planElementwiseFusion(options);
  model->plan(options.limits);
  return model;
}

Limits limitsFromJson(const qkw::Json& j) {
  Limits limits;
  if (j.is_null()) return limits;
  if (!j.is_object()) throw Error("option 'limits' must be an object, got " + j.dump());
  const std::pair<const char*, int64_t Limits::*> fields[] = {
      {"maxTensorElements", &Limits::maxTensorElements}, {"maxArenaBytes", &Limits::maxArenaBytes},
      {"maxWeightBytes", &Limits::maxWeightBytes},       {"maxLayers", &Limits::maxLayers},
      {"maxConfigDepth", &Limits::maxConfigDepth}};
  for (const auto& [key, value] : j.items()) {
    int64_t Limits::*field = nullptr;
    std::string known;
    for (const auto& f : fields) {
      if (key == f.first) field = f.second;
      known += (known.empty() ? "" : ", ") + std::string(f.first);
    }
    if (!field) throw Error("unknown limit 'limits." + key + "' (known: " + known + ")");
    if (value.is_null()) continue;
    const double d = value.is_number() ? value.get<double>() : 0.0;
    if (!value.is_number() || !(d >= 1) || d > 9007199254740992.0 || std::floor(d) != d)
      throw Error("limit 'limits." + key + "' must be a positive integer up to 2^53, got " + value.dump());
    limits.*field = static_cast<int64_t>(d);
  }
  return limits;
}

qkw::Json parseJsonWithDepthLimit(const std::string& text, int64_t maxDepth, const std::string& what) {
  // The parser checks each array/object's depth as it opens, before reading what is inside.
  try {
    return Json::parse(text, maxDepth);
  } catch (const Json::depth_error& e) {
    if (maxDepth > Json::kMaxDepth) throw;  // the parser's own fixed limit: its message says so
    throw Error(what + ": JSON nested deeper than the limit " + Limits::describe("maxConfigDepth", maxDepth) + " " +
                Limits::howToRaise("maxConfigDepth") + " (at byte " + std::to_string(e.offset) + ")");
  }
}

}  // namespace qkw
