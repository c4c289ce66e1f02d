// quantized_relu (semantics §2.3), incl. use_sigmoid, negative_slope and relu_upper_bound.
#include <cmath>

#include "kernels/quantize_fixed_point_f32_simd.h"
#include "quant/quantizer_classes.h"
#include "quant/rounding.h"
#include "quant/sigmoid.h"

namespace qkw::quant {

namespace {

class QuantizedRelu : public QuantizerBase {
 public:
  QuantizedRelu(const Args& args, const QuantizerOptions& options) : QuantizerBase(args), sigmoid_(options.sigmoid) {
    bits_ = args.integer("bits", 1, 30);
    fastInference_ = args.boolean("enable_fast_inference");
    integer_ = args.integer("integer", -1000, 30);
    // m_i = K.pow(2, integer) is an int32 power in TF, which rejects negative exponents.
    if (integer_ < 0) args.fail("integer", "must be >= 0 (QKeras computes 2**integer in int32; TF rejects negative powers)");
    useSigmoid_ = args.boolean("use_sigmoid");
    negativeSlope_ = args.number("negative_slope");
    if (!(negativeSlope_ >= 0.0)) args.fail("negative_slope", "must be >= 0 (QKeras asserts)");
    if (negativeSlope_ != 0.0 && std::fmod(std::log2(negativeSlope_), 1.0) != 0.0)
      args.fail("negative_slope", "must be a power of 2 (QKeras asserts)");
    args.boolean("use_stochastic_rounding");  // deterministic at learning phase 0
    upperBound_ = args.optNumber("relu_upper_bound");
    quantizedClip_ = args.boolean("is_quantized_clip");
    qnoise_ = static_cast<float>(args.number("qnoise_factor"));
    useSte_ = args.boolean("use_ste");
    nonSignBits_ = bits_ - (negativeSlope_ != 0.0 ? 1 : 0);
  }

  std::string str() const override {
    std::string s = "quantized_relu(" + pyStr(arg("bits")) + "," + pyStr(arg("integer"));
    const bool stochastic = pyTruthy(arg("use_stochastic_rounding"));
    if (useSigmoid_ || stochastic) s += "," + std::to_string(pyInt(arg("use_sigmoid")));
    if (pyTruthy(arg("negative_slope"))) s += "," + pyStr(arg("negative_slope"));
    if (stochastic) s += "," + std::to_string(pyInt(arg("use_stochastic_rounding")));
    return s + ")";
  }

  double max() const override {
    if (nonSignBits_ > 0) return std::max(1.0, std::ldexp(1.0, integer_));
    return 1.0;
  }
  double min() const override {
    if (negativeSlope_ == 0.0) return 0.0;
    if (bits_ - 1 > 0) return std::min(-0.0, -negativeSlope_ * std::ldexp(1.0, integer_));
    return -1.0;
  }
  int bits() const override { return bits_; }
  bool isSigned() const override { return negativeSlope_ != 0.0; }

  std::optional<Grid> grid() const override {
    if (qnoise_ != 1.0f || useSigmoid_ || fastInference_) return std::nullopt;
    if (upperBound_ && !quantizedClip_) return std::nullopt;  // the bound is an extra, off-grid level
    const double m = std::ldexp(1.0, nonSignBits_);
    const double step = std::ldexp(1.0, integer_ - nonSignBits_);
    if (negativeSlope_ != 0.0 && std::floor(negativeSlope_ * m) != negativeSlope_ * m) return std::nullopt;
    return uniformGrid(bits_, negativeSlope_ != 0.0, step,
                       negativeSlope_ != 0.0 ? -negativeSlope_ * std::ldexp(1.0, integer_) : 0.0, (m - 1) * step,
                       integer_);
  }

  std::vector<float> range() const override {
    if (useSigmoid_ || negativeSlope_ != 0.0)
      failApply("range() is only defined (QKeras asserts) for use_sigmoid=0 and negative_slope=0");
    // np.arange(2**bits) * float32(2^(integer - bits)): computed in float64 by numpy.
    const double unit = static_cast<double>(std::pow(2.0f, static_cast<float>(integer_ - bits_)));
    checkRangeLength(int64_t{1} << bits_);
    std::vector<float> out(static_cast<size_t>(int64_t{1} << bits_));
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(static_cast<double>(i) * unit);
    return out;
  }

