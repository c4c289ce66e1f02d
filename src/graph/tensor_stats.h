// Observed statistics of one traced layer output, checked against the static analysis: is every
// value really on the grid the analysis predicts? Runs on every traced layer, so it is O(n) with
// small constants: one classifying pass over the data (NaN/inf, on-grid check, and either a count
// per grid level or the value's key), then everything else (distinct, min/max, mean, histogram)
// from the distinct values and their counts. Scratch memory is thread_local and reused.
#pragma once
#include <optional>
#include <vector>

#include "core/json.h"

#include "core/tensor.h"
#include "graph/analysis.h"

namespace qkw {

struct TensorStats {
  int64_t count = 0;     // all values, NaN included
  int64_t nanCount = 0;  // NaN values (excluded from min/max/mean/distinct/histogram)
  int64_t infCount = 0;  // ±inf values (included in min/max, excluded from mean and histogram)
  double min = 0;
  double max = 0;
  double mean = 0;         // over finite values, accumulated in double
  int64_t distinct = 0;    // distinct non-NaN values (-0 == 0)
  std::vector<int64_t> histogram;  // equal-width bins over [min, max] of the finite values
  double histogramMin = 0;
  double histogramMax = 0;
  // Against the analysis grid: nullopt when there is no fixed grid (float tensors, data-dependent
  // quantizers, no analysis given).
  std::optional<bool> onGrid;
  int64_t offGridCount = 0;
  std::vector<float> offGridExamples;  // the first few offending values, in tensor order
  // Model inputs only (float to the analysis: nothing in the model quantizes them): the grid the
  // data was observed on, i.e. the finest power-of-two step dividing every value, when its
  // levels fit in kMaxObservedGridBits (e.g. pixels/256: 8 bits, step 1/256). onGrid is then
  // true; without such a grid (pixels/255, NaN, inf, all zeros) it stays null.
  bool observesGrid = false;
  std::optional<GridSummary> observedGrid;
};

constexpr int kMaxObservedGridBits = 16;

constexpr size_t kMaxOffGridExamples = 8;

// v is on `grid` for channel `channel` (last axis; only used with per-channel steps).
bool isOnGrid(float v, const GridSummary& grid, int64_t channel);

TensorStats computeStats(const Tensor& t, const TensorAnalysis* analysis, int histogramBins = 16);

// The definition computeStats must match field for field: plain per-element loops and a sort.
// For tests only.
TensorStats computeStatsReference(const Tensor& t, const TensorAnalysis* analysis, int histogramBins = 16);

// {count, nanCount, infCount, min, max, mean, distinct, histogram: {min, max, counts},
//  onGrid: bool|null, offGridCount, offGridExamples, observedGrid?: grid|null (model inputs)}
qkw::Json toJson(const TensorStats& stats);

}  // namespace qkw
