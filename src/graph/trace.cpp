#include "graph/trace.h"

#include <map>

#include "core/error.h"
#include "layers/layer_factories.h"

namespace qkw {

TraceOptions TraceOptions::fromJson(const nlohmann::json& options) {
  TraceOptions result;
  if (options.is_null()) return result;
  if (!options.is_object()) throw Error("trace options must be an object");
  if (options.contains("layers") && !options["layers"].is_null()) {
    if (!options["layers"].is_array()) throw Error("trace option 'layers' must be a list of layer names");
    for (const auto& name : options["layers"]) {
      if (!name.is_string()) throw Error("trace option 'layers' must be a list of layer names, got " + name.dump());
      result.layers.push_back(name.get<std::string>());
    }
  }
  result.includeData = options.value("includeData", true);
  result.histogramBins = options.value("histogramBins", 16);
  if (options.contains("steps") && !options["steps"].is_boolean()) throw Error("trace option 'steps' must be true or false");
  result.steps = options.value("steps", false);
  if (options.contains("firstSample") && !options["firstSample"].is_number_unsigned())
    throw Error("trace option 'firstSample' must be a non-negative integer");
  result.firstSample = options.value("firstSample", 0);
  if (result.histogramBins < 1 || result.histogramBins > 4096) throw Error("trace option 'histogramBins' must be 1 to 4096");
  return result;
}

void TraceRecorder::run(Model& model, const std::vector<TensorAnalysis>& analyses, const std::vector<Tensor>& inputs,
                        const TraceOptions& options) {
  const std::vector<LayerInfo>& infos = model.layers();
  std::vector<bool> selected(infos.size(), options.layers.empty());
  for (const std::string& name : options.layers) {
    bool found = false;
    for (size_t i = 0; i < infos.size(); ++i) {
      if (infos[i].name == name) selected[i] = found = true;
    }
    if (!found) throw Error("trace: the model has no layer named \"" + name + "\"");
  }
  if (statsSource_.size() != infos.size()) planStatsReuse(model, analyses);
  std::vector<int64_t> tracedAt(infos.size(), -1);
  data_.clear();
  layers_.clear();
  // Per-step recording is switched on only for this run (and off again even when predict throws).
  struct StepRecording {
    Model& model;
    bool on;
    void set(bool value) {
      for (size_t i = 0; i < model.layers().size(); ++i) model.layer(i).setRecordSteps(value);
    }
    ~StepRecording() {
      if (on) set(false);
      setAdaptiveFirstSample(0);
    }
  } recording{model, options.steps};
  if (options.steps) recording.set(true);
  setAdaptiveFirstSample(options.firstSample);
  model.predict(inputs, [&](size_t index, const Tensor& output, double ms) {
    if (index >= selected.size() || !selected[index]) return;
    TracedLayer traced;
    traced.index = index;
    traced.shape = output.shape;
    traced.milliseconds = ms;
    if (options.steps) traced.steps = model.layer(index).recordedSteps();
    if (options.includeData) {
      traced.offset = data_.size();
      data_.insert(data_.end(), output.data.begin(), output.data.end());
    }
    const int64_t source = statsSource_[index] >= 0 ? tracedAt[static_cast<size_t>(statsSource_[index])] : -1;
    traced.stats = source >= 0 ? layers_[static_cast<size_t>(source)].stats
                               : computeStats(output, index < analyses.size() ? &analyses[index] : nullptr, options.histogramBins);
    tracedAt[index] = static_cast<int64_t>(layers_.size());
    layers_.push_back(std::move(traced));
  });
}

// Layers that pass values through unchanged (Dropout, Flatten, Reshape) have their input's
// statistics when the analysis gives both the same grid: reuse them instead of recounting.
// Depends only on the model and its analysis, so it is planned once.
void TraceRecorder::planStatsReuse(const Model& model, const std::vector<TensorAnalysis>& analyses) {
  const std::vector<LayerInfo>& infos = model.layers();
  std::map<std::string, size_t> indexOf;
  for (size_t i = 0; i < infos.size(); ++i) indexOf[infos[i].name] = i;
  statsSource_.assign(infos.size(), -1);
  for (size_t i = 0; i < infos.size() && i < analyses.size(); ++i) {
    if (!infos[i].identityOnValues || infos[i].inbound.size() != 1) continue;
    const auto it = indexOf.find(infos[i].inbound[0]);
    if (it == indexOf.end() || it->second >= i) continue;
    // A model input's statistics carry its observed grid (tensor_stats.h), which is its own.
    if (analyses[it->second].className == "InputLayer") continue;
    if (toJson(analyses[it->second])["grid"] == toJson(analyses[i])["grid"])
      statsSource_[i] = static_cast<int64_t>(it->second);
  }
}

nlohmann::json TraceRecorder::layersToJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const TracedLayer& l : layers_) {
    out.push_back({{"index", l.index},
                   {"shape", l.shape},
                   {"offset", l.offset},
                   {"count", numElements(l.shape)},
                   {"stats", toJson(l.stats)},
                   {"timeMs", l.milliseconds}});
    if (!l.steps.is_null()) out.back()["steps"] = l.steps;
  }
  return out;
}

}  // namespace qkw