  void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const override {
    const int64_t n = numElements(shape);
    if (scale) *scale = ScaleInfo{{}, {1.0f}};
    if (fastInference_) {
      // enable_fast_inference (XLA): m_i * clip(round(x * 2^(bits-integer)) * 2^-bits, 0, 1 - 2^-bits).
      const float mi = static_cast<float>(int64_t{1} << integer_);
      const float up = static_cast<float>(std::ldexp(1.0, bits_ - integer_));
      const float factor = static_cast<float>(std::ldexp(1.0, -bits_));
      for (int64_t i = 0; i < n; ++i) y[i] = mi * clip(roundHalfEven(x[i] * up) * factor, 0.0f, 1.0f - factor);
      return;
    }
    const float m = std::ldexp(1.0f, nonSignBits_);
    const float mi = std::ldexp(1.0f, integer_);
    const float mf = pow2f(static_cast<float>(integer_) - static_cast<float>(nonSignBits_));
    const float ns = static_cast<float>(negativeSlope_);
    const float top = 1.0f - 1.0f / m;
    const float negFactor = 1.0f / (ns * m);
    const float clipTop = mi - mf;
    const float ub = upperBound_ ? static_cast<float>(*upperBound_) : 0.0f;
    if (!useSigmoid_ && ns == 0.0f) {
      // Vectorized common path. mi * clip(round(p) / m, 0, 1 - 1/m) equals (mi * clip(round(p), 0,
      // m - 1)) / m bit for bit: m and mi are powers of two up to 2^30, so every scaling is exact,
      // and float32(1 - 1/m) * m == float32(m - 1) for every m (both round to m from 2^25 on).
      FixedPointQuantizer q;
      q.m = m;
      q.mi = mi;
      q.lo = 0.0f;
      q.hi = m - 1.0f;
      q.useSte = useSte_;
      q.qnoise = qnoise_;
      if (quantizedClip_) {
        q.base = FixedPointQuantizer::Base::ReluBounded;
        q.bound = clipTop;
      } else if (upperBound_) {
        q.base = FixedPointQuantizer::Base::ReluBounded;
        q.bound = ub;
        q.capped = *upperBound_ != 0.0;
        q.cap = ub;
      } else {
        q.base = FixedPointQuantizer::Base::Relu;
      }
      quantize_fixed_point_f32_simd(q, x, n, y);
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      float xu;
      if (quantizedClip_) xu = v <= clipTop ? leakyRelu(v, ns) : clipTop;
      else if (upperBound_) xu = v <= ub ? leakyRelu(v, ns) : ub;
      else xu = leakyRelu(v, ns);
      float xq;
      if (useSigmoid_) {
        const float p = internalSigmoid(v / mi, sigmoid_, i, n) * m;
        xq = mi * clip(2.0f * (roundThrough(p) / m) - 1.0f, 0.0f, top);
        if (ns > 0) xq = xq + (mi * ns) * clip(2.0f * (roundThrough(p * ns) * negFactor) - 1.0f, -1.0f, 0.0f);
      } else {
        const float p = (v * m) / mi;
        xq = mi * clip(roundThrough(p) / m, 0.0f, top);
        if (ns > 0) xq = xq + (mi * ns) * clip(roundThrough(p * ns) * negFactor, -1.0f, 0.0f);
      }
      if (upperBound_ && *upperBound_ != 0.0 && !quantizedClip_) xq = xq <= ub ? xq : ub;
      y[i] = useSte_ ? steOutput(xu, xq, qnoise_) : blendOutput(xu, xq, qnoise_);
    }
  }

 private:
  SigmoidMode sigmoid_;
  int bits_;
  int integer_;
  bool useSigmoid_;
  double negativeSlope_;
  std::optional<double> upperBound_;
  bool quantizedClip_;
  float qnoise_;
  bool useSte_;
  bool fastInference_;
  int nonSignBits_;
};

}  // namespace

const ClassInfo& quantizedReluClass() {
  static const ClassInfo info = [] {
    ClassInfo c;
    c.name = "quantized_relu";
    c.params = {{"bits", 8},
                {"integer", 0},
                {"use_sigmoid", 0},
                {"negative_slope", 0.0},
                {"use_stochastic_rounding", false},
                {"relu_upper_bound", nullptr},
                {"is_quantized_clip", true},
                {"qnoise_factor", 1.0},
                {"var_name", nullptr},
                {"use_ste", true},
                {"use_variables", false},
                {"enable_fast_inference", false}};
    c.serialized = {"bits", "integer", "use_sigmoid", "negative_slope", "use_stochastic_rounding", "relu_upper_bound",
                    "qnoise_factor"};
    c.hasQnoise = true;
    c.make = [](const Args& a, const QuantizerOptions& o) -> QuantizerPtr { return std::make_shared<QuantizedRelu>(a, o); };
    return c;
  }();
  return info;
}

}  // namespace qkw::quant
