// quantized_tanh (semantics §2.4): no STE wrapper, output is the clipped grid value.
#include <cmath>

#include "quant/clipped_activation_grid.h"
#include "quant/quantizer_classes.h"
#include "quant/sigmoid.h"
#include "quant/tf_math.h"

namespace qkw::quant {

namespace {

class QuantizedTanh : public ClippedActivationGridQuantizer {
 public:
  QuantizedTanh(const Args& args, const QuantizerOptions& options)
      : ClippedActivationGridQuantizer(args, /*isSigned=*/true), sigmoid_(options.sigmoid) {
    bits_ = args.integer("bits", 1, 30);
    args.boolean("use_stochastic_rounding");  // deterministic at learning phase 0
    symmetric_ = args.boolean("symmetric");
    realTanh_ = args.boolean("use_real_tanh");
  }

  std::string str() const override {
    std::string s = "quantized_tanh(" + pyStr(arg("bits"));
    if (pyTruthy(arg("use_stochastic_rounding"))) s += "," + std::to_string(pyInt(arg("use_stochastic_rounding")));
    if (symmetric_) s += "," + std::to_string(pyInt(arg("symmetric")));
    if (realTanh_) s += "," + std::to_string(pyInt(arg("use_real_tanh")));
    return s + ")";
  }

  void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const override {
    // The hard variant is computed literally (2*clip(0.5x+0.5, 0, 1) - 1), not as clip(x).
    applyClippedGrid(x, y, shape, scale, [this](float v, int64_t i, int64_t n) {
      return realTanh_ ? eigenTanhf(v) : 2.0f * internalSigmoid(v, sigmoid_, i, n) - 1.0f;  // K.tanh: Eigen's tanh
    });
  }

 private:
  SigmoidMode sigmoid_;
  bool realTanh_;
};

}  // namespace

const ClassInfo& quantizedTanhClass() {
  static const ClassInfo info = [] {
    ClassInfo c;
    c.name = "quantized_tanh";
    c.params = {{"bits", 8}, {"use_stochastic_rounding", false}, {"symmetric", false}, {"use_real_tanh", false}};
    c.serialized = {"bits", "symmetric", "use_stochastic_rounding", "use_real_tanh"};
    c.make = [](const Args& a, const QuantizerOptions& o) -> QuantizerPtr { return std::make_shared<QuantizedTanh>(a, o); };
    return c;
  }();
  return info;
}

}  // namespace qkw::quant
