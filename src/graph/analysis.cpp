// The model-wide pass of the static quantization analysis (analysis.h): each layer's rule, in
// execution order, on its inputs' results; and the JSON form of the results.
#include "graph/analysis.h"

#include <map>
#include <string>

namespace qkw {

using json = qkw::Json;

namespace {

// The checks of the graph, before a layer's own rule runs.
TensorAnalysis analyzeLayer(const Layer& layer, const AnalysisContext& ctx, bool missingInput) {
  if (missingInput) return ctx.floatResult(ctx.className() + ": an input was not analyzed");
  if (ctx.inputCount() == 0 && ctx.className() != "InputLayer")
    return ctx.floatResult(ctx.className() + " has no inputs known to the analysis");
  return layer.analyzeOutput(ctx);
}

json gridJson(const GridSummary& g) {
  json j;
  switch (g.kind) {
    case Grid::Kind::PowerOfTwo: j["kind"] = "powerOfTwo"; break;
    case Grid::Kind::Custom: j["kind"] = "custom"; break;
    default: j["kind"] = "uniform"; break;
  }
  j["bits"] = g.bits;
  j["integer"] = g.integer;
  j["signed"] = g.isSigned;
  j["step"] = g.kind == Grid::Kind::Uniform ? json(g.step) : json(nullptr);
  if (!g.steps.empty()) j["steps"] = g.steps;
  j["min"] = g.min;
  j["max"] = g.max;
  if (!g.values.empty()) j["values"] = g.values;
  return j;
}

}  // namespace

std::vector<TensorAnalysis> analyzeModel(const Model& model, const json* /*graph: not needed*/) {
  const std::vector<LayerInfo>& layers = model.layers();
  std::vector<TensorAnalysis> results;
  results.reserve(layers.size());
  std::map<std::string, size_t> indexByName;
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerInfo& info = layers[i];
    const Layer& layer = info.layer ? *info.layer : model.layer(i);
    std::vector<const TensorAnalysis*> inputs;
    std::vector<Shape> inputShapes;
    bool missingInput = false;
    for (const std::string& in : info.inbound) {
      auto it = indexByName.find(in);
      if (it == indexByName.end()) {
        missingInput = true;
        continue;
      }
      inputs.push_back(&results[it->second]);
      inputShapes.push_back(layers[it->second].outputShape);
    }
    const AnalysisContext ctx(info.name, info.className, info.inbound, std::move(inputs), std::move(inputShapes));
    results.push_back(analyzeLayer(layer, ctx, missingInput));
    indexByName[info.name] = i;
  }
  return results;
}

json toJson(const GridSummary& grid) { return gridJson(grid); }

json toJson(const TensorAnalysis& a) {
  json j;
  j["name"] = a.name;
  j["className"] = a.className;
  j["status"] = statusName(a.status);
  j["quantizer"] = a.quantizer ? json(*a.quantizer) : json(nullptr);
  j["grid"] = a.grid ? gridJson(*a.grid) : json(nullptr);
  j["accumulatorBits"] = a.accumulatorBits ? json(*a.accumulatorBits) : json(nullptr);
  j["reason"] = a.reason;
  j["source"] = a.source ? json(*a.source) : json(nullptr);
  j["inputs"] = a.inputs;
  return j;
}

json toJson(const std::vector<TensorAnalysis>& analyses) {
  json j = json::array();
  for (const TensorAnalysis& a : analyses) j.push_back(toJson(a));
  return j;
}

}  // namespace qkw
