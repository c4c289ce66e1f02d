// The `activation` argument of a layer, resolved once at load time.
//
// Inside QKeras layers (QDense, QConv*, QActivation, pooling) the value goes through QKeras's
// get_quantizer (semantics §3.1): QKeras's own helper functions first (hard_sigmoid is the
// 0.5-slope one there, §1.7), then quantizers, then Keras activation names (float). Plain Keras
// layers (Dense, Conv2D, Activation) use keras.activations.get, where hard_sigmoid is Keras's
// 0.2-slope function and quantizer names are errors.
#pragma once
#include <string>

#include "core/json.h"

#include "layers/layer.h"
#include "quant/tf_math.h"

namespace qkw {

enum class ActivationFlavor { QKeras, Keras };

class ActivationFunction {
 public:
  enum class Kind {
    Identity, Relu, Relu6, Sigmoid, KerasHardSigmoid, Tanh, Softmax, Swish, Elu, Selu, Softplus,
    Softsign, Exponential, Gelu,
    // QKeras helper functions (quantizers.py), float outputs except the binary ones.
    QKerasHardSigmoid, SmoothSigmoid, BinarySigmoid, HardTanh, SmoothTanh, BinaryTanh,
    Quantizer,
  };

  ActivationFunction() = default;  // identity

  // `value` may be nullptr (missing key). `slot` names the config key in errors.
  static ActivationFunction resolve(const qkw::Json* value, const LayerContext& ctx, ActivationFlavor flavor,
                                    const std::string& slot = "activation");
  // A Keras activation by name (Activation layers, tests).
  static ActivationFunction keras(Kind kind, const std::string& name);

  bool isIdentity() const { return kind_ == Kind::Identity; }
  Kind kind() const { return kind_; }
  // The quantizer when the activation is one, else nullptr (float function).
  QuantizerPtr quantizer() const { return quantizer_; }
  // "linear", "relu", "hard_sigmoid (QKeras, slope 0.5)", or the quantizer's str().
  const std::string& display() const { return display_; }

  // Whether apply() on any run of whole rows gives the bits it gives on the whole tensor: false
  // for softmax (a row op, fine per row but not per element), for the functions whose TF kernel
  // differs between packets and the tail (their result depends on the position in the tensor),
  // and for quantizers without a fixed grid (their scale comes from the whole tensor).
  bool isRowwiseSafe() const;

  // out may alias in. Softmax works on the last axis of `shape` (batch included).
  void apply(const float* in, float* out, const Shape& shape) const;
  void apply(const Tensor& in, Tensor& out) const;
  void applyInPlace(Tensor& t) const { apply(t.data.data(), t.data.data(), t.shape); }

 private:
  // A quantizer used as the activation (QKeras only); `spec` is its string or dict form.
  static ActivationFunction quantizerActivation(const LayerContext& ctx, const std::string& slot,
                                                const qkw::Json& spec);
  static ActivationFunction resolveKind(const qkw::Json* value, const LayerContext& ctx, ActivationFlavor flavor,
                                        const std::string& slot);

  Kind kind_ = Kind::Identity;
  QuantizerPtr quantizer_;
  bool perKerasBatch_ = false;  // quantizer_ runs per Keras batch of the call (runsPerKerasBatch, at build)
  std::string display_ = "linear";
  quant::TfCpuKernels kernels_ = quant::TfCpuKernels::Eigen;
};

// A quantizer config slot (kernel_quantizer, bias_quantizer, ...). Missing, null or "" means
// "no quantizer" (QKeras tests the constructor argument's truthiness). `weightSlot` applies
// the §1.6 alpha rewrite. Errors name the layer and the slot.
QuantizerPtr makeSlotQuantizer(const LayerContext& ctx, const std::string& key, bool weightSlot);
// Same with an explicit spec (for defaults that are not in the config).
QuantizerPtr makeSlotQuantizer(const LayerContext& ctx, const std::string& key, const qkw::Json& spec,
                               bool weightSlot);

// tf.nn.softmax over `axis` of a row-major tensor (outer, n, inner) whose first dimension holds
// `samples` model.predict samples, exactly as TensorFlow's CPU kernels compute it: see
// quant::tfSoftmaxRows for the operation order of the Eigen and oneDNN kernels.
void softmaxAxis(const float* in, float* out, int64_t outer, int64_t n, int64_t inner, int64_t samples,
                 quant::TfCpuKernels kernels);

}  // namespace qkw
