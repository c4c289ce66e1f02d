// Weight loading steps that every kernel/bias layer (dense, the conv family) repeats: the
// optional bias, the load-time quantization of each weight slot, the activation flavour and the
// list of weights a trace reports as "effective" (what forward() actually multiplies with).
#pragma once
#include <string>
#include <vector>

#include "layers/activation_function.h"
#include "layers/layer.h"
#include "layers/layer_config.h"

namespace qkw {

// The config's weight names in file order: `weights`, then "bias" when use_bias.
std::vector<std::string> weightOrder(std::vector<std::string> weights, bool useBias);

// The (length) bias when use_bias, else an empty tensor (forward() then adds nothing).
Tensor readOptionalBias(const LayerContext& ctx, bool useBias, const std::vector<std::string>& order, int64_t length);

// Quantizes weights once at load time, as QKeras quantizes them on every call (the result is
// the same each time), and collects the quantizer slots in the order they are added, which is
// the order traces list them. Every quantizer is built before any is applied, so a bad spec is
// reported ahead of an apply-time error. A file that already stores effective (quantized)
// weights is left as it is, but its slots are still recorded so traces can check the grid.
class WeightSlotQuantization {
 public:
  explicit WeightSlotQuantization(const LayerContext& ctx);

  // Makes slot `key`'s quantizer (none when the slot is empty) for `weight`, which quantize()
  // changes in place; null when there is no weight to quantize (use_bias=False).
  // `weightSlot` as in makeSlotQuantizer.
  void add(const std::string& key, bool weightSlot, Tensor* weight);

  // Applies the quantizers in the order added and returns the slots.
  std::vector<QuantizerSlot> quantize();

 private:
  const LayerContext& ctx_;
  bool effective_;
  std::vector<QuantizerSlot> slots_;
  std::vector<Tensor*> weights_;  // parallel to slots_
};

// QKeras layers resolve their activation with QKeras's rules (quantizer strings allowed),
// Keras layers with Keras's.
ActivationFunction resolveLayerActivation(const LayerContext& ctx, bool quantized);

// `weights` followed by the bias, at the next weight index, when the layer has one.
std::vector<WeightInput> withOptionalBias(std::vector<WeightInput> weights, const Tensor& bias);

}  // namespace qkw
