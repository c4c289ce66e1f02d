// One Keras/QKeras layer at inference. Each layer's math lives in one file in src/layers/
// (its semantics: ../shared/qkeras/semantics.md §4); the inner loops it calls live in
// src/kernels/ as plain reference kernels (and, later, optimized variants checked against them).
//
// Life cycle: a factory builds the layer from its Keras config and weights (all weight
// quantization and folding happens there, once), the planner asks for output shapes, then
// prepare() gets what the static analysis proved about the layer's inputs and chooses its kernel
// (packing weights for it once), and forward() runs per predict without allocating.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/tensor.h"
#include "quant/quantizer.h"

namespace qkw {

struct TensorAnalysis;   // layers/analysis_rules.h
class AnalysisContext;   // layers/analysis_rules.h

// A weight as the file stores it. `role` is the variable's short name ("kernel", "bias",
// "gamma", "moving_mean", "depthwise_kernel", "iteration", ...): the last component of the
// HDF5 weight name without ":0". It is empty for formats that only store positions (Keras 3
// .keras files): then `index` (the position in the layer's variable list) is what counts.
struct WeightInput {
  std::string role;
  int index = 0;
  Tensor tensor;
};

// A quantizer a layer holds, for summaries and the quantization analysis.
// What a weight slot's quantizer did to the float weights at load time (model.weights()):
// QKeras's scale (quantizer.scale of the auto/auto_po2 paths, else empty) and how many float
// weights lay beyond the grid's end by more than half a step, i.e. were changed by the clip
// (-1 when the quantizer has no grid to tell). Filled by quantizeWeightReporting().
struct WeightQuantizationReport {
  int64_t clipped = -1;
  ScaleInfo scale;
};

// A quantizer a layer holds, for summaries and the quantization analysis.
struct QuantizerSlot {
  QuantizerSlot() = default;
  QuantizerSlot(std::string slotName, QuantizerPtr q, std::optional<WeightQuantizationReport> r = std::nullopt)
      : slot(std::move(slotName)), quantizer(std::move(q)), report(std::move(r)) {}

  std::string slot;       // "kernel_quantizer", "activation", "gamma_quantizer", ...
  QuantizerPtr quantizer;
  std::optional<WeightQuantizationReport> report;  // weight slots quantized at load time
};

// Something QKeras silently does that the model follows to stay exact, named for the user
// (model.warnings in JS). `code` is a stable identifier ("quantizer-string", "ignored-setting",
// "non-finite-weights", "dropout-rate", "call-history").
struct ModelWarning {
  std::string layer;
  std::string code;
  std::string message;
};

// Everything a factory gets: the layer's Keras config, its weights, and global options.
struct LayerContext {
  std::string name;
  std::string className;
  const nlohmann::json& config;
  std::vector<WeightInput> weights;
  QuantizerOptions quantizerOptions;  // sigmoid mode / qnoise override (weightSlot is per slot)
  std::vector<ModelWarning>* warnings = nullptr;  // where warn() records (Model::build sets it)

  // Records a warning naming this layer (no-op without a sink, e.g. in unit tests of a layer).
  void warn(const std::string& code, const std::string& message) const {
    if (warnings) warnings->push_back({name, code, message});
  }

  // Looks a weight up by role, or by position in `order` when the file has no names.
  // Throws a qkw::Error naming the layer and the weight when it is missing.
  const Tensor& weight(const std::string& role, const std::vector<std::string>& order) const;
  const Tensor* optionalWeight(const std::string& role, const std::vector<std::string>& order) const;
  // Weights the factory never asked for, nor listed in an `order` (those are stored variables the
  // layer knows, e.g. a folded layer's iteration counter): the file has weights the config does
  // not use. One line each, for the error that names them.
  std::vector<std::string> unusedWeights() const;
  // A wrapper (TimeDistributed, Bidirectional, RNN(cell)) built its inner layer from `inner`, a
  // context over this one's weights: this context's unused weights are then the inner ones'.
  void adoptUsage(const LayerContext& inner) const;
  // Config accessors that fill Keras defaults and name the layer and key in errors.
  const nlohmann::json* find(const std::string& key) const;
  std::string errorPrefix() const { return "layer '" + name + "' (" + className + "): "; }

  mutable std::vector<std::string> knownRoles_{};   // every role of every `order` looked up
  mutable size_t knownPositions_ = 0;            // the longest `order` looked up
  mutable bool delegated_ = false;                // adoptUsage() was called: unusedByInner_ decides
  mutable std::vector<std::string> unusedByInner_{};
};

// What the static analysis (graph/analysis.h) proved about one input of a layer, for prepare().
struct InputFacts {
  bool onUniformGrid = false;  // every value is k * step (k integer) within [min, max], step a power of two
  std::string why;             // when not: the reason, in plain words ("input 'x' is float")
  int bits = 0;
  bool isSigned = false;
  double step = 0, min = 0, max = 0;
};

// The analysis' bound (AccumulatorBound) of the partial sums of a linear kernel over the input's
// grid, without bias (the bias is added to the finished sum as a separate float32 op).
struct AccumulatorFacts {
  int mantissaBits = 0;     // bits of grid units every partial sum needs; <= 24: exact in float32
  int accumulatorBits = 0;  // signed bits of the integer accumulator
};
// kernel elements i belong to output channel (i / innerStride) % channels (analysis KernelView);
// zeroTerms: a term may be 0 (padding).
using AccumulatorBoundFn =
    std::function<AccumulatorFacts(const Tensor& kernel, int64_t channels, int64_t innerStride, bool zeroTerms)>;

// Depthwise (channels as in AccumulatorBoundFn) then pointwise (in*dm, filters) without bias: the
// analysis' boundSeparable, whose mantissaBits cover both stages' partial sums.
using SeparableBoundFn =
    std::function<AccumulatorFacts(const Tensor& depthwise, int64_t channels, const Tensor& pointwise)>;

struct PrepareContext {
  std::vector<Shape> inputShapes;       // without the batch axis
  std::vector<InputFacts> inputs;       // one per input
  AccumulatorBoundFn accumulatorBound;  // over inputs[0]'s grid; empty when it is not on one
  SeparableBoundFn separableBound;      // likewise
  bool integerKernels = true;           // ModelOptions::integerKernels
};

// The kernel a layer runs (XNNPACK-style name: datatype_op_tile_isa), and why the float path
// was kept when an integer kernel was possible in principle.
struct KernelChoice {
  std::string kernel;  // empty: the layer has no kernel of its own (reshape, pooling, ...)
  std::string reason;  // empty when nothing needs explaining
};

class Layer {
 public:
  virtual ~Layer() = default;

