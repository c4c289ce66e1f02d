// ternary and stochastic_ternary (semantics §2.7), plus bernoulli (§2.8, rejected).
#include <cmath>

#include "quant/quantizer_classes.h"
#include "quant/rounding.h"
#include "quant/tf_math.h"
#include "quant/scale.h"

namespace qkw::quant {

namespace {

class Ternary : public QuantizerBase {
 public:
  Ternary(const Args& args, bool stochasticClass) : QuantizerBase(args), stochasticClass_(stochasticClass) {
    alpha_ = parseAlpha(args, false);
    threshold_ = args.optNumber("threshold");
    unrolls_ = args.integer("number_of_unrolls", 0, 1000);
    if (stochasticClass) {
      args.number("temperature");
      args.boolean("use_real_sigmoid");
      if (threshold_ && *threshold_ == 1.0) args.fail("threshold", "must not be 1.0 (QKeras asserts)");
    } else {
      stochasticRounding_ = args.boolean("use_stochastic_rounding");
    }
    // QKeras asserts these at call time.
    if (alpha_.isAuto() && threshold_) args.fail("threshold", "must be None when alpha is 'auto' or 'auto_po2'");
    if (!alpha_.isAuto() && stochasticRounding_)
      args.fail("use_stochastic_rounding", "requires alpha 'auto' or 'auto_po2' (QKeras asserts)");
  }

  std::string str() const override {
    std::vector<std::string> flags;
    const json& a = arg("alpha");
    if (!a.is_null()) flags.push_back("alpha=" + (a.is_string() ? "'" + a.get<std::string>() + "'" : pyStr(a)));
    if (!arg("threshold").is_null()) flags.push_back("threshold=" + pyStr(arg("threshold")));
    if (stochasticClass_) {
      if (arg("temperature").get<double>() != 8.0) flags.push_back("temperature=" + pyStr(arg("temperature")));
      if (!pyTruthy(arg("use_real_sigmoid"))) flags.push_back("use_real_sigmoid=0");
      if (unrolls_ != 5) flags.push_back("number_of_unrolls=" + pyStr(arg("number_of_unrolls")));
    } else {
      if (stochasticRounding_)
        flags.push_back("use_stochastic_rounding=" + std::to_string(pyInt(arg("use_stochastic_rounding"))));
      if (unrolls_ != 5) flags.push_back("number_of_unrolls=" + std::to_string(pyInt(arg("number_of_unrolls"))));
    }
    std::string s = className() + "(";
    for (size_t i = 0; i < flags.size(); ++i) s += (i ? "," : "") + flags[i];
    return s + ")";
  }

  double max() const override {
    if (alpha_.kind == AlphaArg::Kind::Scalar) return std::max(1.0, arg("alpha").get<double>());
    return 1.0;
  }
  double min() const override { return -max(); }
  int bits() const override { return 2; }
  bool isSigned() const override { return true; }

  std::optional<Grid> grid() const override {
    if (alpha_.isAuto()) return std::nullopt;
    const double a = alpha_.kind == AlphaArg::Kind::Scalar ? alpha_.scalar : 1.0;
    if (!(a > 0)) return std::nullopt;
    return uniformGrid(2, true, a, -a, a);
  }

