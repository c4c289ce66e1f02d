#include "quant/quantized_bits.h"

#include <cmath>

#include "kernels/quantize_fixed_point_f32_simd.h"

#include "quant/quantizer_classes.h"
#include "quant/rounding.h"
#include "quant/tf_math.h"

namespace qkw::quant {

namespace {

// np.array(post_training_scale): a number or a nested list of numbers.
void parseNested(const json& v, size_t depth, Shape& shape, std::vector<float>& values, const Args& args) {
  if (v.is_number() && !v.is_boolean()) {
    if (depth != shape.size()) args.fail("post_training_scale", "is a ragged list");
    values.push_back(static_cast<float>(v.get<double>()));
    return;
  }
  if (!v.is_array()) args.fail("post_training_scale", "must be a number or a (nested) list of numbers");
  if (depth == shape.size() && values.empty()) shape.push_back(static_cast<int64_t>(v.size()));
  if (depth >= shape.size() || shape[depth] != static_cast<int64_t>(v.size()))
    args.fail("post_training_scale", "is a ragged list");
  for (const auto& e : v) parseNested(e, depth + 1, shape, values, args);
}

}  // namespace

QuantizedBits::QuantizedBits(const Args& args, const QuantizerOptions&) : QuantizerBase(args) {
  bits_ = args.integer("bits", 1, 32);
  integer_ = args.integer("integer", -1000, 1000);
  symmetric_ = args.boolean("symmetric");
  keepNegative_ = args.boolean("keep_negative");
  alpha_ = parseAlpha(args, true);
  args.boolean("use_stochastic_rounding");  // at learning phase 0 QKeras rounds deterministically
  scaleAxis_ = AxisSpec::fromJson(args.raw("scale_axis"), quantizerLabel(args.specText()) + ": argument 'scale_axis'");
  qnoise_ = static_cast<float>(args.number("qnoise_factor"));
  useSte_ = args.boolean("use_ste");
  elementsPerScale_ =
      AxisSpec::fromJson(args.raw("elements_per_scale"), quantizerLabel(args.specText()) + ": argument 'elements_per_scale'");
  if (auto v = args.optNumber("min_po2_exponent")) minPo2_ = args.integer("min_po2_exponent", -126, 127);
  if (auto v = args.optNumber("max_po2_exponent")) maxPo2_ = args.integer("max_po2_exponent", -126, 127);
  if (alpha_.kind != AlphaArg::Kind::AutoPo2) {
    // QKeras asserts this at call time (quantizers.py __call__).
    if (elementsPerScale_.set) args.fail("elements_per_scale", "is only supported with alpha='auto_po2'");
    if (minPo2_) args.fail("min_po2_exponent", "is only supported with alpha='auto_po2'");
    if (maxPo2_) args.fail("max_po2_exponent", "is only supported with alpha='auto_po2'");
  }
  if (alpha_.isAuto()) {
    // "auto*" forces symmetric (the constructor rewrites the attribute get_config() reports).
    symmetric_ = true;
    args_["symmetric"] = true;
    if (!args.raw("post_training_scale").is_null()) {
      parseNested(args.raw("post_training_scale"), 0, postTrainingScale_.shape, postTrainingScale_.values, args);
      frozenScale_ = true;
    }
  } else if (!args.raw("post_training_scale").is_null()) {
    args.fail("post_training_scale", "is only supported with alpha='auto' or 'auto_po2' (QKeras raises ValueError)");
  }
}

std::vector<std::string> QuantizedBits::optionalFlags() const {
  std::vector<std::string> flags;
  if (!keepNegative_) flags.push_back("keep_negative=False");
  if (pyTruthy(arg("alpha"))) {
    const json& a = arg("alpha");
    flags.push_back("alpha=" + (a.is_string() ? "'" + a.get<std::string>() + "'" : pyStr(a)));
  }
  if (pyTruthy(arg("use_stochastic_rounding")))
    flags.push_back("use_stochastic_rounding=" + std::to_string(pyInt(arg("use_stochastic_rounding"))));
  return flags;
}

std::string QuantizedBits::str() const {
  std::string s = "quantized_bits(" + pyStr(arg("bits")) + "," + pyStr(arg("integer")) + "," +
                  std::to_string(pyInt(arg("symmetric")));
  for (const auto& f : optionalFlags()) s += "," + f;
  return s + ")";
}

double QuantizedBits::max() const {
  const int ub = bits_ - (keepNegative_ ? 1 : 0);
  if (ub > 0) return std::max(1.0, static_cast<double>(std::pow(2.0f, static_cast<float>(integer_))));
  return 1.0;
}

double QuantizedBits::min() const {
  if (!keepNegative_) return 0.0;
  return -max();
}

std::optional<Grid> QuantizedBits::grid() const {
  if (alpha_.isAuto() || alpha_.kind == AlphaArg::Kind::Vector || qnoise_ != 1.0f) return std::nullopt;
  const float scale = alpha_.kind == AlphaArg::Kind::Scalar ? alpha_.scalar : 1.0f;
  if (!(scale > 0.0f)) return std::nullopt;
  Grid g;
  g.kind = Grid::Kind::Uniform;
  g.bits = bits_;
  g.integer = integer_;
  g.isSigned = keepNegative_;
  const int ub = bits_ - (keepNegative_ ? 1 : 0);
  if (ub > 0) {
    const double m = std::ldexp(1.0, ub);
    const double step = std::ldexp(1.0, integer_ - ub);
    g.step = step * scale;
    g.max = (m - 1) * step * scale;
    g.min = keepNegative_ ? (-m + (symmetric_ ? 1 : 0)) * step * scale : 0.0;
  } else {
    // Sign path: {-1, +1} (or {0, 1} without keep_negative), times alpha.
    g.step = (keepNegative_ ? 2.0 : 1.0) * scale;
    g.min = keepNegative_ ? -scale : 0.0;
    g.max = scale;
  }
  return g;
}

std::vector<float> QuantizedBits::range() const {
  const bool alphaOk = alpha_.kind == AlphaArg::Kind::None ||
                       (alpha_.kind == AlphaArg::Kind::Scalar && alpha_.scalar == 1.0f);
  if (symmetric_ || !keepNegative_ || !alphaOk)
    failApply("range() is only defined (QKeras asserts) for symmetric=0, keep_negative=True and alpha None or 1.0");
  const int64_t n = int64_t{1} << bits_;
  checkRangeLength(n);
  const float half = std::ldexp(1.0f, bits_ - 1);
  const float unit = std::pow(2.0f, static_cast<float>(-bits_ + integer_ + 1));
  std::vector<float> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float x = static_cast<float>(i);
    const float p = x >= half ? (x - half) - half : x;
    out[static_cast<size_t>(i)] = p * unit;
  }
  return out;
}

