// quantized_sigmoid (semantics §2.4): no STE wrapper, output is the clipped grid value.
#include <cmath>

#include "quant/quantizer_classes.h"
#include "quant/rounding.h"
#include "quant/sigmoid.h"

namespace qkw::quant {

namespace {

class QuantizedSigmoid : public QuantizerBase {
 public:
  QuantizedSigmoid(const Args& args, const QuantizerOptions& options) : QuantizerBase(args), sigmoid_(options.sigmoid) {
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

  double max() const override { return 1.0 - 1.0 / std::ldexp(1.0, bits_); }
  double min() const override { return (symmetric_ ? 1.0 : 0.0) / std::ldexp(1.0, bits_); }
  int bits() const override { return bits_; }
  bool isSigned() const override { return false; }

  std::optional<Grid> grid() const override {
    Grid g;
    g.kind = Grid::Kind::Uniform;
    g.bits = bits_;
    g.isSigned = false;
    g.step = 1.0 / std::ldexp(1.0, bits_);
    g.min = min();
    g.max = max();
    return g;
  }

  void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const override {
    const int64_t n = numElements(shape);
    const float m = std::ldexp(1.0f, bits_);
    const float lo = (symmetric_ ? 1.0f : 0.0f) / m;
    const float hi = 1.0f - 1.0f / m;
    for (int64_t i = 0; i < n; ++i) {
      const float p = realSigmoid_ ? realSigmoid(x[i]) : internalSigmoid(x[i], sigmoid_);
      y[i] = clip(roundThrough(p * m) / m, lo, hi);
    }
    if (scale) *scale = ScaleInfo{{}, {1.0f}};
  }

 private:
  SigmoidMode sigmoid_;
  int bits_;
  bool symmetric_;
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
