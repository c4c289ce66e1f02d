// QDepthwiseConv2DTranspose (QKeras 2024, qdepthwise_conv2d_transpose.py; semantics §10.3).
// The input channels are split into groups of `group_size`; each group is transposed-convolved
// with its slice of the quantized depthwise kernel (kh, kw, in, group_size) and the results are
// concatenated, so the output has as many channels as the input. Then depthwise_activation.
//
// What QKeras's call() ignores, and so do we: the bias (always use_bias=False in the op, the
// variable exists but is never added), `activation` (only depthwise_activation is applied),
// depth_multiplier and `filters` beyond the bias shape. Unlike QConv2DTranspose, output_padding
// is honoured (deconv_output_length with the config value). get_config does not write
// depthwise_activation, so saved files carry none; a hand-written config that has it is honoured.
#include <algorithm>

#include "kernels/depthwise_conv2d_transpose_f32_reference.h"
#include "layers/conv_common.h"
#include "layers/layer_factories.h"
#include "layers/layer_weights.h"
#include "layers/quantized_layer.h"

namespace qkw {

namespace {

class QDepthwiseConv2DTransposeLayer : public QuantizedLayer {
 public:
  QDepthwiseConv2DTransposeLayer(const std::string& name, const std::string& className, ConvParams params,
                                 std::vector<int> outputPadding, Tensor depthwise, ActivationFunction activation,
                                 std::vector<QuantizerSlot> slots)
      : QuantizedLayer(name, className), params_(params), outputPadding_(std::move(outputPadding)),
        depthwise_(std::move(depthwise)) {
    activation_ = std::move(activation);
    weightSlots_ = std::move(slots);
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (inputShapes.size() != 1) throw Error(prefix() + "expects exactly one input");
    Conv2DGeometry g = geometry(inputShapes[0]);
    return {g.outH, g.outW, g.inC};
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    Conv2DGeometry g = geometry(Shape(x.shape.begin() + 1, x.shape.end()));
    g.batch = x.shape[0];
    depthwise_conv2d_transpose_f32_reference(x.data.data(), g, depthwise_.data.data(), groupSize(),
                                             output.data.data());
    activation_.applyInPlace(output);
  }

  // The bias is not among them: forward() never reads it.
  std::vector<WeightInput> effectiveWeights() const override { return {{"depthwise_kernel", 0, depthwise_}}; }

 private:
  int64_t groupSize() const { return depthwise_.shape[3]; }

  Conv2DGeometry geometry(const Shape& in) const {
    return params_.transposedGeometry(prefix(), in, outputPadding_, depthwise_.shape[2], "depthwise kernel");
  }

  ConvParams params_;
  std::vector<int> outputPadding_;  // empty: inferred (None)
  Tensor depthwise_;                // (kH, kW, in, group_size)
};

}  // namespace

LayerPtr makeQDepthwiseConv2DTransposeLayer(const LayerContext& ctx) {
  requireChannelsLast(ctx);
  ConvParams params = ConvParams::read(ctx, 2, {Padding::Valid, Padding::Same});
  // Keras's backend switches to atrous_conv2d_transpose for dilation > 1, which drops the
  // strides; not reproduced.
  if (params.dilationH != 1 || params.dilationW != 1)
    throw Unsupported(ctx.errorPrefix() + "dilation_rate other than (1, 1)");
  const int groupSize = configInt(ctx, "group_size", 1);
  if (groupSize <= 0) throw Error(ctx.errorPrefix() + "group_size must be positive, got " + std::to_string(groupSize));
  const bool useBias = configBool(ctx, "use_bias", true);
  std::vector<int> outputPadding = configIntTuple(ctx, "output_padding", 2, {});
  const std::vector<std::string> order = weightOrder({"depthwise_kernel"}, useBias);

  Tensor depthwise = ctx.weight("depthwise_kernel", order);
  if (depthwise.rank() != 4 || depthwise.shape[0] != params.kH || depthwise.shape[1] != params.kW ||
      depthwise.shape[3] != groupSize)
    throw Error(ctx.errorPrefix() + "weight 'depthwise_kernel' has shape " + shapeToString(depthwise.shape) +
                ", expected (" + std::to_string(params.kH) + ", " + std::to_string(params.kW) + ", in, " +
                std::to_string(groupSize) + ")");
  if (depthwise.shape[2] % groupSize != 0)
    throw Error(ctx.errorPrefix() + "input channels (" + std::to_string(depthwise.shape[2]) +
                ") are not a multiple of group_size " + std::to_string(groupSize));
  if (const Tensor* bias = ctx.optionalWeight("bias", order))
    checkWeightShape(ctx, "bias", *bias, {requiredInt(ctx, "filters")});

  WeightSlotQuantization weights(ctx);
  weights.add("depthwise_kernel_quantizer", true, &depthwise);
  std::vector<QuantizerSlot> slots = weights.quantize();
  ActivationFunction activation =
      ActivationFunction::resolve(ctx.find("depthwise_activation"), ctx, ActivationFlavor::QKeras, "depthwise_activation");
  return std::make_unique<QDepthwiseConv2DTransposeLayer>(ctx.name, ctx.className, params, std::move(outputPadding),
                                                          std::move(depthwise), std::move(activation),
                                                          std::move(slots));
}

}  // namespace qkw