void QuantizedBits::apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale) const {
  applyBits(x, y, shape, scale);
}

void QuantizedBits::applyBits(const float* x, float* y, const Shape& shape, ScaleInfo* scale) const {
  if (alpha_.isAuto()) applyAuto(x, y, shape, scale);
  else applyFixed(x, y, shape, scale);
}

void QuantizedBits::applyFixed(const float* x, float* y, const Shape& shape, ScaleInfo* scale) const {
  const int64_t n = numElements(shape);
  const int ub = bits_ - (keepNegative_ ? 1 : 0);
  const float m = std::pow(2.0f, static_cast<float>(ub));
  const float mi = pow2f(static_cast<float>(integer_));
  const float kn = keepNegative_ ? 1.0f : 0.0f;
  const float lo = kn * (-m + (symmetric_ ? 1.0f : 0.0f));
  const float hi = m - 1.0f;
  std::vector<int64_t> alphaIndex;
  if (ub > 0 && alpha_.kind != AlphaArg::Kind::Vector) {
    // The common case, vectorized; bit-identical to the loop below (the kernel's scalar
    // reference is that loop's ub > 0 branch).
    FixedPointQuantizer q;
    q.m = m;
    q.mi = mi;
    q.lo = lo;
    q.hi = hi;
    q.scaled = alpha_.kind == AlphaArg::Kind::Scalar;
    q.alpha = alpha_.scalar;
    q.useSte = useSte_;
    q.qnoise = qnoise_;
    quantize_fixed_point_f32_simd(q, x, n, y);
  } else {
    if (alpha_.kind == AlphaArg::Kind::Vector)
      alphaIndex = broadcastIndex(shape, {static_cast<int64_t>(alpha_.vector.size())}, quantizerLabel(specText_) + ": alpha");
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      float xq;
      if (ub > 0) {
        const float p = (v * m) / mi;
        const float c = clip(roundThrough(p), lo, hi);
        xq = (mi * c) / m;
      } else {
        xq = sign(v);
        xq += (1.0f - std::fabs(xq));
        if (!keepNegative_) xq = (xq + 1.0f) / 2.0f;
      }
      if (alpha_.kind == AlphaArg::Kind::Scalar) xq = alpha_.scalar * xq;
      else if (alpha_.kind == AlphaArg::Kind::Vector) xq = alpha_.vector[static_cast<size_t>(alphaIndex[static_cast<size_t>(i)])] * xq;
      y[i] = useSte_ ? steOutput(v, xq, qnoise_) : blendOutput(v, xq, qnoise_);
    }
  }
  if (scale) {
    // QKeras sets self.scale = alpha (1.0 for None).
    scale->shape.clear();
    scale->values = {1.0f};
    if (alpha_.kind == AlphaArg::Kind::Scalar) scale->values = {alpha_.scalar};
    if (alpha_.kind == AlphaArg::Kind::Vector) {
      scale->shape = {static_cast<int64_t>(alpha_.vector.size())};
      scale->values = alpha_.vector;
    }
  }
}

