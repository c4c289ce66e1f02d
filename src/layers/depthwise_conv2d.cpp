// QDepthwiseConv2D / DepthwiseConv2D (semantics §4.1): output channel c*dm + j is input channel
// c through multiplier j. The depthwise quantizer sees the (kh, kw, in, dm) kernel, so its
// auto scales are per multiplier index j, shared across input channels (§1.4).
#include "kernels/conv2d_f32_simd.h"
#include "layers/analysis_rules.h"
#include "layers/conv.h"
#include "layers/layer_factories.h"
#include "layers/layer_weights.h"

namespace qkw {

DepthwiseConvLayer::DepthwiseConvLayer(const std::string& name, const std::string& className, ConvParams params,
                                       Tensor kernel, Tensor bias, ActivationFunction activation,
                                       std::vector<QuantizerSlot> slots)
    : QuantizedLayer(name, className), params_(params), kernel_(std::move(kernel)), bias_(std::move(bias)) {
  activation_ = std::move(activation);
  weightSlots_ = std::move(slots);
}

Shape DepthwiseConvLayer::outputShape(const std::vector<Shape>& inputShapes) const {
  if (inputShapes.size() != 1) throw Error(prefix() + "expects exactly one input");
  Conv2DGeometry g = params_.geometry(prefix(), inputShapes[0]);
  if (g.inC != kernel_.shape[2])
    throw Error(prefix() + "input has " + std::to_string(g.inC) + " channels, the depthwise kernel expects " +
                std::to_string(kernel_.shape[2]));
  return params_.outputShape(g, g.inC * depthMultiplier());
}

void DepthwiseConvLayer::forward(const std::vector<const Tensor*>& inputs, Tensor& output) const {
  const Tensor& x = *inputs[0];
  Conv2DGeometry g = batchedGeometry(params_, prefix(), x);
  depthwise_conv2d_f32_simd(x.data.data(), g, kernel_.data.data(), depthMultiplier(),
                            bias_.data.empty() ? nullptr : bias_.data.data(), output.data.data());
  activation_.applyInPlace(output);
}

std::vector<WeightInput> DepthwiseConvLayer::effectiveWeights() const {
  return withOptionalBias({{"depthwise_kernel", 0, kernel_}}, bias_);
}

LayerPtr makeDepthwiseConv2DLayer(const LayerContext& ctx) {
  const bool quantized = ctx.className[0] == 'Q';
  requireChannelsLast(ctx);
  ConvParams params = ConvParams::read(ctx, 2, {Padding::Valid, Padding::Same});
  const int dm = configInt(ctx, "depth_multiplier", 1);
  const bool useBias = configBool(ctx, "use_bias", true);
  const std::vector<std::string> order = weightOrder({"depthwise_kernel"}, useBias);

  Tensor kernel = ctx.weight("depthwise_kernel", order);
  if (kernel.rank() != 4 || kernel.shape[0] != params.kH || kernel.shape[1] != params.kW || kernel.shape[3] != dm)
    throw Error(ctx.errorPrefix() + "weight 'depthwise_kernel' has shape " + shapeToString(kernel.shape) +
                ", expected (" + std::to_string(params.kH) + ", " + std::to_string(params.kW) + ", in, " +
                std::to_string(dm) + ")");
  Tensor bias = readOptionalBias(ctx, useBias, order, kernel.shape[2] * dm);

  std::vector<QuantizerSlot> slots;
  if (quantized) {
    WeightSlotQuantization weights(ctx);
    weights.add("depthwise_quantizer", true, &kernel);
    weights.add("bias_quantizer", false, useBias ? &bias : nullptr);
    slots = weights.quantize();
  }
  ActivationFunction activation = resolveLayerActivation(ctx, quantized);
  return std::make_unique<DepthwiseConvLayer>(ctx.name, ctx.className, params, std::move(kernel), std::move(bias),
                                              std::move(activation), std::move(slots));
}

// ---- Static analysis: the exact sums of the depthwise convolution (analysis_rules.h) ----

TensorAnalysis DepthwiseConvLayer::analyzeOutput(const AnalysisContext& ctx) const {
  return linearOutputRule(ctx, *this, "convolution", [this](double step, double min, double max) {
    // Output channel c*dm + j = the kernel's last two axes flattened; padding may make any term 0.
    const int64_t channels = kernel_.shape[2] * depthMultiplier();
    return boundLinear({&kernel_, channels, 1}, bias_.size() > 0 ? &bias_ : nullptr, step, min, max, true);
  });
}

}  // namespace qkw
