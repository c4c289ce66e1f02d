// QDenseBatchnorm (qdense_batchnorm.py, not in semantics.md): QDense with a Keras
// BatchNormalization folded in at inference, then quantized: the kernel quantizer sees
// inv * kernel (per unit), the bias quantizer sees inv * (bias - mean) + beta. The folded bias
// is always added, even with use_bias=False.
#include "layers/batchnorm_folding.h"
#include "layers/dense.h"
#include "layers/layer_config.h"
#include "layers/layer_factories.h"
#include "layers/weight_report.h"

namespace qkw {

LayerPtr makeDenseBatchnormLayer(const LayerContext& ctx) {
  const int units = requiredInt(ctx, "units");
  const bool useBias = configBool(ctx, "use_bias", true);
  QuantizerPtr kq = makeSlotQuantizer(ctx, "kernel_quantizer", true);
  QuantizerPtr bq = makeSlotQuantizer(ctx, "bias_quantizer", false);
  std::vector<QuantizerSlot> slots;
  if (kq) slots.push_back({"kernel_quantizer", kq});
  if (bq) slots.push_back({"bias_quantizer", bq});
  std::optional<WeightQuantizationReport> kernelReport, biasReport;
  ActivationFunction activation = ActivationFunction::resolve(ctx.find("activation"), ctx, ActivationFlavor::QKeras);

  if (usesEffectiveWeights(ctx)) {
    // Converted file: the folded, quantized kernel and bias as the layer uses them.
    const std::vector<std::string> effectiveOrder = {"kernel", "bias"};
    Tensor kernel = ctx.weight("kernel", effectiveOrder);
    Tensor bias = ctx.weight("bias", effectiveOrder);
    if (kernel.rank() != 2 || kernel.shape[1] != units) throw Error(ctx.errorPrefix() + "bad effective kernel shape");
    checkWeightShape(ctx, "bias", bias, {units});
    return std::make_unique<DenseLayer>(ctx.name, ctx.className, std::move(kernel), std::move(bias),
                                        std::move(activation), std::move(slots));
  }

  const auto order =
      foldedWeightOrder("kernel", useBias, configBool(ctx, "scale", true), configBool(ctx, "center", true));

  Tensor kernel = ctx.weight("kernel", order);
  if (kernel.rank() != 2 || kernel.shape[1] != units)
    throw Error(ctx.errorPrefix() + "weight 'kernel' has shape " + shapeToString(kernel.shape) + ", expected (in, " +
                std::to_string(units) + ")");
  const Tensor* bias = nullptr;
  if (useBias) {
    bias = &ctx.weight("bias", order);
    checkWeightShape(ctx, "bias", *bias, {units});
  }
  FoldedBatchNorm folded = foldBatchNorm(ctx, order, units, bias, 0);

  for (int64_t i = 0; i < kernel.shape[0]; ++i)
    for (int64_t u = 0; u < units; ++u) kernel.data[i * units + u] = folded.inv[u] * kernel.data[i * units + u];
  Tensor foldedBias({units}, folded.foldedBias);

  if (kq) kernelReport = quantizeWeightReporting(*kq, kernel);
  if (bq) biasReport = quantizeWeightReporting(*bq, foldedBias);
  for (QuantizerSlot& slot : slots) slot.report = slot.slot == "kernel_quantizer" ? kernelReport : biasReport;
  return std::make_unique<DenseLayer>(ctx.name, ctx.className, std::move(kernel), std::move(foldedBias),
                                      std::move(activation), std::move(slots));
}

}  // namespace qkw
