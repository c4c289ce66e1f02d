#include "graph/trace.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "layers/layer_factories.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace qkw {

void copyFloats(const float* from, size_t n, float* to) {
  size_t i = 0;
#if defined(__wasm_simd128__)
  for (; i + 16 <= n; i += 16) {
    const v128_t a = wasm_v128_load(from + i), b = wasm_v128_load(from + i + 4);
    const v128_t c = wasm_v128_load(from + i + 8), d = wasm_v128_load(from + i + 12);
    wasm_v128_store(to + i, a);
    wasm_v128_store(to + i + 4, b);
    wasm_v128_store(to + i + 8, c);
    wasm_v128_store(to + i + 12, d);
  }
#endif
  for (; i < n; ++i) to[i] = from[i];
}

// Grows the buffer geometrically (its values are overwritten, so growing copies only what is
// used) and copies 16 bytes at a time: musl's memcpy without bulk memory moves 4 at a time, and
// this copy of every layer output was ~20% of a CNN's trace.
void TraceRecorder::appendData(const float* values, size_t n) {
  if (n > data_.size() - dataSize_) {
    std::vector<float> grown(std::max(dataSize_ + n, 2 * data_.size()));
    copyFloats(data_.data(), dataSize_, grown.data());
    data_.swap(grown);
  }
  copyFloats(values, n, data_.data() + dataSize_);
  dataSize_ += n;
}

void TraceOptions::validate() const {
  if (histogramBins < 1 || histogramBins > 4096) throw Error("trace option 'histogramBins' must be 1 to 4096");
}

void TraceRecorder::run(Model& model, const std::vector<TensorAnalysis>& analyses, const std::vector<Tensor>& inputs,
                        const TraceOptions& options) {
  options.validate();
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
  dataSize_ = 0;
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
    }
  } recording{model, options.steps};
  if (options.steps) recording.set(true);
  model.predict(inputs, [&](size_t index, const Tensor& output, double ms) {
    if (index >= selected.size() || !selected[index]) return;
    TracedLayer traced;
    traced.index = index;
    traced.shape = output.shape;
    traced.milliseconds = ms;
    if (options.steps) traced.steps = model.layer(index).recordedSteps();
    if (options.includeData) {
      traced.offset = dataSize_;
      appendData(output.data.data(), output.data.size());
    }
    const int64_t source = statsSource_[index] >= 0 ? tracedAt[static_cast<size_t>(statsSource_[index])] : -1;
    traced.stats = source >= 0 ? layers_[static_cast<size_t>(source)].stats
                               : computeStats(output, index < analyses.size() ? &analyses[index] : nullptr, options.histogramBins);
    tracedAt[index] = static_cast<int64_t>(layers_.size());
    layers_.push_back(std::move(traced));
  });
  encode();
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

void TraceRecorder::encode() {
  std::vector<double>& r = record_;
  r.clear();
  r.push_back(kTraceRecordVersion);
  r.push_back(static_cast<double>(layers_.size()));
  qkw::Json steps;
  for (const TracedLayer& l : layers_) {
    const TensorStats& s = l.stats;
    r.insert(r.end(), {static_cast<double>(l.index), static_cast<double>(l.offset),
                       static_cast<double>(numElements(l.shape)), l.milliseconds, static_cast<double>(l.shape.size())});
    for (int64_t d : l.shape) r.push_back(static_cast<double>(d));
    r.insert(r.end(), {static_cast<double>(s.count), static_cast<double>(s.nanCount), static_cast<double>(s.infCount), s.min,
                       s.max, s.mean, static_cast<double>(s.distinct), s.histogramMin, s.histogramMax,
                       static_cast<double>(s.histogram.size())});
    for (int64_t c : s.histogram) r.push_back(static_cast<double>(c));
    r.push_back(s.onGrid ? (*s.onGrid ? 1.0 : 0.0) : -1.0);
    r.push_back(static_cast<double>(s.offGridCount));
    r.push_back(static_cast<double>(s.offGridExamples.size()));
    for (float v : s.offGridExamples) r.push_back(v);
    if (!s.observesGrid) {
      r.push_back(0);
    } else if (!s.observedGrid) {
      r.push_back(1);
    } else {
      const GridSummary& g = *s.observedGrid;
      r.push_back(2);
      r.push_back(g.kind == Grid::Kind::PowerOfTwo ? 1 : g.kind == Grid::Kind::Custom ? 2 : 0);
      r.insert(r.end(), {static_cast<double>(g.bits), static_cast<double>(g.integer), g.isSigned ? 1.0 : 0.0, g.step,
                         static_cast<double>(g.steps.size())});
      r.insert(r.end(), g.steps.begin(), g.steps.end());
      r.insert(r.end(), {g.min, g.max, static_cast<double>(g.values.size())});
      r.insert(r.end(), g.values.begin(), g.values.end());
    }
    r.push_back(l.steps.is_null() ? 0 : 1);
    if (!l.steps.is_null()) steps.push_back(l.steps);
  }
  extras_ = steps.is_null() ? std::string() : steps.dump();
}

}  // namespace qkw
