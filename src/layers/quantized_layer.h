// Shared base for layers whose weights went through quantizers at load time and whose
// output may pass an `activation` (a float function or an output quantizer).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "layers/activation_function.h"
#include "layers/layer.h"

namespace qkw {

class QuantizedLayer : public Layer {
 public:
  std::vector<QuantizerSlot> quantizers() const override {
    std::vector<QuantizerSlot> all = weightSlots_;
    if (activation_.quantizer()) all.push_back({"activation", activation_.quantizer()});
    return all;
  }
  QuantizerPtr outputQuantizer() const override { return activation_.quantizer(); }
  const ActivationFunction& activation() const { return activation_; }

 protected:
  QuantizedLayer(std::string name, std::string className) : Layer(std::move(name), std::move(className)) {}

  // Records a weight quantizer slot (skipped when there is none).
  void addSlot(const std::string& slot, QuantizerPtr q) {
    if (q) weightSlots_.push_back({slot, std::move(q)});
  }
  // "layer 'name' (ClassName): ", the start of every error message about this layer.
  std::string prefix() const { return "layer '" + name() + "' (" + className() + "): "; }

  ActivationFunction activation_;
  std::vector<QuantizerSlot> weightSlots_;
};

}  // namespace qkw
