// quantized_tanh (semantics §2.4): no STE wrapper, output is the clipped grid value.
#include <cmath>

#include "quant/quantizer_classes.h"
#include "quant/rounding.h"
#include "quant/sigmoid.h"

namespace qkw::quant {

namespace {

class QuantizedTanh : public QuantizerBase {
 public:
  QuantizedTanh(const Args& args, const QuantizerOptions& options) : QuantizerBase(args), sigmoid_(options.sigmoid) {
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

  double max() const override { return 1.0 - 1.0 / std::ldexp(1.0, bits_ - 1); }
  double min() const override { return -1.0 + (symmetric_ ? 1.0 : 0.0) / std::ldexp(1.0, bits_ - 1); }
  int bits() const override { return bits_; }
  bool isSigned() const override { return true; }

  std::optional<Grid> grid() const override {
    Grid g;
    g.kind = Grid::Kind::Uniform;
    g.bits = bits_;
    g.isSigned = true;
    g.step = 1.0 / std::ldexp(1.0, bits_ - 1);
    g.min = min();
    g.max = max();
    return g;
  }

  void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const override {
    const int64_t n = numElements(shape);
    const float m = std::ldexp(1.0f, bits_ - 1);
    const float lo = -1.0f + (symmetric_ ? 1.0f : 0.0f) / m;
    const float hi = 1.0f - 1.0f / m;
    for (int64_t i = 0; i < n; ++i) {
      // The hard variant is computed literally (2*clip(0.5x+0.5, 0, 1) - 1), not as clip(x).
      const float p = realTanh_ ? std::tanh(x[i]) : 2.0f * internalSigmoid(x[i], sigmoid_) - 1.0f;
      y[i] = clip(roundThrough(p * m) / m, lo, hi);
    }
    if (scale) *scale = ScaleInfo{{}, {1.0f}};
  }

 private:
  SigmoidMode sigmoid_;
  int bits_;
  bool symmetric_;
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
