// A loaded model: parsed graph, built layers (weights quantized once), a plan (topological
// order and an arena of activation buffers reused across predicts), and execution.
//
// Input is the normalized graph JSON that web/io produces from every file format:
// {
//   "name": "model", "kerasVersion": "2.4.0", "source": "x.h5",
//   "layers": [ { "name": "q_dense", "className": "QDense", "config": { ...Keras config... },
//                 "inbound": [ ["input_1", 0, 0], ... ] } , ... ],   // [layer, node, tensor]
//   "inputs":  [ ["input_1", 0, 0] ],
//   "outputs": [ ["softmax", 0, 0] ]
// }
// Layers are listed in model order; InputLayer entries carry "batch_input_shape" (or
// "batch_shape") in their config. Wrappers such as PruneLowMagnitude are already unwrapped.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/json.h"

#include "core/limits.h"
#include "layers/layer.h"

namespace qkw {

struct ModelOptions {
  QuantizerOptions quantizerOptions;
  // Run conv/dense layers in integer arithmetic where the analysis proves it bit-identical to
  // float32 (false: always the float kernels; for comparisons).
  bool integerKernels = true;
  // Run elementwise layers that follow a conv/dense layer (BN affine, ReLU, QActivation,
  // Activation) in place on its output, in cache-sized chunks, in predict() (false: every layer
  // separately; for comparisons). Tracing always runs them separately.
  bool fuseElementwise = true;
  bool ignoreExtraWeights = false;  // else weights a layer's config does not use are an error
  Limits limits;
};

// loadModel's options object (minus the JS-only keys): {"limits": {...}, "integerKernels", "fuse",
// "ignoreExtraWeights", "adaptiveActivation" ('after-load' | 'ema'), "predictBatchSize" (both into
// QuantizerOptions::adaptiveFirstBatch), and the quantizer options (quantizerOptionsFromJson)}. Throws naming an
// unknown key or a bad value.
ModelOptions modelOptionsFromJson(const qkw::Json& options);
// {"maxTensorElements": n, ...}: each a positive integer up to 2^53; unknown keys are errors.
Limits limitsFromJson(const qkw::Json& limits);

// Parses JSON text whose nesting depth must stay within `maxDepth` (arrays and objects);
// deeper input is a qkw::Error naming `what` and the limit, before any deep structure exists.
qkw::Json parseJsonWithDepthLimit(const std::string& text, int64_t maxDepth, const std::string& what);

struct TensorInfo {
  std::string name;  // the producing layer's name
  Shape shape;       // without the batch axis
};

struct LayerInfo {
  std::string name;
  std::string className;
  std::vector<std::string> inbound;  // producing layer names
  Shape outputShape;                 // without the batch axis
  std::vector<QuantizerSlot> quantizers;
  QuantizerPtr outputQuantizer;      // nullptr: float output
  bool identityOnValues = false;
  const Layer* layer = nullptr;      // the built layer (analysis reads its quantizers and weights)
  std::string kernel;                // Layer::prepare's choice ("qs8_conv2d_...", "f32_dense_simd"), or empty
  std::string kernelReason;          // why the float kernel was kept, or empty
};

struct TensorAnalysis;

// Called after each layer runs (tracing): layer index in execution order, its output.
using LayerObserver = std::function<void(size_t layerIndex, const Tensor& output, double milliseconds)>;

class Model {
 public:
  // Builds and plans. Throws one qkw::Unsupported listing every unsupported layer and
  // quantizer (name and class), or a qkw::Error naming the layer/field that is malformed.
  static std::unique_ptr<Model> build(const qkw::Json& graph,
                                      std::map<std::string, std::vector<WeightInput>> weightsByLayer,
                                      const ModelOptions& options = {});
  virtual ~Model() = default;

  virtual const std::vector<TensorInfo>& inputs() const = 0;
  virtual const std::vector<TensorInfo>& outputs() const = 0;
  // In execution order (topological), InputLayers included.
  virtual const std::vector<LayerInfo>& layers() const = 0;

  // Runs the model. Each input has the batch axis first; all inputs share the batch size.
  // Throws qkw::Error naming the input on a shape mismatch.
  virtual std::vector<Tensor> predict(const std::vector<Tensor>& inputs, const LayerObserver& observer = {}) = 0;

  // Layer name -> Layer::effectiveWeights(), for layers that have weights (converter).
  virtual std::map<std::string, std::vector<WeightInput>> effectiveWeights() const { return {}; }

  // What QKeras silently does with this model that the library follows (see ModelWarning).
  virtual const std::vector<ModelWarning>& warnings() const = 0;

  // The static analysis (graph/analysis.h) that build() computed to choose the kernels, kept so
  // that analyze() and trace() do not compute it again; null if build() did not compute one.
  virtual const std::vector<TensorAnalysis>* builtAnalysis() const { return nullptr; }

  // The built layer behind layers()[index] (its weights are already quantized / folded).
  virtual const Layer& layer(size_t index) const = 0;

  // The activation arena: how many buffers the plan uses, the floats they hold per sample
  // (all buffers together), the batch size they are sized for and how often they were
  // (re)allocated (once per batch-size increase).
  struct ArenaStats {
    size_t buffers = 0;
    int64_t elementsPerSample = 0;
    int64_t plannedBatch = 0;
    size_t allocations = 0;
  };
  virtual ArenaStats arenaStats() const = 0;
};

}  // namespace qkw
