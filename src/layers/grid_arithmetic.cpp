// Grid arithmetic of the static analysis (grid_arithmetic.h).
#include "layers/grid_arithmetic.h"

#include "core/error.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>

namespace qkw {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string rangeText(double lo, double hi) { return "[" + formatNumber(lo) + ", " + formatNumber(hi) + "]"; }

}  // namespace

double dyadicStep(double v) {
  if (!std::isfinite(v)) return std::numeric_limits<double>::quiet_NaN();
  if (v == 0) return kInf;
  // |v| = mantissa * 2^exponent with an integer mantissa: the lowest set bit is the step. Read
  // from the bits (no loop over the trailing zeros: build-time analysis calls this per weight).
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const int biased = static_cast<int>((bits >> 52) & 0x7ffu);
  uint64_t mantissa = bits & ((uint64_t{1} << 52) - 1);
  int exponent = -1074;  // subnormal: no implicit bit
  if (biased != 0) {
    mantissa |= uint64_t{1} << 52;
    exponent = biased - 1075;
  }
  return std::ldexp(1.0, exponent + __builtin_ctzll(mantissa));
}

bool isPowerOfTwo(double step) {
  if (!(step > 0) || !std::isfinite(step)) return false;
  int e = 0;
  return std::frexp(step, &e) == 0.5;
}

std::string formatStep(double step) {
  if (isPowerOfTwo(step)) {
    int e = 0;
    std::frexp(step, &e);
    const int p = e - 1;  // step = 2^p
    if (p >= 0) return formatNumber(step);
    if (p >= -20) return "1/" + std::to_string(int64_t{1} << -p);
    return "2^" + std::to_string(p);
  }
  return formatNumber(step);
}

GridSummary uniformGrid(double step, double min, double max) {
  GridSummary g;
  g.kind = Grid::Kind::Uniform;
  g.step = step;
  g.min = min;
  g.max = max;
  g.isSigned = min < 0;
  if (!(step > 0)) return g;
  const double loInt = std::round(min / step), hiInt = std::round(max / step);
  if (g.isSigned) {
    // Two's complement: [-2^(b-1), 2^(b-1) - 1].
    int b = 1;
    while (-std::ldexp(1.0, b - 1) > loInt || std::ldexp(1.0, b - 1) - 1 < hiInt) ++b;
    g.bits = b;
  } else {
    g.bits = std::max(1, bitsForMagnitude(hiInt));
  }
  if (isPowerOfTwo(step)) {
    int e = 0;
    std::frexp(step, &e);
    g.integer = (e - 1) + g.bits - (g.isSigned ? 1 : 0);
  }
  return g;
}

GridSummary gridFromQuantizer(const Grid& grid, const Quantizer* quantizer) {
  GridSummary g;
  g.kind = grid.kind;
  g.bits = grid.bits;
  g.integer = grid.integer;
  g.isSigned = grid.isSigned;
  g.step = grid.kind == Grid::Kind::Uniform ? grid.step : 0;
  g.min = grid.min;
  g.max = grid.max;
  if (grid.kind == Grid::Kind::Custom && quantizer) {
    std::vector<float> values;
    try {
      values = quantizer->range();
    } catch (const Error&) {
      // Too many values to list (range() refuses past 2^20): the summary keeps min/max only.
    }
    for (float v : values) g.values.push_back(v);
    std::sort(g.values.begin(), g.values.end());
    g.values.erase(std::unique(g.values.begin(), g.values.end()), g.values.end());
  }
  return g;
}