  const std::string& name() const { return name_; }
  const std::string& className() const { return className_; }

  // Output shape without the batch axis, from the input shapes without the batch axis.
  // Throws qkw::Error naming the layer when the inputs do not fit.
  virtual Shape outputShape(const std::vector<Shape>& inputShapes) const = 0;

  // Elements per batch sample of any intermediate tensor forward() allocates itself (e.g. the
  // depthwise result of a separable conv), for the same input shapes; the model bounds it by
  // Limits::maxTensorElements like an output. 0 when the layer allocates none.
  virtual int64_t scratchElementsPerSample(const std::vector<Shape>& /*inputShapes*/) const { return 0; }

  // Computes the output. Input and output tensors include the batch axis; `output` is
  // already sized by the planner (shape and data).
  virtual void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const = 0;

  // Called once after shape inference with the analysis' facts: chooses the kernel, packs the
  // weights it reads and precomputes its epilogue. forward() must give the same bits with or
  // without it. The default has nothing to choose.
  virtual KernelChoice prepare(const PrepareContext& context) { (void)context; return {}; }

  // The quantizers this layer holds, in QKeras's get_quantizers() spirit.
  virtual std::vector<QuantizerSlot> quantizers() const { return {}; }
  // Fused elementwise epilogue (graph/model.cpp planElementwiseFusion). A layer that computes
  // each output element from the same-position input element alone, channels-last, returns a
  // short tag ("bn", "relu", "quantized_relu") for `inputShape` (without batch); then
  // applyElementwiseInPlace(data, count, channels) must give exactly forward()'s bits on `count`
  // elements (a whole number of channel rows, starting at a row) overwritten in place. "" (the
  // default): not fusable.
  virtual std::string elementwiseFusionTag(const Shape& inputShape) const { (void)inputShape; return ""; }
  virtual void applyElementwiseInPlace(float* data, int64_t count, int64_t channels) const {
    (void)data, (void)count, (void)channels;
  }

  // The quantizer that puts this layer's output on a grid (activation= of a Q-layer, or a
  // QActivation), or nullptr when the output is float.
  virtual QuantizerPtr outputQuantizer() const { return nullptr; }
  // True for layers that never change values (Dropout, Flatten, Reshape, ...).
  virtual bool isIdentityOnValues() const { return false; }

  // The weights exactly as forward() uses them (quantized, folded, masked), for the converted
  // format. A factory whose config has "qkw_effective_weights": true receives these back under
  // the same roles and must use them as they are: no quantization, folding or masking again.
  // Empty for layers without weights.
  virtual std::vector<WeightInput> effectiveWeights() const { return {}; }

  // The static quantization analysis rule (src/graph/analysis.h) for this layer: which value set
  // its output provably lies in, given its inputs' (ctx), with the reason in plain words. Each
  // layer states it next to its forward(), from its own members. The default (analysis_rules.cpp):
  // the output quantizer's grid, else the input's grid for layers that are the identity on
  // values, else float.
  virtual TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const;

  // Layers with several outputs (RNNs with return_state, Bidirectional): forward() writes output
  // #0; outputs #1.. are kept by the layer after each forward() and copied out by the graph's
  // OutputSelect step (src/layers/output_select.h) for every [layer, node, k] reference.
  // Names are the trace names ("state_h", "state_c", ...), one per extra output.
  virtual std::vector<std::string> extraOutputNames() const { return {}; }
  virtual Shape extraOutputShape(size_t /*k*/, const Shape& mainOutputShape) const { return mainOutputShape; }
  virtual const Tensor* extraOutput(size_t /*k*/) const { return nullptr; }

  // Per-time-step states for trace({steps: true}) (recurrent layers): while recording is on,
  // forward() keeps every step's states; recordedSteps() returns them as JSON (null otherwise).
  virtual void setRecordSteps(bool /*on*/) const {}
  virtual nlohmann::json recordedSteps() const { return nullptr; }

 protected:
  Layer(std::string name, std::string className) : name_(std::move(name)), className_(std::move(className)) {}

 private:
  std::string name_;
  std::string className_;
};

using LayerPtr = std::unique_ptr<Layer>;
using LayerFactory = std::function<LayerPtr(const LayerContext&)>;

// Class name -> factory. Families register themselves from one function each (no static
// initializers: the core is a static library and the linker would drop them).
class LayerRegistry {
 public:
  static const LayerRegistry& instance();
  void add(const std::string& className, LayerFactory factory) { factories_[className] = std::move(factory); }
  const LayerFactory* find(const std::string& className) const;
  std::vector<std::string> classNames() const;

 private:
  std::map<std::string, LayerFactory> factories_;
};

void registerQKerasLayers(LayerRegistry& registry);  // src/layers/qkeras_layers.cpp
void registerKerasLayers(LayerRegistry& registry);   // src/layers/keras_layers.cpp

}  // namespace qkw
