// Value sets of tensors and the exact arithmetic on them that the static quantization analysis
// uses (src/graph/analysis.h): dyadic steps, uniform grids, and exact bounds of the sums a
// Dense/Conv layer accumulates. Pure functions of numbers and weights: no layer, no graph.
// Each layer's output rule (Layer::analyzeOutput, layers/analysis_rules.h) is written with these.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
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

// ---- Helpers of the output rules ----

// float32 computes a sum or product of dyadic values exactly when it needs at most this many bits.
constexpr int kFloat32Mantissa = 24;
// Unsigned bits needed to count up to `magnitude` (an integer count of steps); INT_MAX for inf/NaN.
int bitsForMagnitude(double magnitude);
// Bits of the odd part of a float's significand (1 for powers of two, 0 for 0).
int significandBits(double v);
// The step every value of a uniform grid is a multiple of: min + k*step with min off the
// lattice (sign grids {-1, +1}, step 2) are multiples of the finer of step and min's own step.
double sumStep(const GridSummary& g);
// The value set of an exact accumulator (per-channel steps kept when they differ).
GridSummary gridFromBound(const AccumulatorBound& b);
// ReLU of a grid (clipped at maxValue): nullopt when the result leaves the grid's lattice.
std::optional<GridSummary> reluOfGrid(const GridSummary& g, std::optional<double> maxValue);
// A number as the reasons print it (10 significant digits).
std::string formatNumber(double v);
// "4-bit signed, step 1/8, range [-1, 0.875]" and the like.
std::string describeGrid(const GridSummary& g);

}  // namespace qkw
