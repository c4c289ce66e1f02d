// Runs a model and records every selected layer's output and observed statistics. The outputs
// are packed into one buffer that is reused across traces, so tracing allocates nothing per
// layer and hands JS a single block to copy.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graph/analysis.h"
#include "graph/model.h"
#include "graph/tensor_stats.h"

namespace qkw {

struct TraceOptions {
  std::vector<std::string> layers;  // empty: every layer
  bool includeData = true;
  int histogramBins = 16;
  bool steps = false;  // recurrent layers also report their per-time-step states
  int64_t firstSample = 0;  // batch index of inputs' first sample (trace in pieces)

  static TraceOptions fromJson(const nlohmann::json& options);
};

struct TracedLayer {
  size_t index = 0;     // position in Model::layers()
  Shape shape;          // with the batch axis
  size_t offset = 0;    // into TraceRecorder::data() (when data is included)
  TensorStats stats;
  double milliseconds = 0;
  nlohmann::json steps;  // Layer::recordedSteps() when options.steps, else null
};

class TraceRecorder {
 public:
  // Throws qkw::Error naming an unknown layer in options.layers.
  void run(Model& model, const std::vector<TensorAnalysis>& analyses, const std::vector<Tensor>& inputs,
           const TraceOptions& options);

  const std::vector<float>& data() const { return data_; }
  const std::vector<TracedLayer>& layers() const { return layers_; }
  // [{index, shape, offset, count, stats, timeMs}] for every traced layer.
  nlohmann::json layersToJson() const;

 private:
  void planStatsReuse(const Model& model, const std::vector<TensorAnalysis>& analyses);

  std::vector<int64_t> statsSource_;  // per layer: the layer whose statistics it shares, or -1
  std::vector<float> data_;
  std::vector<TracedLayer> layers_;
};

}  // namespace qkw
