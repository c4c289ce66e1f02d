// quantized_linear (semantics §2.2): scale, clip, round half-even, rescale.
#include <cmath>

#include "quant/quantizer_classes.h"
#include "quant/rounding.h"
#include "quant/tf_math.h"
#include "quant/scale.h"

namespace qkw::quant {

namespace {

class QuantizedLinear : public QuantizerBase {
 public:
  QuantizedLinear(const Args& args, const QuantizerOptions&) : QuantizerBase(args) {
    bits_ = args.integer("bits", 1, 32);  // QKeras: "Bit count must be positive"
    integer_ = args.integer("integer", -1000, 1000);
    symmetric_ = args.boolean("symmetric");
    keepNegative_ = args.boolean("keep_negative");
    alpha_ = parseAlpha(args, true);
    args.boolean("use_stochastic_rounding");  // deterministic at learning phase 0
    scaleAxis_ = AxisSpec::fromJson(args.raw("scale_axis"), quantizerLabel(args.specText()) + ": argument 'scale_axis'");
    qnoise_ = static_cast<float>(args.number("qnoise_factor"));
    const float kn = keepNegative_ ? 1.0f : 0.0f;
    dataTypeScale_ = pow2f(static_cast<float>(integer_ - bits_) + kn);
    signFunction_ = bits_ == 1 && keepNegative_;
    if (signFunction_) {
      clipMin_ = -0.5f;
      clipMax_ = 0.5f;
    } else {
      const float po2 = std::pow(2.0f, static_cast<float>(bits_) - kn);
      clipMin_ = kn * (-po2 + (symmetric_ ? 1.0f : 0.0f));
      clipMax_ = po2 - 1.0f;
    }
  }

  // QKeras's __str__ raises UnboundLocalError for a numeric alpha (it formats an undefined
  // local); we print alpha the way the surrounding code intends (np.array(alpha)).
  std::string str() const override {
    std::string s = "quantized_linear(" + std::to_string(pyInt(arg("bits"))) + "," + std::to_string(pyInt(arg("integer"))) +
                    "," + std::to_string(pyInt(arg("symmetric")));
    if (!keepNegative_) s += ",keep_negative=False";
    const json& a = arg("alpha");
    if (a.is_string()) {
      s += ",alpha='" + a.get<std::string>() + "'";
    } else if (a.is_array()) {
      std::string list = "[";
      for (size_t i = 0; i < a.size(); ++i) list += (i ? " " : "") + pyStr(a[i]);
      s += ",alpha=" + list + "]";
    } else if (!a.is_null()) {
      s += ",alpha=" + pyStr(a);
    }
    if (pyTruthy(arg("use_stochastic_rounding")))
      s += ",use_stochastic_rounding=" + std::to_string(pyInt(arg("use_stochastic_rounding")));
    return s + ")";
  }

  // clip bounds times quantization_scale (the default one: auto alphas before any call).
  double max() const override { return extreme(true); }
  double min() const override { return extreme(false); }
  int bits() const override { return bits_; }
  bool isSigned() const override { return keepNegative_; }

  std::optional<Grid> grid() const override {
    if (alpha_.isAuto() || alpha_.kind == AlphaArg::Kind::Vector || qnoise_ != 1.0f) return std::nullopt;
    const float qs = alpha_.kind == AlphaArg::Kind::Scalar ? alpha_.scalar * dataTypeScale_ : dataTypeScale_;
    if (!(qs > 0)) return std::nullopt;
    return uniformGrid(bits_, keepNegative_, qs, static_cast<double>(clipMin_) * qs, static_cast<double>(clipMax_) * qs,
                       integer_);
  }

  std::vector<float> range() const override {
    if (alpha_.kind == AlphaArg::Kind::Vector) failApply("range() needs a scalar alpha");
    const float qs = alpha_.kind == AlphaArg::Kind::Scalar ? alpha_.scalar * dataTypeScale_ : dataTypeScale_;
    if (signFunction_) return {clipMax_ * qs, clipMin_ * qs};
    std::vector<float> out;
    checkRangeLength(static_cast<int64_t>(clipMax_) - static_cast<int64_t>(clipMin_) + 1);
    const int hi = static_cast<int>(clipMax_), lo = static_cast<int>(clipMin_);
    for (int k = 0; k <= hi; ++k) out.push_back(qs * static_cast<float>(k));
    for (int k = lo; k < 0; ++k) out.push_back(qs * static_cast<float>(k));
    return out;
  }

