// One Keras/QKeras layer at inference. Each layer's math lives in one file in src/layers/
// (its semantics: ../shared/qkeras/semantics.md §4); the inner loops it calls live in
// src/kernels/ as plain reference kernels (and, later, optimized variants checked against them).
//
// Life cycle: a factory builds the layer from its Keras config and weights (all weight
// quantization, folding and packing happens there, once), the planner asks for output
// shapes, and forward() runs per predict without allocating.
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

// Everything a factory gets: the layer's Keras config, its weights, and global options.
struct LayerContext {
  std::string name;
  std::string className;
  const nlohmann::json& config;
  std::vector<WeightInput> weights;
  QuantizerOptions quantizerOptions;  // sigmoid mode / qnoise override (weightSlot is per slot)

  // Looks a weight up by role, or by position in `order` when the file has no names.
  // Throws a qkw::Error naming the layer and the weight when it is missing.
  const Tensor& weight(const std::string& role, const std::vector<std::string>& order) const;
  const Tensor* optionalWeight(const std::string& role, const std::vector<std::string>& order) const;
  // Config accessors that fill Keras defaults and name the layer and key in errors.
  const nlohmann::json* find(const std::string& key) const;
  std::string errorPrefix() const { return "layer '" + name + "' (" + className + "): "; }
};

class Layer {
 public:
  virtual ~Layer() = default;

  const std::string& name() const { return name_; }
  const std::string& className() const { return className_; }

  // Output shape without the batch axis, from the input shapes without the batch axis.
  // Throws qkw::Error naming the layer when the inputs do not fit.
  virtual Shape outputShape(const std::vector<Shape>& inputShapes) const = 0;

  // Computes the output. Input and output tensors include the batch axis; `output` is
  // already sized by the planner (shape and data).
  virtual void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const = 0;

  // The quantizers this layer holds, in QKeras's get_quantizers() spirit.
  virtual std::vector<QuantizerSlot> quantizers() const { return {}; }
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
