// QSeparableConv2DTranspose (QKeras 2024, qseparable_conv2d_transpose.py). Two transposed
// convolutions, as QKeras's call() runs them:
//   1. depthwise: each input channel c is transposed-convolved with quantized
//      depthwise_kernel[:, :, 0, c] (kernel (kh, kw, 1, in)) using strides, padding,
//      output_padding; then depthwise_activation (if any);
//   2. pointwise: a 1x1 transposed conv with the quantized pointwise_kernel (1, 1, filters, in),
//      strides 1, output_padding None (so the size is unchanged), + quantized bias, then
//      pointwise_activation (if any).
// `activation` and depth_multiplier are stored by Keras but never used by call(). get_config
// writes neither depthwise_activation nor pointwise_activation, so saved files carry none; a
// hand-written config that has them is honoured.
#include <vector>

#include "core/limits.h"
#include "kernels/conv2d_f32_reference.h"
#include "kernels/depthwise_conv2d_transpose_f32_reference.h"
#include "layers/conv_common.h"
#include "layers/layer_factories.h"
#include "layers/layer_weights.h"
#include "layers/quantized_layer.h"

namespace qkw {

namespace {

class QSeparableConv2DTransposeLayer : public QuantizedLayer {
 public:
  QSeparableConv2DTransposeLayer(const std::string& name, const std::string& className, ConvParams params,
                                 std::vector<int> outputPadding, Tensor depthwise, Tensor pointwise, Tensor bias,
                                 ActivationFunction depthwiseActivation, ActivationFunction pointwiseActivation,
                                 std::vector<QuantizerSlot> slots)
      : QuantizedLayer(name, className), params_(params), outputPadding_(std::move(outputPadding)),
        depthwise_(std::move(depthwise)), pointwise_(std::move(pointwise)), bias_(std::move(bias)),
        depthwiseActivation_(std::move(depthwiseActivation)) {
    activation_ = std::move(pointwiseActivation);
    weightSlots_ = std::move(slots);
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (inputShapes.size() != 1) throw Error(prefix() + "expects exactly one input");
    Conv2DGeometry g = depthwiseGeometry(inputShapes[0]);
    return {g.outH, g.outW, filters()};
  }

  // The depthwise result (outH, outW, in) forward() keeps per sample.
  int64_t scratchElementsPerSample(const std::vector<Shape>& inputShapes) const override {
    const Conv2DGeometry g = depthwiseGeometry(inputShapes.at(0));
    return numElements({g.outH, g.outW, g.inC});
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    Conv2DGeometry g = depthwiseGeometry(Shape(x.shape.begin() + 1, x.shape.end()));
    g.batch = x.shape[0];
    const Shape midShape = {g.batch, g.outH, g.outW, g.inC};
    const size_t needed = toSizeT(numElements(midShape), sizeof(float), prefix() + "depthwise result");
    // Grows only when a larger batch arrives (the graph re-plans then too).
    if (scratch_.size() < needed) scratch_.resize(needed);
    // (kh, kw, 1, in) and (kh, kw, in, 1) are the same array: one channel per group.
    depthwise_conv2d_transpose_f32_reference(x.data.data(), g, depthwise_.data.data(), 1, scratch_.data());
    depthwiseActivation_.apply(scratch_.data(), scratch_.data(), midShape);

    Conv2DGeometry p;  // 1x1, stride 1: no padding under either rule
    p.batch = g.batch;
    p.inH = p.outH = g.outH;
    p.inW = p.outW = g.outW;
    p.inC = g.inC;
    conv2d_transpose_f32_reference(scratch_.data(), p, pointwise_.data.data(), filters(),
                                   bias_.data.empty() ? nullptr : bias_.data.data(), output.data.data());
    activation_.applyInPlace(output);
  }

  std::vector<QuantizerSlot> quantizers() const override {
    std::vector<QuantizerSlot> all = weightSlots_;
    if (depthwiseActivation_.quantizer()) all.push_back({"depthwise_activation", depthwiseActivation_.quantizer()});
    if (activation_.quantizer()) all.push_back({"activation", activation_.quantizer()});
    return all;
  }

