// Observed per-layer statistics (tensor_stats.h).
#include "graph/tensor_stats.h"

#include <algorithm>
#include <cmath>

namespace qkw {

namespace {

// Steps that are not powers of two (numeric alphas) are not exact in binary: allow for the
// rounding of v / step.
bool isIntegerMultiple(double v, double step) {
  const double k = v / step;
  const double r = std::nearbyint(k);
  if (isPowerOfTwo(step)) return k == r;
  return std::fabs(k - r) <= 1e-6 * std::max(1.0, std::fabs(k));
}

}  // namespace

bool isOnGrid(float value, const GridSummary& grid, int64_t channel) {
  if (!std::isfinite(value)) return false;
  const double v = value == 0.0f ? 0.0 : static_cast<double>(value);  // -0 counts as 0
  if (v < grid.min || v > grid.max) return false;
  switch (grid.kind) {
    case Grid::Kind::PowerOfTwo: {
      if (v == 0) return true;
      return isPowerOfTwo(std::fabs(v));
    }
    case Grid::Kind::Custom:
      return std::binary_search(grid.values.begin(), grid.values.end(), v);
    default:
      break;
  }
  if (!grid.steps.empty() && channel >= 0 && channel < static_cast<int64_t>(grid.steps.size())) {
    // Per-channel steps come from sums: multiples of the channel's step.
    const double step = grid.steps[static_cast<size_t>(channel)];
    return step > 0 && isIntegerMultiple(v, step);
  }
  if (!(grid.step > 0)) return false;
  // The lattice is min + k*step; QKeras grids put 0 on it except the sign grids ({-1, +1}, step 2).
  const bool zeroOrigin = isIntegerMultiple(grid.min, grid.step);
  return isIntegerMultiple(zeroOrigin ? v : v - grid.min, grid.step);
}

TensorStats computeStats(const Tensor& t, const TensorAnalysis* analysis, int histogramBins) {
  TensorStats s;
  const float* data = t.data.data();
  const int64_t n = t.size();
  s.count = n;

  const GridSummary* grid =
      analysis && analysis->status != TensorAnalysis::Status::Float && analysis->grid ? &*analysis->grid : nullptr;
  const int64_t lastDim = t.shape.empty() ? 1 : std::max<int64_t>(1, t.shape.back());
  const bool perChannel = grid && !grid->steps.empty() && static_cast<int64_t>(grid->steps.size()) == lastDim;

  double lo = INFINITY, hi = -INFINITY;
  double finiteLo = INFINITY, finiteHi = -INFINITY;
  double sum = 0;
  int64_t finiteCount = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float v = data[i];
    if (std::isnan(v)) {
      ++s.nanCount;
    } else {
      lo = std::min(lo, static_cast<double>(v));
      hi = std::max(hi, static_cast<double>(v));
      if (std::isinf(v)) {
        ++s.infCount;
      } else {
        finiteLo = std::min(finiteLo, static_cast<double>(v));
        finiteHi = std::max(finiteHi, static_cast<double>(v));
        sum += v;
        ++finiteCount;
      }
    }
    if (grid && !isOnGrid(v, *grid, perChannel ? i % lastDim : -1)) {
      if (s.offGridExamples.size() < kMaxOffGridExamples) s.offGridExamples.push_back(v);
      ++s.offGridCount;
    }
  }
  const bool anyValue = n > s.nanCount;
  s.min = anyValue ? lo : 0;
  s.max = anyValue ? hi : 0;
  s.mean = finiteCount > 0 ? sum / static_cast<double>(finiteCount) : 0;
  if (grid) s.onGrid = s.offGridCount == 0;

  // Distinct values: sort one reused scratch copy (NaN left out, -0 folded into 0).
  thread_local std::vector<float> scratch;
  scratch.clear();
  scratch.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float v = data[i];
    if (!std::isnan(v)) scratch.push_back(v == 0.0f ? 0.0f : v);
  }
  std::sort(scratch.begin(), scratch.end());
  s.distinct = static_cast<int64_t>(std::unique(scratch.begin(), scratch.end()) - scratch.begin());
  if (scratch.capacity() > (size_t{1} << 24)) std::vector<float>().swap(scratch);  // do not pin huge buffers

  const int bins = std::max(1, histogramBins);
  s.histogram.assign(static_cast<size_t>(bins), 0);
  if (finiteCount > 0) {
    s.histogramMin = finiteLo;
    s.histogramMax = finiteHi;
    const double width = finiteHi - finiteLo;
    for (int64_t i = 0; i < n; ++i) {
      const float v = data[i];
      if (!std::isfinite(v)) continue;
      int64_t b = 0;
      if (width > 0) {
        b = static_cast<int64_t>(std::floor((static_cast<double>(v) - finiteLo) / width * bins));
        b = std::min<int64_t>(std::max<int64_t>(b, 0), bins - 1);
      }
      ++s.histogram[static_cast<size_t>(b)];
    }
  }
  return s;
}

nlohmann::json toJson(const TensorStats& s) {
  using nlohmann::json;
  auto number = [](double v) { return std::isfinite(v) ? json(v) : json(v > 0 ? "inf" : "-inf"); };
  json j;
  j["count"] = s.count;
  j["nanCount"] = s.nanCount;
  j["infCount"] = s.infCount;
  j["min"] = number(s.min);
  j["max"] = number(s.max);
  j["mean"] = s.mean;
  j["distinct"] = s.distinct;
  j["histogram"] = {{"min", s.histogramMin}, {"max", s.histogramMax}, {"counts", s.histogram}};
  j["onGrid"] = s.onGrid ? json(*s.onGrid) : json(nullptr);
  j["offGridCount"] = s.offGridCount;
  json examples = json::array();
  for (float v : s.offGridExamples) examples.push_back(std::isfinite(v) ? json(v) : json(std::isnan(v) ? "NaN" : (v > 0 ? "inf" : "-inf")));
  j["offGridExamples"] = examples;
  return j;
}

}  // namespace qkw
