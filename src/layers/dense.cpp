// QDense and Keras Dense (semantics §4.1): y = activation(dot(x, q_k(kernel)) + q_b(bias)) on
// the last axis. Dense is QDense without quantizers and with Keras activation lookup.
#include "layers/dense.h"

#include "kernels/dense_f32_simd.h"
#include "layers/layer_config.h"
#include "layers/layer_factories.h"

namespace qkw {

DenseLayer::DenseLayer(const std::string& name, const std::string& className, Tensor kernel, Tensor bias,
                       ActivationFunction activation, std::vector<QuantizerSlot> slots)
    : QuantizedLayer(name, className), kernel_(std::move(kernel)), bias_(std::move(bias)) {
  activation_ = std::move(activation);
  weightSlots_ = std::move(slots);
}

Shape DenseLayer::outputShape(const std::vector<Shape>& inputShapes) const {
  const std::string prefix = "layer '" + name() + "' (" + className() + "): ";
  if (inputShapes.size() != 1) throw Error(prefix + "expects exactly one input");
  const Shape& in = inputShapes[0];
  if (in.empty() || in.back() != inputDim())
    throw Error(prefix + "input shape " + shapeToString(in) + " does not end in the kernel's input size " +
                std::to_string(inputDim()));
  Shape out = in;
  out.back() = units();
  return out;
}

void DenseLayer::forward(const std::vector<const Tensor*>& inputs, Tensor& output) const {
  const Tensor& x = *inputs[0];
  const int64_t rows = x.size() / inputDim();
  dense_f32_simd(x.data.data(), rows, inputDim(), kernel_.data.data(), units(),
                 bias_.data.empty() ? nullptr : bias_.data.data(), output.data.data());
  activation_.applyInPlace(output);
}

std::vector<WeightInput> DenseLayer::effectiveWeights() const {
  std::vector<WeightInput> w = {{"kernel", 0, kernel_}};
  if (!bias_.data.empty()) w.push_back({"bias", 1, bias_});
  return w;
}

LayerPtr makeDenseLayer(const LayerContext& ctx) {
  const bool quantized = ctx.className == "QDense";
  const int units = requiredInt(ctx, "units");
  const bool useBias = configBool(ctx, "use_bias", true);
  std::vector<std::string> order = {"kernel"};
  if (useBias) order.push_back("bias");

  Tensor kernel = ctx.weight("kernel", order);
  if (kernel.rank() != 2 || kernel.shape[1] != units)
    throw Error(ctx.errorPrefix() + "weight 'kernel' has shape " + shapeToString(kernel.shape) + ", expected (in, " +
                std::to_string(units) + ")");
  Tensor bias;
  if (useBias) {
    bias = ctx.weight("bias", order);
    checkWeightShape(ctx, "bias", bias, {units});
  }

  std::vector<QuantizerSlot> slots;
  ActivationFunction activation;
  if (quantized) {
    QuantizerPtr kq = makeSlotQuantizer(ctx, "kernel_quantizer", /*weightSlot=*/true);
    QuantizerPtr bq = makeSlotQuantizer(ctx, "bias_quantizer", /*weightSlot=*/false);
    if (!usesEffectiveWeights(ctx)) {
      if (kq) kq->apply(kernel.data.data(), kernel.data.data(), kernel.shape);
      if (bq && useBias) bq->apply(bias.data.data(), bias.data.data(), bias.shape);
    }
    if (kq) slots.push_back({"kernel_quantizer", kq});
    if (bq) slots.push_back({"bias_quantizer", bq});
    activation = ActivationFunction::resolve(ctx.find("activation"), ctx, ActivationFlavor::QKeras);
  } else {
    activation = ActivationFunction::resolve(ctx.find("activation"), ctx, ActivationFlavor::Keras);
  }
  return std::make_unique<DenseLayer>(ctx.name, ctx.className, std::move(kernel), std::move(bias),
                                      std::move(activation), std::move(slots));
}

}  // namespace qkw