  void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const override {
    const int64_t n = numElements(shape);
    ScaleInfo qs;
    if (alpha_.isAuto()) {
      qs = autoQuantizationScale(x, shape);
    } else if (alpha_.kind == AlphaArg::Kind::Vector) {
      qs.shape = {static_cast<int64_t>(alpha_.vector.size())};
      for (float a : alpha_.vector) qs.values.push_back(a * dataTypeScale_);
    } else {
      qs.values = {alpha_.kind == AlphaArg::Kind::Scalar ? alpha_.scalar * dataTypeScale_ : dataTypeScale_};
    }
    const std::vector<int64_t> idx = broadcastIndex(shape, qs.shape, quantizerLabel(specText_) + ": scale");
    for (int64_t i = 0; i < n; ++i) {
      const float s = qs.values[static_cast<size_t>(idx[static_cast<size_t>(i)])];
      const float xq = scaleClipRound(x[i], s) * s;
      y[i] = x[i] + qnoise_ * (xq - x[i]);
    }
    if (scale) {
      // QKeras's `scale` property: quantization_scale / data_type_scale.
      scale->shape = qs.shape;
      scale->values.resize(qs.values.size());
      for (size_t i = 0; i < qs.values.size(); ++i) scale->values[i] = qs.values[i] / dataTypeScale_;
    }
  }

 private:
  double extreme(bool upper) const {
    const float bound = upper ? clipMax_ : clipMin_;
    if (alpha_.kind == AlphaArg::Kind::Vector) {
      double best = upper ? -INFINITY : INFINITY;
      for (float a : alpha_.vector) {
        const double v = bound * (a * dataTypeScale_);
        best = upper ? std::max(best, v) : std::min(best, v);
      }
      return best;
    }
    const float qs = alpha_.kind == AlphaArg::Kind::Scalar ? alpha_.scalar * dataTypeScale_ : dataTypeScale_;
    return bound * qs;
  }

  float scaleClipRound(float x, float qs) const {
    const float shift = signFunction_ ? 0.5f : 0.0f;
    const float clipped = clip(x / qs, clipMin_, clipMax_);
    return roundThrough(clipped - shift) + shift;
  }

  ScaleInfo autoQuantizationScale(const float* x, const Shape& shape) const {
    const int rank = static_cast<int>(shape.size());
    const int64_t n = numElements(shape);
    // _get_scaling_axis on a rank-1 tensor reduces nothing: one scale per element.
    ScaleInfo qs = reduceMax(x, shape, scalingReduceAxes(scaleAxis_, rank), keepNegative_);
    const float clipRange = clipMax_ - clipMin_;
    for (float& v : qs.values) {
      v = keepNegative_ ? (v * 2.0f) / clipRange : v / clipRange;
      v = std::isnan(v) ? v : std::max(v, kEpsilonf);
    }
    if (alpha_.kind != AlphaArg::Kind::AutoPo2) return qs;
    roundScalesToPowersOfTwo(qs.values);
    // tf.while_loop: stop when the scale no longer changes, at most 5 (1 for sign) rounds.
    const int maxIterations = signFunction_ ? 1 : 5;
    LeastSquaresOptions lsq;
    lsq.scaleAxis = scaleAxis_;
    std::vector<float> q(static_cast<size_t>(n));
    std::vector<float> last(qs.values.size(), -1.0f);
    for (int it = 0; it < maxIterations && last != qs.values; ++it) {
      const std::vector<int64_t> idx = broadcastIndex(shape, qs.shape, quantizerLabel(specText_) + ": scale");
      for (int64_t i = 0; i < n; ++i) q[static_cast<size_t>(i)] = scaleClipRound(x[i], qs.values[static_cast<size_t>(idx[static_cast<size_t>(i)])]);
      last = qs.values;
      ScaleInfo next = leastSquaresScale("auto_po2", x, q.data(), shape, lsq);
      if (next.shape != qs.shape) last.assign(next.values.size(), -1.0f);
      qs = std::move(next);
    }
    return qs;
  }

  int bits_;
  int integer_;
  bool symmetric_;
  bool keepNegative_;
  AlphaArg alpha_;
  AxisSpec scaleAxis_;
  float qnoise_;
  float dataTypeScale_;
  bool signFunction_;
  float clipMin_, clipMax_;
};

}  // namespace

const ClassInfo& quantizedLinearClass() {
  static const ClassInfo info = [] {
    ClassInfo c;
    c.name = "quantized_linear";
    c.params = {{"bits", 8},          {"integer", 0},
                {"symmetric", 1},     {"keep_negative", true},
                {"alpha", nullptr},   {"use_stochastic_rounding", false},
                {"scale_axis", nullptr}, {"qnoise_factor", 1.0},
                {"var_name", nullptr}, {"use_variables", false}};
    c.serialized = {"bits", "integer", "symmetric", "alpha", "keep_negative", "use_stochastic_rounding", "qnoise_factor"};
    c.rewrite = WeightRewrite::AlphaAndSymmetric;
    c.hasQnoise = true;
    c.make = [](const Args& a, const QuantizerOptions& o) -> QuantizerPtr { return std::make_shared<QuantizedLinear>(a, o); };
    return c;
  }();
  return info;
}

}  // namespace qkw::quant
