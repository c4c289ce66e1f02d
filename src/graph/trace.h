// Runs a model and records every selected layer's output and observed statistics. The outputs
// are packed into one buffer that is reused across traces, so tracing allocates nothing per
// layer and hands JS a single block to copy.
#pragma once
#include <string>
#include <vector>

#include "core/json.h"

#include "graph/analysis.h"
#include "graph/model.h"
#include "graph/tensor_stats.h"

namespace qkw {

struct TraceOptions {
  std::vector<std::string> layers;  // empty: every layer
  bool includeData = true;
  int histogramBins = 16;
  bool steps = false;  // recurrent layers also report their per-time-step states

  // Throws qkw::Error naming a value out of range (histogramBins 1 to 4096).
  void validate() const;
};

struct TracedLayer {
  size_t index = 0;     // position in Model::layers()
  Shape shape;          // with the batch axis
  size_t offset = 0;    // into TraceRecorder::data() (when data is included)
  TensorStats stats;
  double milliseconds = 0;
  qkw::Json steps;  // Layer::recordedSteps() when options.steps, else null
};

class TraceRecorder {
 public:
  // Throws qkw::Error naming an unknown layer in options.layers.
  void run(Model& model, const std::vector<TensorAnalysis>& analyses, const std::vector<Tensor>& inputs,
           const TraceOptions& options);

  // Every traced output (with options.includeData), packed in layer order: dataSize() floats.
  const float* data() const { return data_.data(); }
  size_t dataSize() const { return dataSize_; }
  const std::vector<TracedLayer>& layers() const { return layers_; }

  // The traced layers as one compact record of doubles, decoded by web/trace.js
  // (decodeTraceRecord), in place of a JSON text per call. Every number crosses exactly as a
  // double (int64 counts are below 2^53); layout, in order:
  //   kTraceRecordVersion, layer count, then per layer:
  //   index, offset, count, timeMs, rank, dims[rank],
  //   stats.count, nanCount, infCount, min, max, mean, distinct,
  //   histogramMin, histogramMax, bins, counts[bins],
  //   onGrid (-1 null, 0, 1), offGridCount, examples, example[examples],
  //   observed (0: no observedGrid key, 1: null, 2: a grid follows):
  //     kind (0 uniform, 1 powerOfTwo, 2 custom), bits, integer, signed, step,
  //     steps, step[steps], min, max, values, value[values],
  //   hasSteps (0/1: the next entry of extras()).
  // Rebuilt by run(); valid until the next run().
  const std::vector<double>& record() const { return record_; }
  // JSON text of [steps, ...] for the layers with hasSteps (options.steps only), else empty.
  const std::string& extras() const { return extras_; }

 private:
  void planStatsReuse(const Model& model, const std::vector<TensorAnalysis>& analyses);

  std::vector<int64_t> statsSource_;  // per layer: the layer whose statistics it shares, or -1
  void encode();
  void appendData(const float* values, size_t n);

  std::vector<float> data_;  // capacity; the first dataSize_ are this run's
  size_t dataSize_ = 0;
  std::vector<TracedLayer> layers_;
  std::vector<double> record_;
  std::string extras_;
};

constexpr int kTraceRecordVersion = 1;

// to[0, n) = from[0, n), 16 floats at a time on WASM SIMD (the ranges must not overlap).
void copyFloats(const float* from, size_t n, float* to);

}  // namespace qkw
