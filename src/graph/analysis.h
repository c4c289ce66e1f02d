// Static quantization analysis: for every layer output, is it on a grid, which one, and why
// (semantics §0, §5). Answers "I quantized every layer to 4 bits; why are only the QConv2D
// outputs quantized?" without running the model; tensor_stats.h checks it against real data.
//
// A tensor is
//   quantized — an output quantizer ran (QActivation, or a Q-layer's activation= quantizer);
//   exact     — no quantizer ran, but the values provably lie on a finer dyadic grid (grid-
//               preserving layers, sums of dyadic values that float32 computes without rounding);
//   float     — neither; `reason` names the layer class and the fix.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graph/model.h"
#include "quant/quantizer.h"

namespace qkw {

// The value set of a tensor. Uniform grids are min + k*step (k integer); `steps` holds one step
// per last-axis channel when they differ by channel (then `step` is the finest of them).
struct GridSummary {
  Grid::Kind kind = Grid::Kind::Uniform;
  int bits = 0;     // bits of the value set (sign included when isSigned)
  int integer = 0;  // QKeras-style integer bits: step = 2^(integer - bits + isSigned)
  bool isSigned = false;
  double step = 0;             // Uniform only
  std::vector<double> steps;   // per last-axis channel, empty when all equal
  double min = 0;              // the true (or, for sums, the bounding) smallest and largest values
  double max = 0;
  std::vector<double> values;  // Custom grids: the sorted value set
};

struct TensorAnalysis {
  enum class Status { Quantized, Exact, Float };
  std::string name;       // the producing layer
  std::string className;
  Status status = Status::Float;
  std::optional<std::string> quantizer;  // str() of the quantizer that defines the grid
  std::optional<GridSummary> grid;       // null for float tensors and data-dependent quantizers
  std::optional<int> accumulatorBits;    // Dense/Conv family: signed bits of the integer accumulator
  std::string reason;                    // plain-words explanation (and the fix, for float tensors)
  std::optional<std::string> source;     // the layer whose quantizer defines a propagated grid
  std::vector<std::string> inputs;       // producing layer names
};

const char* statusName(TensorAnalysis::Status status);

// One entry per layer output, in execution order. `graph` is the normalized graph JSON the model
// was built from (model.h); the rules that depend on a layer's config (pool sizes, padding,
// ReLU/Rescaling parameters, QBatchNormalization's ignored activation=) read it from there.
// Without it those layers are classified conservatively (float, saying the config is missing).
std::vector<TensorAnalysis> analyzeModel(const Model& model, const nlohmann::json* graph = nullptr);

// {name, className, status, quantizer, grid: {kind, bits, integer, signed, step, steps?, min, max,
//  values?} | null, accumulatorBits, reason, source, inputs}
nlohmann::json toJson(const TensorAnalysis& analysis);
nlohmann::json toJson(const std::vector<TensorAnalysis>& analyses);
// {kind, bits, integer, signed, step, steps?, min, max, values?}, as in toJson(TensorAnalysis).
nlohmann::json toJson(const GridSummary& grid);

// ---- Building blocks, exposed for tests and for callers with their own graphs ----

// The largest power of two dividing v (v = k * 2^e, k odd); +inf for 0, NaN for non-finite.
double dyadicStep(double v);
// True when step is a (positive) power of two.
bool isPowerOfTwo(double step);
// "1/16", "2", "2^-30", or "%g" for non-dyadic steps.
std::string formatStep(double step);
// A grid summary for values min + k*step in [min, max] (bits/integer/signed derived).
GridSummary uniformGrid(double step, double min, double max);
// From a quantizer's fixed grid (Custom grids get their values from `quantizer`).
GridSummary gridFromQuantizer(const Grid& grid, const Quantizer* quantizer = nullptr);

// Exact bound of y[c] = sum_i w[i] * x[i] + b[c] for inputs x on the uniform grid `input` (any
// value of it at every position), per output channel c. `channelOf(i)` maps a kernel element to
// its output channel. `zeroTerms`: a term may also be 0 (padding), so each term's bound includes 0.
struct AccumulatorBound {
  std::vector<double> lo, hi;      // per channel, bias included
  std::vector<double> step;        // per channel: min(input step * kernel step, bias step)
  std::vector<double> absBound;    // per channel: bound of every partial sum's magnitude
  int accumulatorBits = 0;         // max over channels of ceil(log2(max|bound| / step + 1)) + 1
  int mantissaBits = 0;            // max over channels of bits needed by the partial sums / step
  bool fitsFloat32() const { return mantissaBits <= 24; }
};
struct KernelView {
  const Tensor* kernel = nullptr;
  int64_t channels = 0;
  int64_t innerStride = 1;  // element i belongs to channel (i / innerStride) % channels
};
AccumulatorBound boundLinear(const KernelView& kernel, const Tensor* bias, double inStep, double inMin, double inMax,
                             bool zeroTerms);
// Depthwise then pointwise (separable conv): the depthwise stage's per-channel ranges feed the
// pointwise kernel (in*dm, filters).
AccumulatorBound boundSeparable(const KernelView& depthwise, const Tensor& pointwise, const Tensor* bias,
                                double inStep, double inMin, double inMax);

}  // namespace qkw
