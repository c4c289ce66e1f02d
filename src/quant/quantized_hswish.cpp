// quantized_hswish (semantics §2.9): quantized_bits applied to x * relu6(x + 3) / 6.
#include <cmath>

#include "quant/quantized_bits.h"
#include "quant/quantizer_classes.h"
#include "quant/rounding.h"

namespace qkw::quant {

namespace {

class QuantizedHswish : public QuantizedBits {
 public:
  QuantizedHswish(const Args& args, const QuantizerOptions& options) : QuantizedBits(args, options) {
    reluShift_ = static_cast<float>(args.number("relu_shift"));
    reluUpperBound_ = static_cast<float>(args.number("relu_upper_bound"));
    // QKeras asserts both at call time.
    if (!(reluShift_ > 0)) args.fail("relu_shift", "must be a positive value");
    if (!(reluUpperBound_ > 0)) args.fail("relu_upper_bound", "must be a positive value");
  }

  // QKeras's __str__ asserts that the formatted integer is an int and so always raises; this
  // is the string it evidently meant to build.
  std::string str() const override {
    std::string s = "quantized_hswish(" + pyStr(arg("bits")) + "," + pyStr(arg("integer")) + "," +
                    std::to_string(pyInt(arg("symmetric"))) + ",relu_shift=" + pyStr(arg("relu_shift")) +
                    ",relu_upper_bound=" + pyStr(arg("relu_upper_bound"));
    for (const auto& f : optionalFlags()) s += "," + f;
    return s + ")";
  }

  // QKeras: min of the parabola -shift^2/(4*ub) if quantized_bits's min is below it, else
  // quantized_bits's min. Its code then calls a non-existent `call` method (AttributeError);
  // we return what it meant: the quantized value of the parabola's minimum.
  double min() const override {
    const double minQuant = QuantizedBits::min();
    const double shift = arg("relu_shift").get<double>();
    const double denom = 4 * arg("relu_upper_bound").get<double>();
    const double minParabolic = -shift * shift / denom;
    if (minQuant >= minParabolic) return minQuant;
    const float in = static_cast<float>(minParabolic);
    float out = 0;
    applyBits(&in, &out, {1}, nullptr);
    return out;
  }

  std::optional<Grid> grid() const override { return QuantizedBits::grid(); }

  std::vector<float> range() const override {
    failApply("quantized_hswish has no range() in QKeras");
  }

  void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const override {
    const int64_t n = numElements(shape);
    std::vector<float> h(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const float shifted = x[i] + reluShift_;
      const float r = shifted <= reluUpperBound_ ? relu(shifted) : reluUpperBound_;
      h[static_cast<size_t>(i)] = (x[i] * r) / reluUpperBound_;
    }
    applyBits(h.data(), y, shape, scale);
  }

 private:
  float reluShift_;
  float reluUpperBound_;
};

}  // namespace

const ClassInfo& quantizedHswishClass() {
  static const ClassInfo info = [] {
    ClassInfo c;
    c.name = "quantized_hswish";
    c.params = {{"bits", 8},
                {"integer", 0},
                {"symmetric", 0},
                {"alpha", nullptr},
                {"use_stochastic_rounding", false},
                {"scale_axis", nullptr},
                {"qnoise_factor", 1.0},
                {"var_name", nullptr},
                {"use_variables", false},
                {"relu_shift", 3},
                {"relu_upper_bound", 6}};
    c.serialized = {"bits",          "integer",       "symmetric",           "alpha",     "keep_negative",
                    "use_stochastic_rounding", "qnoise_factor", "post_training_scale", "relu_shift", "relu_upper_bound"};
    // QKeras's get_config() writes these quantized_bits keys although __init__ rejects them
    // (so QKeras cannot reload its own config); accept them with their only valid values.
    c.extraConfigKeys = {"keep_negative", "post_training_scale"};
    c.rewrite = WeightRewrite::AlphaAndSymmetric;
    c.hasQnoise = true;
    c.make = [](const Args& a, const QuantizerOptions& o) -> QuantizerPtr {
      Args full = a;
      // The quantized_bits parameters hswish fixes or does not take.
      if (!full.values().contains("keep_negative")) full.set("keep_negative", true);
      if (!full.raw("keep_negative").is_boolean() || !full.raw("keep_negative").get<bool>())
        if (!pyTruthy(full.raw("keep_negative"))) full.fail("keep_negative", "must be True for quantized_hswish");
      if (!full.values().contains("post_training_scale")) full.set("post_training_scale", nullptr);
      if (!full.raw("post_training_scale").is_null()) full.fail("post_training_scale", "is not supported by quantized_hswish");
      full.set("use_ste", true);
      full.set("elements_per_scale", nullptr);
      full.set("min_po2_exponent", nullptr);
      full.set("max_po2_exponent", nullptr);
      return std::make_shared<QuantizedHswish>(full, o);
    };
    return c;
  }();
  return info;
}

}  // namespace qkw::quant
