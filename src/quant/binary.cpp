// binary and stochastic_binary (semantics §2.6). stochastic_binary at learning phase 0 runs
// binary's deterministic __call__.
#include <cmath>

#include "quant/quantizer_classes.h"
#include "quant/rounding.h"
#include "quant/scale.h"
#include "quant/tf_math.h"

namespace qkw::quant {

namespace {

class Binary : public QuantizerBase {
 public:
  Binary(const Args& args, bool stochasticClass) : QuantizerBase(args), stochasticClass_(stochasticClass) {
    alpha_ = parseAlpha(args, false);
    if (stochasticClass) {
      args.number("temperature");
      args.boolean("use_real_sigmoid");
      return;
    }
    use01_ = args.boolean("use_01");
    stochasticRounding_ = args.boolean("use_stochastic_rounding");
    const std::string label = quantizerLabel(args.specText());
    lsq_.scaleAxis = AxisSpec::fromJson(args.raw("scale_axis"), label + ": argument 'scale_axis'");
    lsq_.elementsPerScale = AxisSpec::fromJson(args.raw("elements_per_scale"), label + ": argument 'elements_per_scale'");
    if (args.optNumber("min_po2_exponent")) lsq_.minPo2Exponent = args.integer("min_po2_exponent", -126, 127);
    if (args.optNumber("max_po2_exponent")) lsq_.maxPo2Exponent = args.integer("max_po2_exponent", -126, 127);
  }

  std::string str() const override {
    std::vector<std::string> flags;
    if (!stochasticClass_ && use01_) flags.push_back("use_01=" + std::to_string(pyInt(arg("use_01"))));
    const json& a = arg("alpha");
    if (!a.is_null()) flags.push_back("alpha=" + (a.is_string() ? "'" + a.get<std::string>() + "'" : pyStr(a)));
    if (stochasticClass_) {
      if (arg("temperature").get<double>() != 6.0) flags.push_back("temperature=" + pyStr(arg("temperature")));
      if (!pyTruthy(arg("use_real_sigmoid"))) flags.push_back("use_real_sigmoid=" + std::to_string(pyInt(arg("use_real_sigmoid"))));
    } else {
      auto listFlag = [&](const char* name) {
        const json& v = arg(name);
        if (v.is_null()) return;
        if (v.is_array()) {
          std::string s;
          for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + pyStr(v[i]);
          flags.push_back(std::string(name) + "=[" + s + "]");
        } else {
          flags.push_back(std::string(name) + "=" + pyStr(v));
        }
      };
      listFlag("elements_per_scale");
      listFlag("scale_axis");
      if (!arg("min_po2_exponent").is_null()) flags.push_back("min_po2_exponent=" + pyStr(arg("min_po2_exponent")));
      if (!arg("max_po2_exponent").is_null()) flags.push_back("max_po2_exponent=" + pyStr(arg("max_po2_exponent")));
      if (stochasticRounding_) flags.push_back("use_stochastic_rounding=" + pyStr(arg("use_stochastic_rounding")));
    }
    std::string s = className() + "(";
    for (size_t i = 0; i < flags.size(); ++i) s += (i ? "," : "") + flags[i];
    return s + ")";
  }

  double max() const override {
    if (alpha_.kind == AlphaArg::Kind::Scalar) return std::max(1.0, static_cast<double>(arg("alpha").get<double>()));
    return 1.0;
  }
  double min() const override { return use01_ ? 0.0 : -max(); }
  int bits() const override { return 1; }
  bool isSigned() const override { return !use01_; }

  std::optional<Grid> grid() const override {
    if (alpha_.isAuto()) return std::nullopt;
    const double a = alpha_.kind == AlphaArg::Kind::Scalar ? alpha_.scalar : 1.0;
    if (!(a > 0)) return std::nullopt;
    return uniformGrid(1, !use01_, use01_ ? a : 2 * a, use01_ ? 0.0 : -a, a);
  }

  void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const override {
    const int64_t n = numElements(shape);
    if (stochasticRounding_) {
      // At learning phase 0 QKeras adds (1-|k|) * ones_like(tf.shape(x)): a vector of length
      // rank(x) broadcast against x. The values are those of the plain path whenever that
      // broadcast leaves the shape unchanged; otherwise TF raises or changes the shape.
      const int rank = static_cast<int>(shape.size());
      const bool sameShape = rank == 1 || (rank > 1 && shape.back() == rank);
      if (!sameShape)
        throw Unsupported(quantizerLabel(specText_) +
                          ": use_stochastic_rounding=True on an input of shape " + shapeToString(shape) +
                          " hits QKeras's ones_like(tf.shape(x)) broadcast bug (TF fails or changes the shape)");
    }
    std::vector<float> k(static_cast<size_t>(n)), base(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      float s = sign(x[i]);
      s += (1.0f - std::fabs(s));
      if (use01_) s = (s + 1.0f) / 2.0f;
      k[static_cast<size_t>(i)] = s;
      base[static_cast<size_t>(i)] = alpha_.kind == AlphaArg::Kind::None ? eigenTanhf(x[i]) : x[i];  // K.tanh: Eigen's tanh
    }
    const ScaleInfo s = getScale(arg("alpha"), base.data(), k.data(), shape, lsq_);
    straightThroughScaledOutput(base.data(), k.data(), s, shape, quantizerLabel(specText_) + ": scale", y);
    if (scale) *scale = s;
  }

 private:
  bool stochasticClass_;
  AlphaArg alpha_;
  bool use01_ = false;
  bool stochasticRounding_ = false;
  LeastSquaresOptions lsq_;
};

}  // namespace

const ClassInfo& binaryClass() {
  static const ClassInfo info = [] {
    ClassInfo c;
    c.name = "binary";
    c.params = {{"use_01", false},         {"alpha", nullptr},           {"use_stochastic_rounding", false},
                {"scale_axis", nullptr},   {"elements_per_scale", nullptr}, {"min_po2_exponent", nullptr},
                {"max_po2_exponent", nullptr}};
    c.serialized = {"use_01", "alpha", "use_stochastic_rounding"};
    c.rewrite = WeightRewrite::AlphaOnly;
    c.make = [](const Args& a, const QuantizerOptions&) -> QuantizerPtr { return std::make_shared<Binary>(a, false); };
    return c;
  }();
  return info;
}

const ClassInfo& stochasticBinaryClass() {
  static const ClassInfo info = [] {
    ClassInfo c;
    c.name = "stochastic_binary";
    c.params = {{"alpha", nullptr}, {"temperature", 6.0}, {"use_real_sigmoid", true}};
    c.serialized = {"alpha", "temperature", "use_real_sigmoid"};
    c.rewrite = WeightRewrite::AlphaOnly;
    c.make = [](const Args& a, const QuantizerOptions&) -> QuantizerPtr { return std::make_shared<Binary>(a, true); };
    return c;
  }();
  return info;
}

}  // namespace qkw::quant
