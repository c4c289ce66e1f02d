// QSeparableConv1D/2D and Keras SeparableConv1D/2D (semantics §4.2): depthwise conv with the
// quantized depthwise kernel, then a 1x1 pointwise conv with the quantized pointwise kernel,
// no intermediate quantization or bias; then + quantized bias, then activation. The 1D form runs
// as a 2D conv of height 1 (as backend.separable_conv1d does); causal pads the left.
#include <vector>

#include "kernels/conv2d_f32_reference.h"
#include "kernels/dense_f32_reference.h"
#include "layers/conv_common.h"
#include "layers/layer_factories.h"
#include "layers/quantized_layer.h"

namespace qkw {

namespace {

class SeparableConvLayer : public QuantizedLayer {
 public:
  SeparableConvLayer(const std::string& name, const std::string& className, ConvParams params, Tensor depthwise,
                     Tensor pointwise, Tensor bias, ActivationFunction activation, std::vector<QuantizerSlot> slots)
      : QuantizedLayer(name, className), params_(params), depthwise_(std::move(depthwise)),
        pointwise_(std::move(pointwise)), bias_(std::move(bias)) {
    activation_ = std::move(activation);
    weightSlots_ = std::move(slots);
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (inputShapes.size() != 1) throw Error(prefix() + "expects exactly one input");
    Conv2DGeometry g = params_.geometry(prefix(), inputShapes[0]);
    if (g.inC != inChannels())
      throw Error(prefix() + "input has " + std::to_string(g.inC) + " channels, the depthwise kernel expects " +
                  std::to_string(inChannels()));
    return params_.outputShape(g, filters());
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    Conv2DGeometry g = batchedGeometry(params_, prefix(), x);
    const int64_t mid = inChannels() * depthMultiplier();
    const size_t needed = static_cast<size_t>(g.batch * g.outH * g.outW * mid);
    // Grows only when a larger batch arrives (the graph re-plans then too).
    if (scratch_.size() < needed) scratch_.resize(needed);
    depthwise_conv2d_f32_reference(x.data.data(), g, depthwise_.data.data(), depthMultiplier(), nullptr,
                                   scratch_.data());
    dense_f32_reference(scratch_.data(), g.batch * g.outH * g.outW, mid, pointwise_.data.data(), filters(),
                        bias_.data.empty() ? nullptr : bias_.data.data(), output.data.data());
    activation_.applyInPlace(output);
  }

  std::vector<WeightInput> effectiveWeights() const override {
    std::vector<WeightInput> w = {{"depthwise_kernel", 0, depthwise_}, {"pointwise_kernel", 1, pointwise_}};
    if (!bias_.data.empty()) w.push_back({"bias", 2, bias_});
    return w;
  }

 private:
  std::string prefix() const { return "layer '" + name() + "' (" + className() + "): "; }
  int64_t inChannels() const { return depthwise_.shape[depthwise_.rank() - 2]; }
  int64_t depthMultiplier() const { return depthwise_.shape.back(); }
  int64_t filters() const { return pointwise_.shape.back(); }

  ConvParams params_;
  Tensor depthwise_;  // (kH, kW, in, dm) or (k, in, dm)
  Tensor pointwise_;  // (1, 1, in*dm, filters) or (1, in*dm, filters): row-major (in*dm, filters)
  Tensor bias_;
  mutable std::vector<float> scratch_;
};

}  // namespace

LayerPtr makeSeparableConvLayer(const LayerContext& ctx) {
  const std::string& cls = ctx.className;
  const bool quantized = cls[0] == 'Q';
  const int rank = (cls == "QSeparableConv1D" || cls == "SeparableConv1D") ? 1 : 2;
  requireChannelsLast(ctx);
  std::vector<Padding> allowed = {Padding::Valid, Padding::Same};
  if (rank == 1) allowed.push_back(Padding::Causal);
  ConvParams params = ConvParams::read(ctx, rank, allowed);
  const int filters = requiredInt(ctx, "filters");
  const int dm = configInt(ctx, "depth_multiplier", 1);
  const bool useBias = configBool(ctx, "use_bias", true);
  std::vector<std::string> order = {"depthwise_kernel", "pointwise_kernel"};
  if (useBias) order.push_back("bias");

  Tensor depthwise = ctx.weight("depthwise_kernel", order);
  Tensor pointwise = ctx.weight("pointwise_kernel", order);
  const bool dwOk = depthwise.rank() == rank + 2 && depthwise.shape.back() == dm &&
                    (rank == 1 ? depthwise.shape[0] == params.kW
                               : depthwise.shape[0] == params.kH && depthwise.shape[1] == params.kW);
  if (!dwOk)
    throw Error(ctx.errorPrefix() + "weight 'depthwise_kernel' has shape " + shapeToString(depthwise.shape) +
                ", which does not match kernel_size and depth_multiplier=" + std::to_string(dm));
  const int64_t mid = depthwise.shape[rank] * dm;
  Shape pwShape = rank == 2 ? Shape{1, 1, mid, filters} : Shape{1, mid, filters};
  checkWeightShape(ctx, "pointwise_kernel", pointwise, pwShape);
  Tensor bias;
  if (useBias) {
    bias = ctx.weight("bias", order);
    checkWeightShape(ctx, "bias", bias, {filters});
  }

  std::vector<QuantizerSlot> slots;
  ActivationFunction activation;
  if (quantized) {
    QuantizerPtr dq = makeSlotQuantizer(ctx, "depthwise_quantizer", true);
    QuantizerPtr pq = makeSlotQuantizer(ctx, "pointwise_quantizer", true);
    QuantizerPtr bq = makeSlotQuantizer(ctx, "bias_quantizer", false);
    const bool effective = usesEffectiveWeights(ctx);
    if (dq && !effective) dq->apply(depthwise.data.data(), depthwise.data.data(), depthwise.shape);
    if (pq && !effective) pq->apply(pointwise.data.data(), pointwise.data.data(), pointwise.shape);
    if (bq && useBias && !effective) bq->apply(bias.data.data(), bias.data.data(), bias.shape);
    if (dq) slots.push_back({"depthwise_quantizer", dq});
    if (pq) slots.push_back({"pointwise_quantizer", pq});
    if (bq) slots.push_back({"bias_quantizer", bq});
    activation = ActivationFunction::resolve(ctx.find("activation"), ctx, ActivationFlavor::QKeras);
  } else {
    activation = ActivationFunction::resolve(ctx.find("activation"), ctx, ActivationFlavor::Keras);
  }
  return std::make_unique<SeparableConvLayer>(ctx.name, cls, params, std::move(depthwise), std::move(pointwise),
                                              std::move(bias), std::move(activation), std::move(slots));
}

}  // namespace qkw
