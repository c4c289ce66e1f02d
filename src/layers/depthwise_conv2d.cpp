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

KernelChoice DepthwiseConvLayer::prepare(const PrepareContext& ctx) {
  const std::string floatKernel = depthMultiplier() == 1 ? "f32_dwconv2d_simd" : "f32_dwconv2d_reference";
  IntegerInput input;
  WeightCodes weights;
  const int64_t channels = kernel_.shape[kernel_.rank() - 2] * depthMultiplier();
  std::optional<std::string> problem;
  if (depthMultiplier() != 1) problem = "depth_multiplier > 1 has no integer kernel";
  if (!problem) problem = integerInputProblem(ctx, &input);
  if (!problem) problem = weightCodesProblem(kernel_, channels, &weights);
  Conv2DGeometry g;
  if (!problem) {
    g = params_.geometry(prefix(), ctx.inputShapes.at(0));
    if ((g.inH * g.inW + 1) * g.inC > (int64_t(1) << 30)) problem = "input image too large for int32 offsets";
  }
  if (!problem) problem = finishPlan(ctx, kernel_, channels, /*zeroTerms=*/true, input, weights, &plan_);
  if (problem) {
    plan_ = IntegerPlan{};
    return {floatKernel, *problem};
  }
  codes16_ = std::move(weights.codes);  // (kh, kw, in, 1) = (taps, channels)
  offsets_ = qs16_conv_indirection(g, g.inC);
  return {integerTypeName(input, weights) + "_dwconv2d_8c_" + qs16KernelIsa() + "_extmul", ""};
}

bool DepthwiseConvLayer::forwardInteger(const Tensor& x, Tensor& output) const {
  const Conv2DGeometry g = batchedGeometry(params_, prefix(), x);
  const int64_t pixels = g.inH * g.inW, perImage = (pixels + 1) * g.inC;
  if (inputCodes_.size() < static_cast<size_t>(g.batch * perImage))
    inputCodes_.resize(static_cast<size_t>(g.batch * perImage));
  const IntegerInput& in = plan_.input;
  for (int64_t n = 0; n < g.batch; ++n) {
    int16_t* image = inputCodes_.data() + n * perImage;
    if (!f32_to_qs16_codes__simd(x.data.data() + n * pixels * g.inC, pixels, g.inC, g.inC, in.step, in.invStep, in.lo,
                                 in.hi, image))
      return false;
    std::fill(image + pixels * g.inC, image + perImage, int16_t(0));
  }
  const int64_t outPixels = g.outH * g.outW;
  for (int64_t n = 0; n < g.batch; ++n)
    qs16_dwconv2d_8c__extmul(outPixels, inputCodes_.data() + n * perImage, offsets_.data(), g.kH * g.kW,
                             codes16_.data(), g.inC, plan_.scale.data(), bias_.data.empty() ? nullptr : bias_.data.data(),
                             output.data.data() + n * outPixels * g.inC);
  return true;
}

void DepthwiseConvLayer::forward(const std::vector<const Tensor*>& inputs, Tensor& output) const {
  const Tensor& x = *inputs[0];
  if (!plan_.active || !forwardInteger(x, output)) {
    Conv2DGeometry g = batchedGeometry(params_, prefix(), x);
    depthwise_conv2d_f32_simd(x.data.data(), g, kernel_.data.data(), depthMultiplier(),
                              bias_.data.empty() ? nullptr : bias_.data.data(), output.data.data());
  }
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
