// quantized_sigmoid (semantics §2.4): no STE wrapper, output is the clipped grid value.
#include "quant/clipped_activation_grid.h"
#include "quant/quantizer_classes.h"
#include "quant/sigmoid.h"

namespace qkw::quant {

namespace {

class QuantizedSigmoid : public ClippedActivationGridQuantizer {
 public:
  QuantizedSigmoid(const Args& args, const QuantizerOptions& options)
      : ClippedActivationGridQuantizer(args, /*isSigned=*/false), sigmoid_(options.sigmoid) {
    bits_ = args.integer("bits", 1, 30);
    symmetric_ = args.boolean("symmetric");
    realSigmoid_ = args.boolean("use_real_sigmoid");
    args.boolean("use_stochastic_rounding");  // deterministic at learning phase 0
  }

  std::string str() const override {
    std::string s = "quantized_sigmoid(" + pyStr(arg("bits"));
    if (symmetric_) s += "," + std::to_string(pyInt(arg("symmetric")));
    if (realSigmoid_) s += "," + std::to_string(pyInt(arg("use_real_sigmoid")));
    if (pyTruthy(arg("use_stochastic_rounding"))) s += "," + std::to_string(pyInt(arg("use_stochastic_rounding")));
    return s + ")";
  }

  void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const override {
    applyClippedGrid(x, y, shape, scale,
                     [this](float v, int64_t i, int64_t n) {
                       return realSigmoid_ ? realSigmoid(v, i, n) : internalSigmoid(v, sigmoid_, i, n);
                     });
  }

 private:
  SigmoidMode sigmoid_;
  bool realSigmoid_;
};

}  // namespace

const ClassInfo& quantizedSigmoidClass() {
  static const ClassInfo info = [] {
    ClassInfo c;
    c.name = "quantized_sigmoid";
    c.params = {{"bits", 8}, {"symmetric", false}, {"use_real_sigmoid", false}, {"use_stochastic_rounding", false}};
    c.serialized = {"bits", "symmetric", "use_real_sigmoid", "use_stochastic_rounding"};
    c.make = [](const Args& a, const QuantizerOptions& o) -> QuantizerPtr { return std::make_shared<QuantizedSigmoid>(a, o); };
    return c;
  }();
  return info;
}

}  // namespace qkw::quant
