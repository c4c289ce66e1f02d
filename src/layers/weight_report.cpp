#include "layers/weight_report.h"

#include <cmath>
#include <optional>

namespace qkw {

namespace {

// The grid the quantizer's values are a per-channel multiple of: its own fixed grid, or for
// auto/auto_po2 alphas the same quantizer with alpha=1 (values = scale * that grid).
std::optional<Grid> unitGrid(const Quantizer& q, bool* scaled) {
  *scaled = false;
  if (std::optional<Grid> g = q.grid()) return g;
  json config = q.config();
  if (!config.is_object() || !config.contains("alpha") || !config["alpha"].is_string()) return std::nullopt;
  config["alpha"] = 1;
  try {
    QuantizerPtr unit = makeQuantizer(json{{"class_name", q.className()}, {"config", config}});
    *scaled = true;
    return unit->grid();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

WeightQuantizationReport quantizeWeightReporting(const Quantizer& q, Tensor& w) {
  WeightQuantizationReport report;
  const std::vector<float> x = w.data;
  q.apply(w.data.data(), w.data.data(), w.shape, &report.scale);
  bool scaled = false;
  const std::optional<Grid> grid = unitGrid(q, &scaled);
  if (!grid || grid->kind == Grid::Kind::Custom) return report;
  const size_t n = x.size();
  const size_t scales = report.scale.values.size();
  const size_t last = w.shape.empty() ? 1 : static_cast<size_t>(w.shape.back());
  if (scaled && !(scales == 1 || scales == n || (last > 0 && scales == last))) return report;
  int64_t clipped = 0;
  for (size_t i = 0; i < n; ++i) {
    double s = 1;
    if (scaled) s = report.scale.values[scales == 1 ? 0 : scales == n ? i : i % last];
    const double v = x[i];
    if (grid->kind == Grid::Kind::PowerOfTwo) {
      const double top = std::max(std::fabs(grid->min), std::fabs(grid->max)) * s;
      if (std::fabs(v) > top * std::sqrt(2.0)) ++clipped;
    } else {
      const double half = grid->step * s / 2;
      if (v > grid->max * s + half || v < grid->min * s - half) ++clipped;
    }
  }
  report.clipped = clipped;
  return report;
}

}  // namespace qkw
