#include "layers/batchnorm_folding.h"

#include <cmath>

#include "layers/layer_config.h"

namespace qkw {

std::vector<std::string> foldedWeightOrder(const std::string& kernelRole, bool useBias, bool scale, bool center) {
  std::vector<std::string> order = {kernelRole};
  if (useBias) order.push_back("bias");
  if (scale) order.push_back("gamma");
  if (center) order.push_back("beta");
  order.push_back("iteration");
  order.push_back("moving_mean");
  order.push_back("moving_variance");
  return order;
}

FoldedBatchNorm foldBatchNorm(const LayerContext& ctx, const std::vector<std::string>& order, int64_t channels,
                              const Tensor* bias, int lastAxis) {
  const bool scale = configBool(ctx, "scale", true);
  const bool center = configBool(ctx, "center", true);
  if (!center)
    throw Error(ctx.errorPrefix() + "center=False: QKeras's folding adds beta, which does not exist then "
                "(the layer fails in QKeras too)");
  const float epsilon = configFloat(ctx, "epsilon", 1e-3f);
  const int axis = configAxis(ctx, "axis", -1);
  const bool lastAxisOk = axis == -1 || (axis > 0 && (lastAxis == 0 || axis == lastAxis));
  if (!lastAxisOk)
    throw Unsupported(ctx.errorPrefix() + "batch-norm axis " + std::to_string(axis) + " (only the last axis, -1)");

  const Tensor& mean = ctx.weight("moving_mean", order);
  const Tensor& variance = ctx.weight("moving_variance", order);
  const Tensor& beta = ctx.weight("beta", order);
  checkWeightShape(ctx, "moving_mean", mean, {channels});
  checkWeightShape(ctx, "moving_variance", variance, {channels});
  checkWeightShape(ctx, "beta", beta, {channels});
  const Tensor* gamma = nullptr;
  if (scale) {
    gamma = &ctx.weight("gamma", order);
    checkWeightShape(ctx, "gamma", *gamma, {channels});
  }

  FoldedBatchNorm f;
  f.inv.resize(channels);
  f.foldedBias.resize(channels);
  for (int64_t c = 0; c < channels; ++c) {
    float inv = 1.0f / std::sqrt(variance.data[c] + epsilon);
    if (gamma) inv = inv * gamma->data[c];
    const float b0 = bias ? bias->data[c] : 0.0f;
    const float centered = b0 - mean.data[c];
    f.inv[c] = inv;
    f.foldedBias[c] = inv * centered + beta.data[c];
  }
  return f;
}

}  // namespace qkw
