#include "layers/layer_weights.h"

#include <utility>

#include "layers/weight_report.h"

namespace qkw {

std::vector<std::string> weightOrder(std::vector<std::string> weights, bool useBias) {
  if (useBias) weights.push_back("bias");
  return weights;
}

Tensor readOptionalBias(const LayerContext& ctx, bool useBias, const std::vector<std::string>& order, int64_t length) {
  Tensor bias;
  if (useBias) {
    bias = ctx.weight("bias", order);
    checkWeightShape(ctx, "bias", bias, {length});
  }
  return bias;
}

WeightSlotQuantization::WeightSlotQuantization(const LayerContext& ctx)
    : ctx_(ctx), effective_(usesEffectiveWeights(ctx)) {}

void WeightSlotQuantization::add(const std::string& key, bool weightSlot, Tensor* weight) {
  QuantizerPtr q = makeSlotQuantizer(ctx_, key, weightSlot);
  if (!q) return;
  slots_.push_back({key, std::move(q)});
  weights_.push_back(weight);
}

std::vector<QuantizerSlot> WeightSlotQuantization::quantize() {
  if (!effective_)
    for (size_t i = 0; i < slots_.size(); ++i)
      if (Tensor* w = weights_[i]) slots_[i].report = quantizeWeightReporting(*slots_[i].quantizer, *w);
  weights_.clear();
  return std::move(slots_);
}

ActivationFunction resolveLayerActivation(const LayerContext& ctx, bool quantized) {
  return ActivationFunction::resolve(ctx.find("activation"), ctx,
                                     quantized ? ActivationFlavor::QKeras : ActivationFlavor::Keras);
}

std::vector<WeightInput> withOptionalBias(std::vector<WeightInput> weights, const Tensor& bias) {
  if (!bias.data.empty()) weights.push_back({"bias", static_cast<int>(weights.size()), bias});
  return weights;
}

}  // namespace qkw