  void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const override {
    const int64_t n = numElements(shape);
    const int rank = static_cast<int>(shape.size());
    std::vector<float> q(static_cast<size_t>(n));
    ScaleInfo s;
    s.values = {alpha_.kind == AlphaArg::Kind::Scalar ? alpha_.scalar : 1.0f};
    if (alpha_.isAuto()) {
      // Rank 1: one max over everything; otherwise per last-axis channel (scale_axis is not
      // consulted here).
      std::vector<int> axes;
      for (int d = 0; d < (rank == 1 ? 1 : rank - 1); ++d) axes.push_back(d);
      s = reduceMax(x, shape, axes, true);
      for (float& v : s.values) v = (2.0f * v) / 3.0f;
      if (alpha_.kind == AlphaArg::Kind::AutoPo2) roundScalesToPowersOfTwo(s.values);
      for (int it = 0; it < unrolls_; ++it) {
        const std::vector<int64_t> idx = broadcastIndex(shape, s.shape, quantizerLabel(specText_) + ": scale");
        for (int64_t i = 0; i < n; ++i) {
          const float sv = s.values[static_cast<size_t>(idx[static_cast<size_t>(i)])];
          const float thres = sv / 2.0f;
          const float v = sv * roundThrough(x[i] / sv);
          q[static_cast<size_t>(i)] = (std::fabs(v) >= thres ? 1.0f : 0.0f) * sign(x[i]);
        }
        s = leastSquaresScale(alpha_.autoName(), x, q.data(), shape, LeastSquaresOptions{});
      }
      if (unrolls_ == 0)
        failApply("number_of_unrolls=0 with an auto alpha uses q before it is assigned (QKeras raises)");
    } else {
      const float thres = static_cast<float>(threshold_ ? *threshold_ : 0.33);
      for (int64_t i = 0; i < n; ++i) q[static_cast<size_t>(i)] = (std::fabs(x[i]) >= thres ? 1.0f : 0.0f) * sign(x[i]);
    }
    std::vector<float> base(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) base[static_cast<size_t>(i)] = alpha_.kind == AlphaArg::Kind::None ? eigenTanhf(x[i]) : x[i];  // K.tanh: Eigen's tanh
    straightThroughScaledOutput(base.data(), q.data(), s, shape, quantizerLabel(specText_) + ": scale", y);
    if (scale) *scale = s;
  }

 private:
  bool stochasticClass_;
  AlphaArg alpha_;
  std::optional<double> threshold_;
  int unrolls_;
  bool stochasticRounding_ = false;
};

}  // namespace

const ClassInfo& ternaryClass() {
  static const ClassInfo info = [] {
    ClassInfo c;
    c.name = "ternary";
    c.params = {{"alpha", nullptr}, {"threshold", nullptr}, {"use_stochastic_rounding", false}, {"number_of_unrolls", 5}};
    c.serialized = {"alpha", "threshold", "use_stochastic_rounding", "number_of_unrolls"};
    c.rewrite = WeightRewrite::AlphaOnly;
    c.make = [](const Args& a, const QuantizerOptions&) -> QuantizerPtr { return std::make_shared<Ternary>(a, false); };
    return c;
  }();
  return info;
}

const ClassInfo& stochasticTernaryClass() {
  static const ClassInfo info = [] {
    ClassInfo c;
    c.name = "stochastic_ternary";
    c.params = {{"alpha", nullptr},
                {"threshold", nullptr},
                {"temperature", 8.0},
                {"use_real_sigmoid", true},
                {"number_of_unrolls", 5}};
    c.serialized = {"alpha", "threshold", "temperature", "use_real_sigmoid", "number_of_unrolls"};
    c.rewrite = WeightRewrite::AlphaOnly;
    c.make = [](const Args& a, const QuantizerOptions&) -> QuantizerPtr { return std::make_shared<Ternary>(a, true); };
    return c;
  }();
  return info;
}

// bernoulli draws q ~ Bernoulli(sigmoid(temperature * x / std)) with tf.random.uniform on
// every call, with no learning-phase switch (semantics §1.3, §2.8): even QKeras's own
// model.predict is random, so there is no output to reproduce. Rejected, never approximated.
const ClassInfo& bernoulliClass() {
  static const ClassInfo info = [] {
    ClassInfo c;
    c.name = "bernoulli";
    c.params = {{"alpha", nullptr}, {"temperature", 6.0}, {"use_real_sigmoid", true}};
    c.serialized = {"alpha"};
    c.rewrite = WeightRewrite::AlphaOnly;
    c.make = [](const Args& a, const QuantizerOptions&) -> QuantizerPtr {
      throw Unsupported(quantizerLabel(a.specText()) +
                        ": bernoulli samples random bits on every call, also at inference (QKeras has no "
                        "deterministic path for it), so its outputs cannot be reproduced");
    };
    return c;
  }();
  return info;
}

}  // namespace qkw::quant
