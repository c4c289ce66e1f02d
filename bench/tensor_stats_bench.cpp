// Per-layer trace statistics (graph/tensor_stats.h): computeStats against the plain reference on
// tensors shaped like a traced ENet's layers, plus the JSON the binding builds from them.
//   build/native/qkw_bench --benchmark_filter=Stats
// With QKW_STATS_DUMP=<prefix> it also times every layer of a dumped trace: <prefix>.json (an
// array of {shape, grid (analysis JSON or null), status}) and <prefix>.bin (the float32 outputs,
// concatenated in the same order).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>

#include "graph/tensor_stats.h"

namespace qkw {
namespace {

TensorAnalysis analysisOn(std::optional<GridSummary> grid) {
  TensorAnalysis a;
  a.status = grid ? TensorAnalysis::Status::Quantized : TensorAnalysis::Status::Float;
  a.grid = std::move(grid);
  return a;
}

// A 4-bit ReLU output: about half zeros, 16 levels.
Tensor quantizedRelu(int64_t n) {
  std::mt19937 rng(1);
  Tensor t({n / 32, 32});
  for (float& v : t.data) v = rng() % 2 ? 0.0f : static_cast<float>(rng() % 16) / 16;
  return t;
}
// A sum of quantized values on a 1/128 grid: a few hundred levels, per-channel steps.
Tensor exactSum(int64_t n) {
  std::mt19937 rng(2);
  Tensor t({n / 4, 4});
  for (float& v : t.data) v = static_cast<float>(static_cast<int>(rng() % 600) - 300) / 128;
  return t;
}
// A float (batch-normalized) tensor: thousands of distinct values.
Tensor floatFewDistinct(int64_t n) {
  std::mt19937 rng(3);
  Tensor t({n / 32, 32});
  for (float& v : t.data) v = static_cast<float>(static_cast<int>(rng() % 8000) - 3000) * 0.00137f;
  return t;
}
// Worst case: every value distinct.
Tensor floatRandom(int64_t n) {
  std::mt19937 rng(4);
  std::normal_distribution<float> d;
  Tensor t({n});
  for (float& v : t.data) v = d(rng);
  return t;
}

struct Case {
  Tensor (*make)(int64_t);
  std::optional<GridSummary> grid;
};

Case caseOf(int index) {
  switch (index) {
    case 0: return {quantizedRelu, uniformGrid(1.0 / 16, 0.0, 15.0 / 16)};
    case 1: {
      GridSummary g = uniformGrid(1.0 / 128, -8.0, 8.0);
      g.steps = {1.0 / 128, 1.0 / 64, 1.0 / 128, 1.0 / 32};
      return {exactSum, g};
    }
    case 2: return {floatFewDistinct, std::nullopt};
    default: return {floatRandom, std::nullopt};
  }
}
const char* caseName(int index) {
  static const char* names[] = {"quantized_relu_4bit", "exact_per_channel", "float_8k_distinct", "float_all_distinct"};
  return names[index];
}

template <TensorStats (*kStats)(const Tensor&, const TensorAnalysis*, int)>
void BM_Stats(benchmark::State& state) {
  const int index = static_cast<int>(state.range(0));
  const Case c = caseOf(index);
  const Tensor t = c.make(state.range(1));
  const TensorAnalysis a = analysisOn(c.grid);
  for (auto _ : state) benchmark::DoNotOptimize(kStats(t, &a, 16));
  state.SetLabel(caseName(index));
  state.SetItemsProcessed(state.iterations() * state.range(1));
}
BENCHMARK_TEMPLATE(BM_Stats, computeStats)->ArgsProduct({{0, 1, 2, 3}, {256, 291840, 1 << 20}});
BENCHMARK_TEMPLATE(BM_Stats, computeStatsReference)->ArgsProduct({{0, 1, 2, 3}, {256, 291840}});

// The binding's per-layer cost besides the statistics: the JSON object and its text.
void BM_StatsJson(benchmark::State& state) {
  const Tensor t = quantizedRelu(256);
  const TensorAnalysis a = analysisOn(uniformGrid(1.0 / 16, 0.0, 15.0 / 16));
  const TensorStats s = computeStats(t, &a, 16);
  for (auto _ : state) benchmark::DoNotOptimize(toJson(s).dump());
}
BENCHMARK(BM_StatsJson);

// ---- A dumped trace (QKW_STATS_DUMP) ----

std::optional<GridSummary> gridFromJson(const qkw::Json& j) {
  if (j.is_null()) return std::nullopt;
  GridSummary g;
  const std::string kind = j.value("kind", "uniform");
  g.kind = kind == "uniform" ? Grid::Kind::Uniform : kind == "custom" ? Grid::Kind::Custom : Grid::Kind::PowerOfTwo;
  g.step = j.value("step", 0.0);
  g.min = j.value("min", 0.0);
  g.max = j.value("max", 0.0);
  if (j.contains("steps") && j["steps"].is_array()) g.steps = j["steps"].get<std::vector<double>>();
  if (j.contains("values") && j["values"].is_array()) g.values = j["values"].get<std::vector<double>>();
  return g;
}

struct Dump {
  std::vector<Tensor> tensors;
  std::vector<TensorAnalysis> analyses;
};

const Dump* loadDump() {
  static const Dump* dump = [] () -> const Dump* {
    const char* prefix = std::getenv("QKW_STATS_DUMP");
    if (!prefix) return nullptr;
    std::ifstream meta(std::string(prefix) + ".json");
    std::ifstream bin(std::string(prefix) + ".bin", std::ios::binary);
    if (!meta || !bin) return nullptr;
    auto* d = new Dump;
    const std::string metaText((std::istreambuf_iterator<char>(meta)), std::istreambuf_iterator<char>());
    for (const auto& layer : qkw::Json::parse(metaText)) {
      Tensor t(layer["shape"].get<Shape>());
      bin.read(reinterpret_cast<char*>(t.data.data()), static_cast<std::streamsize>(t.data.size() * sizeof(float)));
      TensorAnalysis a = analysisOn(gridFromJson(layer["grid"]));
      if (layer.value("status", "") == "float") a.status = TensorAnalysis::Status::Float;
      if (layer.value("status", "") == "exact") a.status = TensorAnalysis::Status::Exact;
      d->tensors.push_back(std::move(t));
      d->analyses.push_back(std::move(a));
    }
    return d;
  }();
  return dump;
}

template <TensorStats (*kStats)(const Tensor&, const TensorAnalysis*, int)>
void BM_StatsDumpedTrace(benchmark::State& state) {
  const Dump* d = loadDump();
  if (!d) {
    state.SkipWithError("set QKW_STATS_DUMP=<prefix> to time a dumped trace");
    return;
  }
  int64_t values = 0;
  for (const Tensor& t : d->tensors) values += t.size();
  for (auto _ : state) {
    for (size_t i = 0; i < d->tensors.size(); ++i) {
      const TensorStats s = kStats(d->tensors[i], &d->analyses[i], 16);
      if (state.range(0)) {
        benchmark::DoNotOptimize(toJson(s).dump());
      } else {
        benchmark::DoNotOptimize(s);
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * values);
  state.SetLabel(state.range(0) ? "with JSON" : "stats only");
}
BENCHMARK_TEMPLATE(BM_StatsDumpedTrace, computeStats)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_StatsDumpedTrace, computeStatsReference)->Arg(0)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace qkw