  std::vector<WeightInput> effectiveWeights() const override {
    return withOptionalBias({{"depthwise_kernel", 0, depthwise_}, {"pointwise_kernel", 1, pointwise_}}, bias_);
  }

 private:
  int64_t filters() const { return pointwise_.shape[2]; }

  // Dilation is 1 (the factory rejects others), so the geometry's dilation fields are 1 too.
  Conv2DGeometry depthwiseGeometry(const Shape& in) const {
    return params_.transposedGeometry(prefix(), in, outputPadding_, depthwise_.shape[3], "depthwise kernel");
  }

  ConvParams params_;
  std::vector<int> outputPadding_;  // empty: inferred (None)
  Tensor depthwise_;                // (kH, kW, 1, in)
  Tensor pointwise_;                // (1, 1, filters, in)
  Tensor bias_;                     // (filters) or empty
  ActivationFunction depthwiseActivation_;
  mutable std::vector<float> scratch_;
};

}  // namespace

LayerPtr makeQSeparableConv2DTransposeLayer(const LayerContext& ctx) {
  // QKeras master 2024-09-23..10-14 had a TPU (grouped convolution) and a CPU (per-channel) class;
  // the CPU one's call is this layer's, and QKeras's docstring calls it the TPU one's equivalent.
  if (ctx.className == "QSeparableConv2DTransposeTPU")
    ctx.warn("ignored-setting", "QSeparableConv2DTransposeTPU runs as QSeparableConv2DTransposeCPU, QKeras's stated "
                                "inference equivalent (TensorFlow's CPU kernels cannot run its grouped convolution)");
  requireChannelsLast(ctx);
  ConvParams params = ConvParams::read(ctx, 2, {Padding::Valid, Padding::Same});
  // Keras's backend switches to atrous_conv2d_transpose for dilation > 1, which drops the
  // strides; not reproduced.
  if (params.dilationH != 1 || params.dilationW != 1)
    throw Unsupported(ctx.errorPrefix() + "dilation_rate other than (1, 1)");
  const int filters = requiredInt(ctx, "filters");
  const bool useBias = configBool(ctx, "use_bias", true);
  std::vector<int> outputPadding = configIntTuple(ctx, "output_padding", 2, {});
  const std::vector<std::string> order = weightOrder({"depthwise_kernel", "pointwise_kernel"}, useBias);

  Tensor depthwise = ctx.weight("depthwise_kernel", order);
  if (depthwise.rank() != 4 || depthwise.shape[0] != params.kH || depthwise.shape[1] != params.kW ||
      depthwise.shape[2] != 1)
    throw Error(ctx.errorPrefix() + "weight 'depthwise_kernel' has shape " + shapeToString(depthwise.shape) +
                ", expected (" + std::to_string(params.kH) + ", " + std::to_string(params.kW) + ", 1, in)");
  const int64_t in = depthwise.shape[3];
  Tensor pointwise = ctx.weight("pointwise_kernel", order);
  checkWeightShape(ctx, "pointwise_kernel", pointwise, {1, 1, filters, in});
  Tensor bias = readOptionalBias(ctx, useBias, order, filters);

  WeightSlotQuantization weights(ctx);
  weights.add("depthwise_kernel_quantizer", true, &depthwise);
  weights.add("pointwise_kernel_quantizer", true, &pointwise);
  weights.add("bias_quantizer", false, useBias ? &bias : nullptr);
  std::vector<QuantizerSlot> slots = weights.quantize();
  ActivationFunction depthwiseActivation =
      ActivationFunction::resolve(ctx.find("depthwise_activation"), ctx, ActivationFlavor::QKeras, "depthwise_activation");
  ActivationFunction pointwiseActivation =
      ActivationFunction::resolve(ctx.find("pointwise_activation"), ctx, ActivationFlavor::QKeras, "pointwise_activation");
  return std::make_unique<QSeparableConv2DTransposeLayer>(ctx.name, ctx.className, params, std::move(outputPadding),
                                                          std::move(depthwise), std::move(pointwise), std::move(bias),
                                                          std::move(depthwiseActivation),
                                                          std::move(pointwiseActivation), std::move(slots));
}

}  // namespace qkw
