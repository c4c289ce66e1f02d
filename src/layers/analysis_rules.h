// What a layer's output rule (Layer::analyzeOutput) works with: the facts about a tensor
// (TensorAnalysis), the context the model-wide pass (src/graph/analysis.h) hands each layer (its
// inputs' facts and shapes), and the result builders and rules several layers share. Each layer
// states its own rule in its own file, next to its forward().
//
// A tensor is
//   quantized — an output quantizer ran (QActivation, or a Q-layer's activation= quantizer);
//   exact     — no quantizer ran, but the values provably lie on a finer dyadic grid (grid-
//               preserving layers, sums of dyadic values that float32 computes without rounding);
//   float     — neither; `reason` names the layer class and the fix.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "layers/grid_arithmetic.h"
#include "layers/layer.h"

namespace qkw {

class QuantizedLayer;

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

// One layer's view of the analysis so far: its inputs' facts (never null, in inbound order) and
// shapes (without the batch axis), and builders that fill the result's name, class and inputs.
class AnalysisContext {
 public:
  AnalysisContext(std::string name, std::string className, std::vector<std::string> inbound,
                  std::vector<const TensorAnalysis*> inputs, std::vector<Shape> inputShapes);

  const std::string& name() const { return name_; }
  const std::string& className() const { return className_; }
  size_t inputCount() const { return inputs_.size(); }
  const TensorAnalysis& input(size_t i = 0) const { return *inputs_.at(i); }
  const Shape& inputShape(size_t i = 0) const { return inputShapes_.at(i); }
  // The first float input, if any.
  const TensorAnalysis* firstFloatInput() const;

  // ---- Results ----
  TensorAnalysis floatResult(std::string reason) const;
  // "float because its input 'x' is float (what)".
  TensorAnalysis floatBecauseInput(const TensorAnalysis& in, const std::string& what) const;
  TensorAnalysis exactResult(GridSummary grid, std::string reason, const std::string& source) const;
  // The output of `q` (slotText: "activation " for a Q-layer's activation=, "" for QActivation).
  TensorAnalysis quantizedBy(const QuantizerPtr& q, const std::string& slotText) const;

  // ---- Rules shared by several layers ----
  // Grid-preserving layers: the output values are a subset of the first input's (what: why).
  // keepChannels: per-channel steps survive (false when values move across the last axis).
  TensorAnalysis carry(const std::string& what, bool keepChannels) const;
  // max(x, 0), clipped at maxValue: the input's grid where 0 (and maxValue) lie on its lattice.
  TensorAnalysis relu(const std::string& what, std::optional<double> maxValue) const;

 private:
  TensorAnalysis base() const;

  std::string name_;
  std::string className_;
  std::vector<std::string> inbound_;
  std::vector<const TensorAnalysis*> inputs_;
  std::vector<Shape> inputShapes_;
};

// The layer whose quantizer defines a tensor's grid (the tensor's own name when it has none).
std::string sourceOf(const TensorAnalysis& t);
// Quantized or exact, on a fixed uniform grid whose step (and offset) are powers of two.
bool isUniformDyadic(const TensorAnalysis& t);
// 'text'
std::string quote(const std::string& s);
// "kernel_quantizer quantized_bits(4,0,1), bias_quantizer ..." (weightsOnly: without activation).
std::string quantizerSlotsText(const std::vector<QuantizerSlot>& slots, bool weightsOnly);

// The Dense/Conv family: y = activation(sum_i w[i] * x[i] + b). `bound` gives the layer's exact
// accumulator bound for inputs on the uniform grid (step, min, max); `sumName` is "dot product"
// or "convolution". The output is the activation quantizer's grid, or the exact sums' grid when
// float32 computes them without rounding (and a float ReLU keeps it), or float.
using AccumulatorBoundFor = std::function<AccumulatorBound(double inStep, double inMin, double inMax)>;
TensorAnalysis linearOutputRule(const AnalysisContext& ctx, const QuantizedLayer& layer, const std::string& sumName,
                                const AccumulatorBoundFor& bound);

}  // namespace qkw
