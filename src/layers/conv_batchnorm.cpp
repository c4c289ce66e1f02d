// QConv2DBatchnorm / QDepthwiseConv2DBatchnorm (semantics §4.5): fold the batch norm's moving
// statistics into kernel and bias first, then quantize the folded values:
//   folded_kernel = inv * kernel (per filter; depthwise: inv reshaped to (in, dm))
//   folded_bias   = inv * (bias - moving_mean) + beta, always added
// BN parameters are not quantized individually.
#include "layers/batchnorm_folding.h"
#include "layers/conv.h"
#include "layers/layer_config.h"
#include "layers/layer_factories.h"
#include "layers/weight_report.h"

namespace qkw {

LayerPtr makeConvBatchnormLayer(const LayerContext& ctx) {
  const bool depthwise = ctx.className == "QDepthwiseConv2DBatchnorm";
  requireChannelsLast(ctx);
  ConvParams params = ConvParams::read(ctx, 2, {Padding::Valid, Padding::Same});
  const bool useBias = configBool(ctx, "use_bias", true);
  const std::string kernelRole = depthwise ? "depthwise_kernel" : "kernel";
  const bool effective = usesEffectiveWeights(ctx);
  // Converted files hold the folded, quantized kernel and bias (always present) instead.
  const auto order = effective ? std::vector<std::string>{kernelRole, "bias"}
                               : foldedWeightOrder(kernelRole, useBias, configBool(ctx, "scale", true),
                                                   configBool(ctx, "center", true));

  Tensor kernel = ctx.weight(kernelRole, order);
  if (kernel.rank() != 4 || kernel.shape[0] != params.kH || kernel.shape[1] != params.kW)
    throw Error(ctx.errorPrefix() + "weight '" + kernelRole + "' has shape " + shapeToString(kernel.shape) +
                ", which does not match kernel_size");
  int groups = 1;
  int64_t channels = 0;
  if (depthwise) {
    const int dm = configInt(ctx, "depth_multiplier", 1);
    if (kernel.shape[3] != dm)
      throw Error(ctx.errorPrefix() + "weight 'depthwise_kernel' has shape " + shapeToString(kernel.shape) +
                  ", expected depth_multiplier " + std::to_string(dm) + " last");
    channels = kernel.shape[2] * dm;
  } else {
    const int filters = requiredInt(ctx, "filters");
    groups = configInt(ctx, "groups", 1);
    if (groups != 1)
      throw Unsupported(ctx.errorPrefix() + "groups > 1 (QConv2DBatchnorm calls backend.conv2d without groups)");
    if (kernel.shape[3] != filters)
      throw Error(ctx.errorPrefix() + "weight 'kernel' has shape " + shapeToString(kernel.shape) +
                  ", expected filters=" + std::to_string(filters) + " last");
    channels = filters;
  }
  const std::string kernelSlot = depthwise ? "depthwise_quantizer" : "kernel_quantizer";
  QuantizerPtr kq = makeSlotQuantizer(ctx, kernelSlot, true);
  QuantizerPtr bq = makeSlotQuantizer(ctx, "bias_quantizer", false);
  Tensor foldedBias;
  std::optional<WeightQuantizationReport> kernelReport, biasReport;
  if (effective) {
    foldedBias = ctx.weight("bias", order);
    checkWeightShape(ctx, "bias", foldedBias, {channels});
  } else {
    const Tensor* bias = nullptr;
    if (useBias) {
      bias = &ctx.weight("bias", order);
      checkWeightShape(ctx, "bias", *bias, {channels});
    }
    FoldedBatchNorm folded = foldBatchNorm(ctx, order, channels, bias, 3);
    // Both layouts flatten their last two axes to the output channel (filters, or c*dm + j),
    // so the per-channel factor broadcasts the same way.
    const int64_t taps = kernel.size() / channels;
    for (int64_t t = 0; t < taps; ++t)
      for (int64_t c = 0; c < channels; ++c)
        kernel.data[t * channels + c] = folded.inv[c] * kernel.data[t * channels + c];
    foldedBias = Tensor({channels}, folded.foldedBias);
    if (kq) kernelReport = quantizeWeightReporting(*kq, kernel);
    if (bq) biasReport = quantizeWeightReporting(*bq, foldedBias);
  }
  std::vector<QuantizerSlot> slots;
  if (kq) slots.push_back({kernelSlot, kq, kernelReport});
  if (bq) slots.push_back({"bias_quantizer", bq, biasReport});
  ActivationFunction activation = ActivationFunction::resolve(ctx.find("activation"), ctx, ActivationFlavor::QKeras);
  if (depthwise)
    return std::make_unique<DepthwiseConvLayer>(ctx.name, ctx.className, params, std::move(kernel),
                                                std::move(foldedBias), std::move(activation), std::move(slots));
  return std::make_unique<ConvLayer>(ctx.name, ctx.className, params, groups, std::move(kernel),
                                     std::move(foldedBias), std::move(activation), std::move(slots));
}

}  // namespace qkw