void QuantizedBits::applyAuto(const float* x, float* y, const Shape& shape, ScaleInfo* scale) const {
  const int64_t n = numElements(shape);
  const int rank = static_cast<int>(shape.size());
  const int ub = bits_ - (keepNegative_ ? 1 : 0);
  const float m = std::pow(2.0f, static_cast<float>(ub));
  const float mi = pow2f(static_cast<float>(integer_));
  // Symmetric is forced for auto alphas: levels = (2^(bits-1) - 1) * 2.
  const float levels = static_cast<float>(((int64_t{1} << (bits_ - 1)) - 1) * 2);
  const float halfLevels = levels / 2.0f;
  std::vector<float> xs(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) xs[static_cast<size_t>(i)] = x[i] / mi;

  const std::string what = quantizerLabel(specText_) + ": scale";
  ScaleInfo s;
  if (frozenScale_) {
    s.shape = postTrainingScale_.shape;
    for (float v : postTrainingScale_.values) s.values.push_back(v / m);
  } else {
    const std::vector<int> axes = rank > 1 ? scalingReduceAxes(scaleAxis_, rank) : std::vector<int>{0};
    s = reduceMax(xs.data(), shape, axes, true);
    for (float& v : s.values) v = (v * 2.0f) / levels;
    if (alpha_.kind == AlphaArg::Kind::AutoPo2) {
      roundScalesToPowersOfTwo(s.values);
      LeastSquaresOptions lsq;
      lsq.scaleAxis = scaleAxis_;
      lsq.elementsPerScale = elementsPerScale_;
      lsq.minPo2Exponent = minPo2_;
      lsq.maxPo2Exponent = maxPo2_;
      std::vector<float> z(static_cast<size_t>(n));
      for (int iteration = 0; iteration < 5; ++iteration) {
        const std::vector<int64_t> idx = broadcastIndex(shape, s.shape, what);
        for (int64_t i = 0; i < n; ++i) {
          const float xv = xs[static_cast<size_t>(i)];
          const float v = floorHalfUp(std::fabs(xv) / s.values[static_cast<size_t>(idx[static_cast<size_t>(i)])]);
          z[static_cast<size_t>(i)] = sign(xv) * (v < halfLevels ? v : halfLevels);
        }
        s = leastSquaresScale("auto_po2", xs.data(), z.data(), shape, lsq);
      }
    }
  }
  const std::vector<int64_t> idx = broadcastIndex(shape, s.shape, what);
  for (int64_t i = 0; i < n; ++i) {
    const float xv = xs[static_cast<size_t>(i)];
    const float sv = s.values[static_cast<size_t>(idx[static_cast<size_t>(i)])];
    const float v = floorHalfUp(std::fabs(xv) / sv);
    const float z = sign(xv) * (v < halfLevels ? v : halfLevels);
    const float bigScale = sv * m;
    const float x2 = mi * xv;
    float xq = (mi * z) / m;
    xq = bigScale * xq;
    y[i] = useSte_ ? steOutput(x2, xq, qnoise_) : blendOutput(x2, xq, qnoise_);
  }
  if (scale) {
    if (frozenScale_) {
      *scale = postTrainingScale_;
    } else {
      scale->shape = s.shape;
      scale->values.resize(s.values.size());
      for (size_t i = 0; i < s.values.size(); ++i) scale->values[i] = s.values[i] * m;
    }
  }
}

const ClassInfo& quantizedBitsClass() {
  static const ClassInfo info = [] {
    ClassInfo c;
    c.name = "quantized_bits";
    c.params = {{"bits", 8},
                {"integer", 0},
                {"symmetric", 0},
                {"keep_negative", true},
                {"alpha", nullptr},
                {"use_stochastic_rounding", false},
                {"scale_axis", nullptr},
                {"qnoise_factor", 1.0},
                {"var_name", nullptr},
                {"use_ste", true},
                {"use_variables", false},
                {"elements_per_scale", nullptr},
                {"min_po2_exponent", nullptr},
                {"max_po2_exponent", nullptr},
                {"post_training_scale", nullptr}};
    c.serialized = {"bits",   "integer", "symmetric", "alpha", "keep_negative", "use_stochastic_rounding",
                    "qnoise_factor", "post_training_scale"};
    c.rewrite = WeightRewrite::AlphaAndSymmetric;
    c.hasQnoise = true;
    c.make = [](const Args& a, const QuantizerOptions& o) -> QuantizerPtr { return std::make_shared<QuantizedBits>(a, o); };
    return c;
  }();
  return info;
}

}  // namespace qkw::quant
