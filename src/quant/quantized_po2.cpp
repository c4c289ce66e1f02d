// quantized_po2 and quantized_relu_po2 (semantics §2.5): round to a power of two in the log
// domain. Zero never maps to zero (it maps to 2^min_exponent).
#include <cfloat>
#include <cmath>

#include "quant/quantizer_classes.h"
#include "quant/rounding.h"
#include "quant/tf_math.h"

namespace qkw::quant {

namespace {

// QKeras's _clip_power_of_two for one |x| (deterministic branch): the exponent, already
// multiplied by 2 under quadratic_approximation (except the tiny-input case).
struct Po2Exponents {
  float minExp = 0, maxExp = 0;
  std::optional<float> maxValue;
  bool quadratic = false;
  bool floorRounding = false;

  // `index` of `count`: where the element sits in the tensor, which decides TF's log path.
  float clipPo2(float a, int64_t index, int64_t count) const {
    if (a < kEpsilonf) return minExp;  // tiny inputs: min_exp, not multiplied by 2
    float f = a;
    if (maxValue && f >= *maxValue) f = *maxValue;
    const float t = quadratic ? std::sqrt(f) : f;
    const float l = tfLogf(t, index, count) / kLog2f;
    const float rounded = floorRounding ? floorThrough(l) : roundThrough(l);
    return (quadratic ? 2.0f : 1.0f) * clip(rounded, minExp, maxExp);
  }
  // The exponent the largest inputs reach (max_value clamps before the log).
  float largestExponent() const { return clipPo2(maxValue ? *maxValue : FLT_MAX, 0, 1); }
};

class Po2Base : public QuantizerBase {
 public:
  Po2Base(const Args& args, bool relu) : QuantizerBase(args), relu_(relu) {
    bits_ = args.integer("bits", relu ? 1 : 2, 24);
    maxValue_ = args.optNumber("max_value");
    if (maxValue_ && *maxValue_ < 0) args.fail("max_value", "should be non-negative (QKeras raises ValueError)");
    args.boolean("use_stochastic_rounding");  // deterministic at learning phase 0
    quadratic_ = args.boolean("quadratic_approximation");
    const std::string rounding = args.string("log2_rounding");
    if (rounding != "rnd" && rounding != "floor") args.fail("log2_rounding", "must be 'rnd' or 'floor', got '" + rounding + "'");
    qnoise_ = static_cast<float>(args.number("qnoise_factor"));
    useSte_ = args.boolean("use_ste");
    const int needSign = (!maxValue_ || *maxValue_ > 1) ? 1 : 0;
    const int effectBits = relu ? bits_ - needSign : (bits_ - 1) - needSign;
    if (effectBits < 0) args.fail("bits", "is too small: no exponent bits are left");
    minExp_ = -(int64_t{1} << effectBits);
    maxExp_ = (int64_t{1} << effectBits) - 1;
    if (quadratic_) maxExp_ = 2 * (maxExp_ / 2);  // max_exp >= 0, so C++ division floors
    exps_.minExp = static_cast<float>(minExp_);
    exps_.maxExp = static_cast<float>(maxExp_);
    if (maxValue_) exps_.maxValue = static_cast<float>(*maxValue_);
    exps_.quadratic = quadratic_;
    exps_.floorRounding = rounding == "floor";
  }

  double max() const override {
    if (maxValue_ && *maxValue_ != 0) return std::max(1.0, *maxValue_);
    return std::max(1.0, std::ldexp(1.0, static_cast<int>(maxExp_)));
  }
  int bits() const override { return bits_; }

 protected:
  // str(int(max_value)) as QKeras writes it; int(None) would raise there (use_stochastic_rounding
  // without max_value), we write None, which parses back to the same quantizer.
  std::string maxValueFlag() const {
    const json& mv = arg("max_value");
    return mv.is_null() ? "None" : std::to_string(pyInt(mv));
  }
  float output(float x, float xq) const { return useSte_ ? steOutput(x, xq, qnoise_) : blendOutput(x, xq, qnoise_); }

  bool relu_;
  int bits_;
  std::optional<double> maxValue_;
  bool quadratic_;
  float qnoise_;
  bool useSte_;
  int64_t minExp_, maxExp_;
  Po2Exponents exps_;
};

class QuantizedPo2 : public Po2Base {
 public:
  QuantizedPo2(const Args& args, const QuantizerOptions&) : Po2Base(args, false) {}

  std::string str() const override {
    std::string s = "quantized_po2(" + pyStr(arg("bits"));
    const bool stochastic = pyTruthy(arg("use_stochastic_rounding"));
    if (!arg("max_value").is_null() || stochastic) s += "," + maxValueFlag();
    if (stochastic) s += "," + std::to_string(pyInt(arg("use_stochastic_rounding")));
    if (quadratic_) s += ",quadratic_approximation=" + std::to_string(pyInt(arg("quadratic_approximation")));
    return s + ")";
  }
  double min() const override { return -max(); }
  bool isSigned() const override { return true; }