AccumulatorBound boundLinear(const KernelView& view, const Tensor* bias, double inStep, double inMin, double inMax,
                             bool zeroTerms) {
  AccumulatorBound b;
  const int64_t channels = view.channels;
  b.lo.assign(channels, 0.0);
  b.hi.assign(channels, 0.0);
  b.absBound.assign(channels, 0.0);
  std::vector<double> kernelStep(channels, kInf), biasStep(channels, kInf);
  const double inAbs = std::max(std::fabs(inMin), std::fabs(inMax));
  bool finite = std::isfinite(inMin) && std::isfinite(inMax);
  const float* w = view.kernel->data.data();
  const int64_t n = view.kernel->size();
  for (int64_t i = 0; i < n; ++i) {
    const double v = w[i];
    if (v == 0) continue;
    if (!std::isfinite(v)) {
      finite = false;
      continue;
    }
    const int64_t c = (i / view.innerStride) % channels;
    double tlo = std::min(v * inMin, v * inMax), thi = std::max(v * inMin, v * inMax);
    if (zeroTerms) tlo = std::min(tlo, 0.0), thi = std::max(thi, 0.0);
    b.lo[c] += tlo;
    b.hi[c] += thi;
    b.absBound[c] += std::fabs(v) * inAbs;
    kernelStep[c] = std::min(kernelStep[c], dyadicStep(v));
  }
  if (bias && bias->size() == channels) {
    for (int64_t c = 0; c < channels; ++c) {
      const double v = bias->data[c];
      if (!std::isfinite(v)) finite = false;
      if (v == 0 || !std::isfinite(v)) continue;
      b.lo[c] += v;
      b.hi[c] += v;
      b.absBound[c] += std::fabs(v);
      biasStep[c] = dyadicStep(v);
    }
  }
  b.step.resize(channels);
  for (int64_t c = 0; c < channels; ++c) {
    double s = std::min(inStep * kernelStep[c], biasStep[c]);
    if (std::isinf(s)) s = inStep;  // the channel is constant 0
    b.step[c] = s;
    const double peak = std::max(std::fabs(b.lo[c]), std::fabs(b.hi[c]));
    b.accumulatorBits = std::max(b.accumulatorBits, bitsForMagnitude(peak / s) + 1);
    b.mantissaBits = std::max(b.mantissaBits, bitsForMagnitude(b.absBound[c] / s));
  }
  if (!finite) b.mantissaBits = std::numeric_limits<int>::max();
  return b;
}

AccumulatorBound boundSeparable(const KernelView& depthwise, const Tensor& pointwise, const Tensor* bias,
                                double inStep, double inMin, double inMax) {
  const AccumulatorBound mid = boundLinear(depthwise, nullptr, inStep, inMin, inMax, true);
  const int64_t m = depthwise.channels;
  const int64_t filters = pointwise.shape.back();
  AccumulatorBound b;
  b.lo.assign(filters, 0.0);
  b.hi.assign(filters, 0.0);
  b.absBound.assign(filters, 0.0);
  std::vector<double> step(filters, kInf);
  bool finite = mid.mantissaBits != std::numeric_limits<int>::max();
  if (pointwise.size() != m * filters) finite = false;
  for (int64_t k = 0; finite && k < m; ++k) {
    const double midAbs = std::max(std::fabs(mid.lo[k]), std::fabs(mid.hi[k]));
    for (int64_t f = 0; f < filters; ++f) {
      const double v = pointwise.data[k * filters + f];
      if (v == 0) continue;
      if (!std::isfinite(v)) {
        finite = false;
        break;
      }
      b.lo[f] += std::min(v * mid.lo[k], v * mid.hi[k]);
      b.hi[f] += std::max(v * mid.lo[k], v * mid.hi[k]);
      b.absBound[f] += std::fabs(v) * midAbs;
      step[f] = std::min(step[f], mid.step[k] * dyadicStep(v));
    }
  }
  if (finite && bias && bias->size() == filters)
    for (int64_t f = 0; f < filters; ++f) {
      const double v = bias->data[f];
      if (!std::isfinite(v)) finite = false;
      if (v == 0 || !std::isfinite(v)) continue;
      b.lo[f] += v;
      b.hi[f] += v;
      b.absBound[f] += std::fabs(v);
      step[f] = std::min(step[f], dyadicStep(v));
    }
  b.step.resize(filters);
  b.mantissaBits = mid.mantissaBits;
  for (int64_t f = 0; f < filters; ++f) {
    b.step[f] = std::isinf(step[f]) ? inStep : step[f];
    const double peak = std::max(std::fabs(b.lo[f]), std::fabs(b.hi[f]));
    b.accumulatorBits = std::max(b.accumulatorBits, bitsForMagnitude(peak / b.step[f]) + 1);
    b.mantissaBits = std::max(b.mantissaBits, bitsForMagnitude(b.absBound[f] / b.step[f]));
  }
  if (!finite) b.mantissaBits = std::numeric_limits<int>::max();
  return b;
}

