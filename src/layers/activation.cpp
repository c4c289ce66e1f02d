// QActivation (semantics §4.3: y = quantizer(x), or a float function for Keras/QKeras function
// names) and Keras Activation (keras.activations.get: hard_sigmoid is the 0.2-slope one).
#include "layers/analysis_rules.h"
#include "layers/layer_factories.h"
#include "layers/quantized_layer.h"

namespace qkw {

namespace {

// True when apply() on any run of elements gives the bits apply() gives those elements on the
// whole tensor (ActivationFunction::isRowwiseSafe: no row op, no tensor-wide scale, no TF
// packet/scalar split by position). Only such functions join a fused epilogue, which runs them on
// chunks of rows.
bool isPerElement(const ActivationFunction& f) { return f.isRowwiseSafe(); }

class ActivationLayer : public QuantizedLayer {
 public:
  ActivationLayer(const std::string& name, const std::string& className, ActivationFunction f)
      : QuantizedLayer(name, className) {
    activation_ = std::move(f);
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (inputShapes.size() != 1)
      throw Error("layer '" + name() + "' (" + className() + "): expects exactly one input");
    if (activation_.kind() == ActivationFunction::Kind::Softmax && inputShapes[0].empty())
      throw Error("layer '" + name() + "' (" + className() + "): softmax needs an input of rank >= 2");
    return inputShapes[0];
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    activation_.apply(inputs[0]->data.data(), output.data.data(), inputs[0]->shape);
  }

  bool isIdentityOnValues() const override { return activation_.isIdentity(); }

  // A quantizer's grid; the identity and ReLU keep the input's grid; other functions are float.
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    const bool qActivation = className() == "QActivation";
    if (QuantizerPtr q = activation_.quantizer()) return ctx.quantizedBy(q, qActivation ? "" : "activation ");
    const std::string call = className() + "('" + activation_.display() + "')";
    switch (activation_.kind()) {
      case ActivationFunction::Kind::Identity: return ctx.carry(call + " is the identity", true);
      case ActivationFunction::Kind::Relu: return ctx.relu(call, std::nullopt);
      case ActivationFunction::Kind::Relu6: return ctx.relu(call, 6.0);
      default: break;
    }
    std::string reason = call + " is a float function, not a quantizer: its output is on no grid.";
    if (qActivation)
      reason += " Use a quantizer such as QActivation('quantized_relu(4)') or 'quantized_bits(8,0)'.";
    else if (activation_.kind() == ActivationFunction::Kind::Softmax)
      reason += " (A final float softmax is normal; to quantize it use QActivation('quantized_bits(8,0)') after it.)";
    else
      reason += " Use QActivation with a quantizer (e.g. 'quantized_tanh(8)', 'quantized_sigmoid(8)') instead.";
    return ctx.floatResult(reason);
  }

  // Fusable when the function reads each element alone, wherever it sits in the tensor
  // (isPerElement); apply() may alias, so in place is forward().
  std::string elementwiseFusionTag(const Shape& inputShape) const override {
    (void)inputShape;
    if (!isPerElement(activation_)) return "";
    if (QuantizerPtr q = activation_.quantizer()) return q->className();
    return activation_.isIdentity() ? "linear" : activation_.display();
  }
  void applyElementwiseInPlace(float* data, int64_t count, int64_t channels) const override {
    (void)channels;
    activation_.apply(data, data, Shape{count});
  }
};

}  // namespace

LayerPtr makeActivationLayer(const LayerContext& ctx) {
  const bool quantized = ctx.className == "QActivation";
  const qkw::Json* v = ctx.find("activation");
  if (!v) throw Error(ctx.errorPrefix() + "config has no 'activation'");
  ActivationFunction f =
      ActivationFunction::resolve(v, ctx, quantized ? ActivationFlavor::QKeras : ActivationFlavor::Keras);
  return std::make_unique<ActivationLayer>(ctx.name, ctx.className, std::move(f));
}

}  // namespace qkw
