// QScaleShift (qkeras/qmac.py, semantics §10.4): one scalar weight and one scalar bias, both
// stored with shape (1, 1), for the whole tensor:
//   y = activation(q_b(bias) + x * q_w(weight))        (float32, in this order)
// Both quantizers get _set_trainable_parameter (§1.6: alpha=None -> auto_po2 in the weight AND the
// bias slot, unlike every other layer). activation goes through get_quantizer (None = linear).
#include "layers/layer_config.h"
#include "layers/layer_factories.h"
#include "layers/layer_weights.h"
#include "layers/quantized_layer.h"

namespace qkw {

namespace {

class QScaleShiftLayer : public QuantizedLayer {
 public:
  QScaleShiftLayer(const LayerContext& ctx, Tensor weight, Tensor bias, ActivationFunction activation,
                   std::vector<QuantizerSlot> slots)
      : QuantizedLayer(ctx.name, ctx.className), weight_(std::move(weight)), bias_(std::move(bias)) {
    activation_ = std::move(activation);
    weightSlots_ = std::move(slots);
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (inputShapes.size() != 1) throw Error(prefix() + "expects exactly one input");
    return inputShapes[0];
  }
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    const float w = weight_.data[0];
    const bool hasBias = !bias_.data.empty();
    const float b = hasBias ? bias_.data[0] : 0.0f;
    for (int64_t i = 0; i < x.size(); ++i) {
      const float p = x.data[i] * w;
      output.data[i] = hasBias ? b + p : p;
    }
    activation_.applyInPlace(output);
  }
  std::vector<WeightInput> effectiveWeights() const override {
    std::vector<WeightInput> w{{"weight", 0, weight_}};
    if (!bias_.data.empty()) w.push_back({"bias", 1, bias_});
    return w;
  }

 private:
  Tensor weight_, bias_;
};

}  // namespace

LayerPtr makeQScaleShiftLayer(const LayerContext& ctx) {
  const bool useBias = configBool(ctx, "use_bias", true);
  const std::vector<std::string> order = weightOrder({"weight"}, useBias);
  Tensor weight = ctx.weight("weight", order);
  checkWeightShape(ctx, "weight", weight, Shape{1, 1});
  Tensor bias;
  if (useBias) {
    bias = ctx.weight("bias", order);
    checkWeightShape(ctx, "bias", bias, Shape{1, 1});
  }
  WeightSlotQuantization weights(ctx);
  weights.add("weight_quantizer", /*weightSlot=*/true, &weight);
  weights.add("bias_quantizer", /*weightSlot=*/true, useBias ? &bias : nullptr);
  std::vector<QuantizerSlot> slots = weights.quantize();
  ActivationFunction activation = ActivationFunction::resolve(ctx.find("activation"), ctx, ActivationFlavor::QKeras);
  return std::make_unique<QScaleShiftLayer>(ctx, std::move(weight), std::move(bias), std::move(activation),
                                            std::move(slots));
}

}  // namespace qkw