  std::optional<Grid> grid() const override {
    if (qnoise_ != 1.0f) return std::nullopt;
    Grid g;
    g.kind = Grid::Kind::PowerOfTwo;
    g.bits = bits_;
    g.isSigned = true;
    g.max = pow2f(exps_.largestExponent());
    g.min = -g.max;
    return g;
  }

  void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const override {
    const int64_t n = numElements(shape);
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      float s = sign(v);
      s += (1.0f - std::fabs(s));
      const float xq = s * pow2f(exps_.clipPo2(std::fabs(v), i, n));
      y[i] = output(v, xq);
    }
    if (scale) *scale = ScaleInfo{{}, {1.0f}};
  }
};

class QuantizedReluPo2 : public Po2Base {
 public:
  QuantizedReluPo2(const Args& args, const QuantizerOptions&) : Po2Base(args, true) {
    negativeSlope_ = args.number("negative_slope");
    if (!(negativeSlope_ >= 0.0)) args.fail("negative_slope", "must be >= 0 (QKeras asserts)");
    if (negativeSlope_ != 0.0 && std::fmod(std::log2(negativeSlope_), 1.0) != 0.0)
      args.fail("negative_slope", "must be a power of 2 (QKeras asserts)");
  }

  std::string str() const override {
    std::string s = "quantized_relu_po2(" + pyStr(arg("bits"));
    const bool stochastic = pyTruthy(arg("use_stochastic_rounding"));
    if (!arg("max_value").is_null() || stochastic) s += "," + maxValueFlag();
    if (pyTruthy(arg("negative_slope"))) s += "," + pyStr(arg("negative_slope"));
    if (stochastic) s += "," + std::to_string(pyInt(arg("use_stochastic_rounding")));
    if (quadratic_) s += ",quadratic_approximation=" + std::to_string(pyInt(arg("quadratic_approximation")));
    return s + ")";
  }
  double min() const override {
    const double smallest = std::ldexp(1.0, static_cast<int>(minExp_));
    if (negativeSlope_ == 0.0) return smallest;
    if (bits_ - 1 > 0) return std::min(smallest, -negativeSlope_ * std::ldexp(1.0, bits_ - 1));
    return smallest;
  }
  bool isSigned() const override { return negativeSlope_ != 0.0; }

  std::optional<Grid> grid() const override {
    if (qnoise_ != 1.0f) return std::nullopt;
    Grid g;
    g.kind = Grid::Kind::PowerOfTwo;
    g.bits = bits_;
    g.isSigned = negativeSlope_ != 0.0;
    g.max = pow2f(exps_.largestExponent());
    g.min = negativeSlope_ == 0.0 ? pow2f(static_cast<float>(minExp_)) : -g.max;
    return g;
  }

  void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const override {
    const int64_t n = numElements(shape);
    const float ns = static_cast<float>(negativeSlope_);
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      float xr = leakyRelu(v, ns);
      if (maxValue_) xr = v <= static_cast<float>(*maxValue_) ? xr : static_cast<float>(*maxValue_);
      float xq;
      if (v >= 0.0f || negativeSlope_ == 0.0) xq = pow2f(exps_.clipPo2(relu(v), i, n));
      else xq = -pow2f(exps_.clipPo2(relu(-v) * ns, i, n));
      y[i] = output(xr, xq);
    }
    if (scale) *scale = ScaleInfo{{}, {1.0f}};
  }

 private:
  double negativeSlope_;
};

}  // namespace

const ClassInfo& quantizedPo2Class() {
  static const ClassInfo info = [] {
    ClassInfo c;
    c.name = "quantized_po2";
    c.params = {{"bits", 8},           {"max_value", nullptr},     {"use_stochastic_rounding", false},
                {"quadratic_approximation", false}, {"log2_rounding", "rnd"}, {"qnoise_factor", 1.0},
                {"var_name", nullptr}, {"use_ste", true},          {"use_variables", false}};
    c.serialized = {"bits", "max_value", "use_stochastic_rounding", "quadratic_approximation", "qnoise_factor",
                    "log2_rounding"};
    c.hasQnoise = true;
    c.make = [](const Args& a, const QuantizerOptions& o) -> QuantizerPtr { return std::make_shared<QuantizedPo2>(a, o); };
    return c;
  }();
  return info;
}

const ClassInfo& quantizedReluPo2Class() {
  static const ClassInfo info = [] {
    ClassInfo c;
    c.name = "quantized_relu_po2";
    c.params = {{"bits", 8},
                {"max_value", nullptr},
                {"negative_slope", 0},
                {"use_stochastic_rounding", false},
                {"quadratic_approximation", false},
                {"log2_rounding", "rnd"},
                {"qnoise_factor", 1.0},
                {"var_name", nullptr},
                {"use_ste", true},
                {"use_variables", false}};
    c.serialized = {"bits", "max_value", "negative_slope", "use_stochastic_rounding", "quadratic_approximation",
                    "qnoise_factor", "log2_rounding"};
    c.hasQnoise = true;
    c.make = [](const Args& a, const QuantizerOptions& o) -> QuantizerPtr { return std::make_shared<QuantizedReluPo2>(a, o); };
    return c;
  }();
  return info;
}

}  // namespace qkw::quant
