// The trace statistics against their reference twin (tensor_stats_self_test.h).
#include "tensor_stats_self_test.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "graph/tensor_stats.h"

namespace qkw {

namespace {

uint64_t bitsOf(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

uint32_t bitsOf(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// The first field where the two differ (doubles compared bit for bit), or null.
const char* firstDifference(const TensorStats& a, const TensorStats& b) {
  if (a.count != b.count) return "count";
  if (a.nanCount != b.nanCount) return "nanCount";
  if (a.infCount != b.infCount) return "infCount";
  if (bitsOf(a.min) != bitsOf(b.min)) return "min";
  if (bitsOf(a.max) != bitsOf(b.max)) return "max";
  if (bitsOf(a.mean) != bitsOf(b.mean)) return "mean";
  if (a.distinct != b.distinct) return "distinct";
  if (a.histogram != b.histogram) return "histogram";
  if (bitsOf(a.histogramMin) != bitsOf(b.histogramMin) || bitsOf(a.histogramMax) != bitsOf(b.histogramMax)) return "histogram range";
  if (a.onGrid != b.onGrid) return "onGrid";
  if (a.offGridCount != b.offGridCount) return "offGridCount";
  if (a.offGridExamples.size() != b.offGridExamples.size()) return "offGridExamples";
  for (size_t i = 0; i < a.offGridExamples.size(); ++i)
    if (bitsOf(a.offGridExamples[i]) != bitsOf(b.offGridExamples[i])) return "offGridExamples";
  if (a.observesGrid != b.observesGrid || a.observedGrid.has_value() != b.observedGrid.has_value()) return "observedGrid";
  if (a.observedGrid && (a.observedGrid->step != b.observedGrid->step || a.observedGrid->min != b.observedGrid->min ||
                         a.observedGrid->max != b.observedGrid->max || a.observedGrid->bits != b.observedGrid->bits))
    return "observedGrid";
  return nullptr;
}

// xorshift32: the same sequence everywhere.
struct Rng {
  uint32_t state;
  uint32_t operator()() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
  double unit() { return (*this)() * 0x1p-32; }  // [0, 1)
};

struct Case {
  const char* name;
  std::optional<GridSummary> grid;
  int64_t lastDim;
};

GridSummary perChannel(std::vector<double> steps, double min, double max) {
  double finest = steps[0];
  for (double s : steps) finest = std::min(finest, s);
  GridSummary g = uniformGrid(finest, min, max);
  g.steps = std::move(steps);
  return g;
}

std::vector<Case> cases() {
  std::vector<Case> c;
  c.push_back({"float", std::nullopt, 1});
  c.push_back({"unsigned 4-bit", uniformGrid(1.0 / 16, 0.0, 15.0 / 16), 1});
  c.push_back({"unsigned 8-bit (a quantized ReLU)", uniformGrid(1.0 / 64, 0.0, 255.0 / 64), 1});
  c.push_back({"signed 8-bit", uniformGrid(1.0 / 64, -2.0, 127.0 / 64), 1});
  c.push_back({"integer steps", uniformGrid(4.0, -64.0, 60.0), 1});
  c.push_back({"sign grid", uniformGrid(2.0, -1.0, 1.0), 1});
  c.push_back({"offset grid", uniformGrid(0.5, 0.25, 7.75), 1});
  c.push_back({"sparse accumulator (levels a few times the values)", uniformGrid(1.0 / 2048, -32.0, 32.0), 1});
  c.push_back({"wide accumulator (too many levels)", uniformGrid(0x1p-20, -4096.0, 4096.0), 1});
  c.push_back({"non-power-of-two step", uniformGrid(0.1, -1.0, 1.0), 1});
  c.push_back({"per-channel", perChannel({0.5, 1.0 / 8, 1.0 / 4}, -4.0, 4.0), 3});
  GridSummary po2;
  po2.kind = Grid::Kind::PowerOfTwo;
  po2.min = -8;
  po2.max = 8;
  c.push_back({"power-of-two grid", po2, 1});
  GridSummary custom;
  custom.kind = Grid::Kind::Custom;
  custom.values = {-1.0, -0.25, 0.0, 0.125, 0.5, 1.0};
  custom.min = -1;
  custom.max = 1;
  c.push_back({"custom grid", custom, 1});
  return c;
}

float special(Rng& rng, const GridSummary* g) {
  switch (rng() % 9) {
    case 0: return std::numeric_limits<float>::quiet_NaN();
    case 1: return INFINITY;
    case 2: return -INFINITY;
    case 3: return -0.0f;
    case 4: return std::numeric_limits<float>::denorm_min() * static_cast<float>(1 + rng() % 3);
    case 5: return (rng() % 2 ? 1 : -1) * 3e30f;
    case 6: return static_cast<float>(rng() % 2000) / 97.0f - 10.0f;  // off any dyadic grid
    case 7: return g ? static_cast<float>(g->max + (g->kind == Grid::Kind::Uniform ? g->step : 1)) : 1.5f;
    default: return g ? static_cast<float>(g->min - (g->kind == Grid::Kind::Uniform ? g->step : 1)) : -1.5f;
  }
}

std::vector<float> values(Rng& rng, const Case& c, size_t n, double specialRate, size_t spread) {
  auto unit = [&rng](Rng&) { return rng.unit(); };
  const GridSummary* g = c.grid ? &*c.grid : nullptr;
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    float v;
    if (unit(rng) < specialRate) {
      v = special(rng, g);
    } else if (!g) {
      v = static_cast<float>(static_cast<int>(rng() % spread) - static_cast<int>(spread / 3)) / 8.0f;
      if (rng() % 4 == 0) v *= 0.7f;
    } else if (g->kind == Grid::Kind::Custom) {
      v = static_cast<float>(g->values[rng() % g->values.size()]);
    } else if (g->kind == Grid::Kind::PowerOfTwo) {
      v = (rng() % 2 ? 1.0f : -1.0f) * std::ldexp(1.0f, static_cast<int>(rng() % 8) - 4);
    } else {
      const double step = g->steps.empty() ? g->step : g->steps[i % g->steps.size()];
      const double levels = std::floor((g->max - g->min) / step);
      // A few values (a ReLU's zeros) or many: `spread` picks how many levels are used.
      const double used = std::min(levels + 1, static_cast<double>(spread));
      const double start = std::floor((levels + 1 - used) / 2);
      v = static_cast<float>(g->min + step * (start + std::floor(unit(rng) * used)));
    }
    out[i] = v;
  }
  return out;
}

}  // namespace

StatsSelfTestResult runStatsSelfTest(uint32_t seed, int rounds) {
  StatsSelfTestResult r;
  Rng rng{seed * 2654435761u + 1};
  const std::vector<Case> all = cases();
  const size_t sizes[] = {0, 1, 3, 4, 5, 255, 256, 257, 1023, 4099, 20000};
  const size_t spreads[] = {2, 60, 5000, 100000};
  const double rates[] = {0.0, 0.001, 0.2};
  for (int round = 0; round < rounds; ++round) {
    const Case& c = all[rng() % all.size()];
    const size_t rows = sizes[rng() % (sizeof sizes / sizeof sizes[0])];
    const size_t spread = spreads[rng() % (sizeof spreads / sizeof spreads[0])];
    const double rate = rates[rng() % (sizeof rates / sizeof rates[0])];
    const int bins = static_cast<int>(1 + rng() % 40);
    const TensorAnalysis::Status status =
        rng() % 3 == 0 ? TensorAnalysis::Status::Exact : rng() % 2 ? TensorAnalysis::Status::Quantized : TensorAnalysis::Status::Float;
    TensorAnalysis a;
    a.name = "t";
    a.status = status;
    a.grid = c.grid;
    if (rng() % 8 == 0) {  // a model input: float to the analysis, its observed grid reported
      a.className = "InputLayer";
      a.status = TensorAnalysis::Status::Float;
    }
    Tensor t({static_cast<int64_t>(rows), c.lastDim}, values(rng, c, rows * static_cast<size_t>(c.lastDim), rate, spread));
    const char* diff = firstDifference(computeStats(t, &a, bins), computeStatsReference(t, &a, bins));
    ++r.cases;
    r.values += t.size();
    if (diff && r.failures.size() < 20)
      r.failures.push_back(std::string(c.name) + ", round " + std::to_string(round) + ", " + std::to_string(t.size()) +
                           " values: " + diff);
  }
  return r;
}

}  // namespace qkw
