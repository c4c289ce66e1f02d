#include "quant/scale.h"

#include "quant/tf_math.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "quant/rounding.h"

namespace qkw {

using quant::kEpsilonf;
using quant::kLog2f;

AxisSpec AxisSpec::fromJson(const qkw::Json& value, const std::string& what) {
  if (value.is_null()) return none();
  auto asInt = [&](const qkw::Json& v) -> int {
    // An axis is a small integer; anything past +-2^20 is no axis of any tensor (and casting a
    // larger double to int would be undefined behaviour).
    const bool integral = v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
    if (integral && std::fabs(v.get<double>()) <= 1048576.0) return static_cast<int>(v.get<double>());
    throw Error(what + " must be None, an integer or a list of integers, got " + value.dump());
  };
  if (value.is_array()) {
    std::vector<int> out;
    for (const auto& v : value) out.push_back(asInt(v));
    return list(std::move(out));
  }
  return single(asInt(value));
}

qkw::Json AxisSpec::toJson() const {
  if (!set) return nullptr;
  if (!isList) return values.at(0);
  return values;
}

std::vector<int> scalingReduceAxes(const AxisSpec& scaleAxis, int rank) {
  std::vector<int> axes;
  if (!scaleAxis.set) {
    for (int i = 0; i < std::max(rank - 1, 0); ++i) axes.push_back(i);
  } else if (scaleAxis.isList) {
    for (int i = 0; i < rank; ++i)
      if (std::find(scaleAxis.values.begin(), scaleAxis.values.end(), i) == scaleAxis.values.end()) axes.push_back(i);
  } else {
    // tf.concat([tf.range(k), tf.range(k + 1, rank)]): a negative k keeps nothing.
    const int k = scaleAxis.values.at(0);
    for (int i = 0; i < k && i < rank; ++i) axes.push_back(i);
    for (int i = std::max(k + 1, 0); i < rank; ++i) axes.push_back(i);
  }
  return axes;
}

Shape reducedShape(const Shape& shape, const std::vector<int>& axes) {
  Shape out = shape;
  for (int a : axes)
    if (a >= 0 && a < static_cast<int>(out.size())) out[a] = 1;
  return out;
}

namespace {

// Maps every element of `shape` to the flat index of the keepdims reduction over `axes`.
std::vector<int64_t> reductionIndex(const Shape& shape, const Shape& outShape) {
  const int64_t n = numElements(shape);
  const int rank = static_cast<int>(shape.size());
  std::vector<int64_t> outStrides(rank, 1);
  for (int d = rank - 2; d >= 0; --d) outStrides[d] = outStrides[d + 1] * outShape[d + 1];
  std::vector<int64_t> idx(rank, 0);
  std::vector<int64_t> map(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = 0;
    for (int d = 0; d < rank; ++d)
      if (outShape[d] != 1) o += idx[d] * outStrides[d];
    map[static_cast<size_t>(i)] = o;
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return map;
}

// Keepdims means of x*q and q*q over groups given by `map` (one group per output index).
// Products are float32 like TF's multiply; the sum is accumulated in double and rounded
// once, the closest we can get to TF's (unspecified) reduction order.
void groupMeans(const float* x, const float* q, int64_t n, const std::vector<int64_t>& map, int64_t groups,
                std::vector<float>& qx, std::vector<float>& qq) {
  std::vector<double> sx(static_cast<size_t>(groups), 0.0), sq(static_cast<size_t>(groups), 0.0);
  std::vector<int64_t> count(static_cast<size_t>(groups), 0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t g = map[static_cast<size_t>(i)];
    const float xq = x[i] * q[i];
    const float qq2 = q[i] * q[i];
    sx[static_cast<size_t>(g)] += xq;
    sq[static_cast<size_t>(g)] += qq2;
    ++count[static_cast<size_t>(g)];
  }
  qx.resize(static_cast<size_t>(groups));
  qq.resize(static_cast<size_t>(groups));
  for (int64_t g = 0; g < groups; ++g) {
    const float c = static_cast<float>(count[static_cast<size_t>(g)]);
    qx[static_cast<size_t>(g)] = static_cast<float>(sx[static_cast<size_t>(g)]) / c;
    qq[static_cast<size_t>(g)] = static_cast<float>(sq[static_cast<size_t>(g)]) / c;
  }
}

std::string axisText(const AxisSpec& a) { return a.toJson().dump(); }

}  // namespace

std::vector<int64_t> broadcastIndex(const Shape& shape, const Shape& target, const std::string& what) {
  const int rank = static_cast<int>(shape.size());
  const int trank = static_cast<int>(target.size());
  auto fail = [&]() {
    throw Error(what + ": shape " + shapeToString(target) + " does not broadcast against the input shape " +
                shapeToString(shape));
  };
  for (int d = 0; d < trank - rank; ++d)
    if (target[d] != 1) fail();
  Shape aligned(rank, 1);
  for (int d = 0; d < std::min(rank, trank); ++d) {
    const int64_t td = target[trank - 1 - d];
    const int64_t sd = shape[rank - 1 - d];
    if (td != 1 && td != sd) fail();
    aligned[rank - 1 - d] = td;
  }
  return reductionIndex(shape, aligned);
}

ScaleInfo reduceMax(const float* x, const Shape& shape, const std::vector<int>& axes, bool absolute) {
  ScaleInfo out;
  out.shape = reducedShape(shape, axes);
  const int64_t groups = numElements(out.shape);
  out.values.assign(static_cast<size_t>(groups), -std::numeric_limits<float>::infinity());
  const std::vector<int64_t> map = reductionIndex(shape, out.shape);
  const int64_t n = numElements(shape);
  for (int64_t i = 0; i < n; ++i) {
    const float v = absolute ? std::fabs(x[i]) : x[i];
    float& m = out.values[static_cast<size_t>(map[static_cast<size_t>(i)])];
    if (std::isnan(v) || std::isnan(m)) m = std::numeric_limits<float>::quiet_NaN();
    else if (v > m) m = v;
  }
  return out;
}

namespace {

// _validate_axis_and_eps + the unroll/mean/roll-back/repeat dance of _get_scale_mean,
// expressed directly: every element belongs to the group given by (index // eps) along each
// scale axis; the result keeps the scale axes at full size (values repeated).
Shape groupedScaleShape(const Shape& shape, const AxisSpec& scaleAxis, const AxisSpec& eps,
                        std::vector<int>& axesOut, std::vector<int>& epsOut) {
  const int rank = static_cast<int>(shape.size());
  if (!scaleAxis.set) throw Error("elements_per_scale: scale_axis must be set if elements_per_scale is used");
  if (!scaleAxis.isList && eps.isList)
    throw Error("scale_axis is an integer " + axisText(scaleAxis) + ", while elements_per_scale " + axisText(eps) +
                " is a list of values which is ambiguous");
  axesOut = scaleAxis.values;
  if (scaleAxis.isList && !eps.isList) {
    epsOut.assign(axesOut.size(), eps.values.at(0));
  } else {
    epsOut = eps.values;
    if (epsOut.size() != axesOut.size())
      throw Error("both scale_axis and elements_per_scale lists must match in length; got " +
                  std::to_string(axesOut.size()) + " and " + std::to_string(epsOut.size()));
  }
  for (size_t i = 0; i < axesOut.size(); ++i) {
    const int a = axesOut[i];
    if (a < 0 || a >= rank) throw Error("scale_axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    if (epsOut[i] <= 0 || shape[a] % epsOut[i] != 0)
      throw Error("scaling axis of dimension " + std::to_string(shape[a]) +
                  " has to be divisible by the number of elements per scale, given " + std::to_string(epsOut[i]));
  }
  Shape out(rank, 1);
  for (int a : axesOut) out[a] = shape[a];
  return out;
}

}  // namespace

ScaleInfo leastSquaresScale(const std::string& alpha, const float* x, const float* q, const Shape& shape,
                            const LeastSquaresOptions& options) {
  if (alpha != "auto" && alpha != "auto_po2") throw Error("least-squares scale: alpha must be 'auto' or 'auto_po2', got '" + alpha + "'");
  const int rank = static_cast<int>(shape.size());
  const int64_t n = numElements(shape);
  ScaleInfo out;
  std::vector<float> qx, qq;
  if (!options.perChannelScale) {
    out.shape = Shape(rank, 1);
    groupMeans(x, q, n, std::vector<int64_t>(static_cast<size_t>(n), 0), 1, qx, qq);
  } else if (rank > 1 && options.elementsPerScale.set) {
    std::vector<int> axes, eps;
    out.shape = groupedScaleShape(shape, options.scaleAxis, options.elementsPerScale, axes, eps);
    // Group id: (index // eps) along the scale axes; output element -> its group.
    Shape groupShape(rank, 1);
    for (size_t i = 0; i < axes.size(); ++i) groupShape[axes[i]] = shape[axes[i]] / eps[i];
    const int64_t groups = numElements(groupShape);
    std::vector<int64_t> map(static_cast<size_t>(n));
    std::vector<int64_t> idx(rank, 0);
    auto groupOf = [&](const std::vector<int64_t>& index) {
      int64_t g = 0;
      for (int d = 0; d < rank; ++d) {
        int64_t c = 0;
        for (size_t i = 0; i < axes.size(); ++i)
          if (axes[i] == d) c = index[d] / eps[i];
        g = g * groupShape[d] + c;
      }
      return g;
    };
    for (int64_t i = 0; i < n; ++i) {
      map[static_cast<size_t>(i)] = groupOf(idx);
      for (int d = rank - 1; d >= 0; --d) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
    std::vector<float> gx, gq;
    groupMeans(x, q, n, map, groups, gx, gq);
    const int64_t m = numElements(out.shape);
    qx.resize(static_cast<size_t>(m));
    qq.resize(static_cast<size_t>(m));
    std::vector<int64_t> oidx(rank, 0);
    for (int64_t i = 0; i < m; ++i) {
      const int64_t g = groupOf(oidx);
      qx[static_cast<size_t>(i)] = gx[static_cast<size_t>(g)];
      qq[static_cast<size_t>(i)] = gq[static_cast<size_t>(g)];
      for (int d = rank - 1; d >= 0; --d) {
        if (++oidx[d] < out.shape[d]) break;
        oidx[d] = 0;
      }
    }
  } else if (rank > 1) {
    out.shape = reducedShape(shape, scalingReduceAxes(options.scaleAxis, rank));
    const int64_t groups = numElements(out.shape);
    groupMeans(x, q, n, reductionIndex(shape, out.shape), groups, qx, qq);
  } else {
    // Rank 1: no averaging at all, one scale per element (QKeras's "per-channel" for vectors).
    out.shape = shape;
    qx.resize(static_cast<size_t>(n));
    qq.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      qx[static_cast<size_t>(i)] = x[i] * q[i];
      qq[static_cast<size_t>(i)] = q[i] * q[i];
    }
  }
  out.values.resize(qx.size());
  const float lo = options.minPo2Exponent ? static_cast<float>(std::ldexp(1.0, *options.minPo2Exponent))
                                          : -std::numeric_limits<float>::infinity();
  float hi = options.maxPo2Exponent ? static_cast<float>(std::ldexp(1.0, *options.maxPo2Exponent))
                                    : std::numeric_limits<float>::infinity();
  if (hi < lo) hi = lo;  // K.clip's max_value < min_value rule
  for (size_t i = 0; i < qx.size(); ++i) {
    float s = qx[i] / (qq[i] + kEpsilonf);
    if (alpha == "auto_po2") {
      s = std::pow(2.0f, quant::roundHalfEven(quant::tfLogf(s + kEpsilonf, static_cast<int64_t>(i), static_cast<int64_t>(qx.size())) / kLog2f));
      if (options.minPo2Exponent || options.maxPo2Exponent) s = quant::clip(s, lo, hi);
    }
    out.values[i] = s;
  }
  return out;
}

ScaleInfo getScale(const qkw::Json& alpha, const float* x, const float* q, const Shape& shape,
                   const LeastSquaresOptions& options) {
  if (alpha.is_string()) {
    const std::string a = alpha.get<std::string>();
    if (a.find("auto") != std::string::npos) return leastSquaresScale(a, x, q, shape, options);
  }
  ScaleInfo out;
  if (alpha.is_null()) {
    out.values = {1.0f};
  } else if (alpha.is_number()) {
    out.values = {static_cast<float>(alpha.get<double>())};
  } else if (alpha.is_array()) {
    for (const auto& v : alpha) {
      if (!v.is_number()) throw Error("_get_scale: alpha list must hold numbers, got " + alpha.dump());
      out.values.push_back(static_cast<float>(v.get<double>()));
    }
    out.shape = {static_cast<int64_t>(out.values.size())};
  } else {
    throw Error("_get_scale: alpha must be None, 'auto', 'auto_po2', a number or a list, got " + alpha.dump());
  }
  return out;
}

std::vector<int> getIntegerBits(const std::vector<float>& minValue, const std::vector<float>& maxValue, int bits,
                                bool symmetric, bool keepNegative, bool isClipping) {
  if (minValue.size() != maxValue.size()) throw Error("_get_integer_bits: min_value and max_value differ in length");
  const float unsignedBits = static_cast<float>(bits - (keepNegative ? 1 : 0));
  std::vector<int> out(minValue.size());
  for (size_t i = 0; i < minValue.size(); ++i) {
    float mn = minValue[i], mx = maxValue[i];
    if (!keepNegative) {
      mn = std::max(mn, 0.0f);
      mx = std::max(mx, 0.0f);
    }
    const float mnLog2 = std::log(std::fabs(mn)) / kLog2f;
    const float mxLog2 = std::log(std::fabs(mx)) / kLog2f;
    float mnInt, mxInt;
    if (isClipping) {
      mnInt = quant::roundHalfEven(mnLog2 > 0 ? mnLog2 : 0.0f);
      mxInt = quant::roundHalfEven(mxLog2 > 0 ? mxLog2 : 0.0f);
    } else {
      mnInt = std::ceil(mnLog2 > 0 ? mnLog2 : 0.0f);
      mxInt = std::ceil(mxLog2 > 0 ? mxLog2 : 0.0f);
      const float mxPo2 = std::pow(2.0f, mxInt) - std::pow(2.0f, std::min(mxInt - unsignedBits, 0.0f));
      if (!(mx <= mxPo2)) mxInt += 1.0f;
      if (symmetric) {
        const float mnPo2 = -std::pow(2.0f, mnInt) + std::pow(2.0f, std::min(mnInt - unsignedBits, 0.0f));
        if (!(mnPo2 <= mn)) mnInt += 1.0f;
      }
    }
    const int integerBits = static_cast<int>(std::max(mnInt, mxInt));
    out[i] = std::min(static_cast<int>(unsignedBits), integerBits);
  }
  return out;
}

std::pair<std::vector<int64_t>, AxisSpec> getUnrolledShape(const std::vector<int64_t>& inputShape,
                                                           const AxisSpec& unrollFactor, const AxisSpec& unrollAxis) {
  if (!unrollFactor.set || !unrollAxis.set || unrollFactor.isList != unrollAxis.isList)
    throw Error("_get_unrolled_shape: both unroll_factor and unroll_axis have to be either ints or lists");
  if (unrollFactor.values.size() != unrollAxis.values.size())
    throw Error("_get_unrolled_shape: unroll_axis and unroll_factor must have the same length");
  std::vector<int64_t> shape = inputShape;
  AxisSpec axes = unrollAxis;
  int shift = 0;
  for (size_t i = 0; i < unrollAxis.values.size(); ++i) {
    const int axis = unrollAxis.values[i] + shift;
    const int factor = unrollFactor.values[i];
    if (axis < 0 || axis >= static_cast<int>(shape.size()) || factor <= 0)
      throw Error("_get_unrolled_shape: axis " + std::to_string(unrollAxis.values[i]) + " / factor " +
                  std::to_string(factor) + " out of range");
    axes.values[i] = axis;
    shape[axis] = shape[axis] / factor;  // Python floor division of non-negative ints
    shape.insert(shape.begin() + axis + 1, factor);
    ++shift;
  }
  return {shape, axes};
}

std::vector<int64_t> getRolledBackShape(const std::vector<int64_t>& inputShape, const AxisSpec& rollAxis) {
  std::vector<int64_t> shape = inputShape;
  if (!rollAxis.set) return shape;
  int shift = 0;
  for (int a : rollAxis.values) {
    const int axis = a + shift;
    if (axis < 0 || axis + 1 >= static_cast<int>(shape.size()))
      throw Error("_get_rolled_back_shape: roll axis " + std::to_string(a) + " out of range");
    shape[axis] *= shape[axis + 1];
    shape.erase(shape.begin() + axis + 1);
    --shift;
  }
  return shape;
}

void straightThroughScaledOutput(const float* base, const float* q, const ScaleInfo& s, const Shape& shape,
                                 const std::string& what, float* y) {
  const std::vector<int64_t> idx = broadcastIndex(shape, s.shape, what);
  const int64_t n = numElements(shape);
  for (int64_t i = 0; i < n; ++i) {
    const float b = base[i];
    const float xq = s.values[static_cast<size_t>(idx[static_cast<size_t>(i)])] * q[i];
    y[i] = b + (-b + xq);
  }
}

}  // namespace qkw