// ---- Helpers of the output rules ----

// Unsigned bits needed to count up to `magnitude` (an integer count of steps).
int bitsForMagnitude(double magnitude) {
  if (!(magnitude >= 0) || std::isinf(magnitude)) return std::numeric_limits<int>::max();
  int bits = 0;
  while (std::ldexp(1.0, bits) < magnitude + 1.0) ++bits;
  return bits;
}

// The text `std::ostream << v` gives at precision 10 ("%.10g"), without <sstream>: streams
// pull libc++'s locale machinery (~100 KB) into the WASM module.
std::string formatNumber(double v) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.10g", v);
  return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

// Bits of the odd part of a float's significand (1 for powers of two).
int significandBits(double v) {
  if (v == 0) return 0;
  const double step = dyadicStep(v);
  return bitsForMagnitude(std::fabs(v) / step);
}

// The step every value of a uniform grid is a multiple of: min + k*step with min off the
// lattice (sign grids {-1, +1}, step 2) are multiples of the finer of step and min's own step.
double sumStep(const GridSummary& g) {
  if (g.min == 0 || std::remainder(g.min, g.step) == 0) return g.step;
  return std::min(g.step, dyadicStep(g.min));
}

GridSummary gridFromBound(const AccumulatorBound& b) {
  double finest = kInf, lo = kInf, hi = -kInf;
  bool differ = false;
  for (size_t i = 0; i < b.step.size(); ++i) {
    if (i > 0 && b.step[i] != b.step[0]) differ = true;
    finest = std::min(finest, b.step[i]);
    lo = std::min(lo, b.lo[i]);
    hi = std::max(hi, b.hi[i]);
  }
  if (b.step.empty()) finest = 1, lo = 0, hi = 0;
  GridSummary g = uniformGrid(finest, lo, hi);
  if (differ) g.steps = b.step;
  return g;
}

// ReLU of a grid: 0 is on every QKeras grid that reaches it, values below 0 become 0.
std::optional<GridSummary> reluOfGrid(const GridSummary& g, std::optional<double> maxValue) {
  if (g.kind != Grid::Kind::Uniform) return std::nullopt;
  if (std::fabs(std::remainder(g.min, g.step)) != 0 && g.min < 0) return std::nullopt;  // 0 not on the lattice
  GridSummary out = uniformGrid(g.step, std::max(0.0, g.min), std::max(0.0, g.max));
  out.steps = g.steps;
  if (maxValue && *maxValue < out.max) {
    if (std::fabs(std::remainder(*maxValue, g.step)) != 0) return std::nullopt;
    GridSummary clipped = uniformGrid(g.step, std::min(out.min, *maxValue), *maxValue);
    clipped.steps = g.steps;
    return clipped;
  }
  return out;
}

std::string describeGrid(const GridSummary& g) {
  std::string sign = g.isSigned ? "signed" : "unsigned";
  switch (g.kind) {
    case Grid::Kind::PowerOfTwo:
      return std::to_string(g.bits) + "-bit power-of-two values in " + rangeText(g.min, g.max);
    case Grid::Kind::Custom:
      return std::to_string(g.bits) + "-bit non-uniform grid (" + std::to_string(g.values.size()) + " values) in " +
             rangeText(g.min, g.max);
    default:
      break;
  }
  std::string text = std::to_string(g.bits) + "-bit " + sign + ", step " + formatStep(g.step);
  if (!g.steps.empty()) text += " (finest of per-channel steps)";
  return text + ", range " + rangeText(g.min, g.max);
}

}  // namespace qkw
