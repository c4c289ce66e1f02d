// QSeparableConv1D/2D and Keras SeparableConv1D/2D (semantics §4.2): depthwise conv with the
// quantized depthwise kernel, then a 1x1 pointwise conv with the quantized pointwise kernel,
// no intermediate quantization or bias; then + quantized bias, then activation. The 1D form runs
// as a 2D conv of height 1 (as backend.separable_conv1d does); causal pads the left.
#include <vector>

#include "core/limits.h"
#include "kernels/conv2d_f32_simd.h"
#include "kernels/dense_f32_simd.h"
#include "layers/conv_common.h"
#include "layers/layer_factories.h"
#include "layers/layer_weights.h"
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
    const size_t needed = toSizeT(checkedMul(g.batch, scratchPerSample(g), prefix()), sizeof(float), prefix() + "depthwise result");
    // Grows only when a larger batch arrives (the graph re-plans then too).
    if (scratch_.size() < needed) scratch_.resize(needed);
    // The SIMD kernels are bit-identical to the references (same per-output summation order).
    depthwise_conv2d_f32_simd(x.data.data(), g, depthwise_.data.data(), depthMultiplier(), nullptr, scratch_.data());
    // The 1x1 pointwise conv is a matmul of the (pixels, in*dm) scratch with the (in*dm, filters) kernel.
    dense_f32_simd(scratch_.data(), g.batch * g.outH * g.outW, mid, pointwise_.data.data(), filters(),
                   bias_.data.empty() ? nullptr : bias_.data.data(), output.data.data());
    activation_.applyInPlace(output);
  }

  std::vector<WeightInput> effectiveWeights() const override {
    return withOptionalBias({{"depthwise_kernel", 0, depthwise_}, {"pointwise_kernel", 1, pointwise_}}, bias_);
  }

  int64_t scratchElementsPerSample(const std::vector<Shape>& inputShapes) const override {
    return scratchPerSample(params_.geometry(prefix(), inputShapes.at(0)));
  }

 private:
  // The depthwise result (outH, outW, in * depth_multiplier) forward() keeps per sample.
  int64_t scratchPerSample(const Conv2DGeometry& g) const {
    return checkedMul(checkedMul(g.outH, g.outW, prefix()), checkedMul(inChannels(), depthMultiplier(), prefix()), prefix());
  }

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
  const std::vector<std::string> order = weightOrder({"depthwise_kernel", "pointwise_kernel"}, useBias);

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
  Tensor bias = readOptionalBias(ctx, useBias, order, filters);

  std::vector<QuantizerSlot> slots;
  if (quantized) {
    WeightSlotQuantization weights(ctx);
    weights.add("depthwise_quantizer", true, &depthwise);
    weights.add("pointwise_quantizer", true, &pointwise);
    weights.add("bias_quantizer", false, useBias ? &bias : nullptr);
    slots = weights.quantize();
  }
  ActivationFunction activation = resolveLayerActivation(ctx, quantized);
  return std::make_unique<SeparableConvLayer>(ctx.name, cls, params, std::move(depthwise), std::move(pointwise),
                                              std::move(bias), std::move(activation), std::move(slots));
}

}  // namespace qkw
