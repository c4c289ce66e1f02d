// Batch-norm folding shared by QConv2DBatchnorm, QDepthwiseConv2DBatchnorm and
// QDenseBatchnorm at inference (semantics §4.5; qconv2d_batchnorm.py, qdense_batchnorm.py):
//   inv = rsqrt(moving_variance + epsilon); if scale: inv = inv * gamma
//   folded_bias = inv * (bias - moving_mean) + beta        (bias = 0 without use_bias)
//   folded_kernel = inv * kernel  (per output channel; the caller broadcasts)
#pragma once
#include <string>
#include <vector>

#include "layers/layer.h"

namespace qkw {

struct FoldedBatchNorm {
  std::vector<float> inv;         // per channel
  std::vector<float> foldedBias;  // per channel
};

// Positional variable order of the folded layers (Keras: own trainable, sublayer trainable,
// own non-trainable, sublayer non-trainable); only used when the file has no weight names.
std::vector<std::string> foldedWeightOrder(const std::string& kernelRole, bool useBias, bool scale, bool center);

// Reads gamma/beta/moving_mean/moving_variance (and epsilon, center, scale from the config).
// `bias` is the layer's own bias, or nullptr when use_bias is false. `lastAxis` is the output's
// last axis (batch included) when the layer knows it (3 for conv), or 0 when it does not (dense):
// saved configs write the BN axis as -1 or, after build, as that positive index.
FoldedBatchNorm foldBatchNorm(const LayerContext& ctx, const std::vector<std::string>& order, int64_t channels,
                              const Tensor* bias, int lastAxis);

}  // namespace qkw
