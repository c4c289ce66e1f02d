// quantized_ulaw (semantics §2.4): u-law companding of a quantized sigmoid.
#include <algorithm>
#include <cmath>

#include "quant/quantizer_classes.h"
#include "quant/rounding.h"
#include "quant/sigmoid.h"

namespace qkw::quant {

namespace {

class QuantizedUlaw : public QuantizerBase {
 public:
  QuantizedUlaw(const Args& args, const QuantizerOptions& options) : QuantizerBase(args), sigmoid_(options.sigmoid) {
    bits_ = args.integer("bits", 1, 30);
    integer_ = args.integer("integer", -126, 127);
    symmetric_ = args.boolean("symmetric");
    u_ = args.number("u");
    if (!(u_ > 0)) args.fail("u", "must be positive");
  }

  std::string str() const override {
    std::string s = "quantized_ulaw(" + pyStr(arg("bits")) + "," + pyStr(arg("integer"));
    if (symmetric_ || u_ != 255.0) s += "," + std::to_string(pyInt(arg("symmetric")));
    if (u_ != 255.0) s += "," + pyStr(arg("u"));
    return s + ")";
  }

  double max() const override { return bits_ - 1 > 0 ? std::max(1.0, std::ldexp(1.0, integer_)) : 1.0; }
  double min() const override { return -max(); }
  int bits() const override { return bits_; }
  bool isSigned() const override { return true; }

  std::optional<Grid> grid() const override {
    // Past 2^20 levels range() refuses to list them; such a grid is not summarized.
    if ((int64_t{1} << (bits_ - 1)) + 1 > kMaxRangeValues) return std::nullopt;
    const std::vector<float> values = range();
    Grid g;
    g.kind = Grid::Kind::Custom;
    g.bits = bits_;
    g.integer = integer_;
    g.isSigned = true;
    g.min = *std::min_element(values.begin(), values.end());
    g.max = *std::max_element(values.begin(), values.end());
    return g;
  }

  // Not in QKeras: the distinct output values (rp = 2k/m - 1 for k = 0..m pushed through
  // the same float32 expression), ascending.
  std::vector<float> range() const override {
    const float m = std::ldexp(1.0f, bits_ - 1);
    checkRangeLength((int64_t{1} << (bits_ - 1)) + 1);
    std::vector<float> out;
    for (int k = 0; k <= static_cast<int>(m); ++k) {
      const float v = fromRounded(static_cast<float>(k), m);
      if (out.empty() || out.back() != v) out.push_back(v);
    }
    return out;
  }

  void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const override {
    const int64_t n = numElements(shape);
    const float m = std::ldexp(1.0f, bits_ - 1);
    const float mi = static_cast<float>(std::ldexp(1.0, integer_));
    for (int64_t i = 0; i < n; ++i) {
      const float p = internalSigmoid(x[i] / mi, sigmoid_, i, n) * m;
      y[i] = fromRounded(roundThrough(p), m);
    }
    if (scale) *scale = ScaleInfo{{}, {1.0f}};
  }

 private:
  float fromRounded(float rounded, float m) const {
    const float mi = static_cast<float>(std::ldexp(1.0, integer_));
    const float u = static_cast<float>(u_);
    const float rp = 2.0f * (rounded / m) - 1.0f;
    // log(1 + u) is evaluated by K.log on the Python double 1 + u.
    const float logDen = std::log(static_cast<float>(1.0 + u_));
    const float law = (sign(rp) * std::log(1.0f + u * std::fabs(rp))) / logDen;
    const float lo = static_cast<float>(-1.0 + (1.0 * (symmetric_ ? 1 : 0)) / static_cast<double>(m));
    const float hi = static_cast<float>(1.0 - 1.0 / static_cast<double>(m));
    return mi * clip(law, lo, hi);
  }

  SigmoidMode sigmoid_;
  int bits_;
  int integer_;
  bool symmetric_;
  double u_;
};

}  // namespace

const ClassInfo& quantizedUlawClass() {
  static const ClassInfo info = [] {
    ClassInfo c;
    c.name = "quantized_ulaw";
    c.params = {{"bits", 8}, {"integer", 0}, {"symmetric", 0}, {"u", 255.0}};
    c.serialized = {"bits", "integer", "symmetric", "u"};
    c.make = [](const Args& a, const QuantizerOptions& o) -> QuantizerPtr { return std::make_shared<QuantizedUlaw>(a, o); };
    return c;
  }();
  return info;
}

}  // namespace qkw::quant
