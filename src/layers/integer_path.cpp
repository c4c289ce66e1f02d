#include "layers/integer_path.h"

#include "layers/grid_arithmetic.h"

#include <cmath>
#include <limits>

namespace qkw {

namespace {

// The largest power of two dividing v (finite, nonzero).
// v finite and nonzero.
double largestPowerOfTwoDividing(double v) { return dyadicStep(v); }

}  // namespace

std::optional<std::string> integerInputProblem(const PrepareContext& ctx, IntegerInput* input) {
  if (!ctx.integerKernels) return std::string("integer kernels are off (model option integerKernels: false)");
  if (ctx.inputs.empty()) return std::string("no input facts");
  const InputFacts& in = ctx.inputs[0];
  if (!in.onUniformGrid) return in.why.empty() ? std::string("input is not on a uniform grid") : in.why;
  const double lo = in.min / in.step, hi = in.max / in.step;
  if (lo < -32768 || hi > 32767)
    return "input codes span [" + std::to_string(static_cast<int64_t>(lo)) + ", " +
           std::to_string(static_cast<int64_t>(hi)) + "], more than int16";
  const float step = static_cast<float>(in.step);
  if (static_cast<double>(step) != in.step || !(step >= std::numeric_limits<float>::min()) || step > 0x1p100f)
    return std::string("input step is outside float32's normal range");
  input->step = step;
  input->invStep = 1.0f / step;
  input->lo = static_cast<int32_t>(lo);
  input->hi = static_cast<int32_t>(hi);
  input->fitsInt8 = lo >= -128 && hi <= 127;
  input->zeroFree = in.zeroFree;
  return std::nullopt;
}

std::optional<std::string> weightCodesProblem(const Tensor& kernel, int64_t channels, WeightCodes* out) {
  const int64_t n = kernel.size();
  if (channels <= 0 || n % channels != 0) return std::string("kernel layout not understood");
  std::vector<double> step(static_cast<size_t>(channels), std::numeric_limits<double>::infinity());
  for (int64_t i = 0; i < n; ++i) {
    const double v = kernel.data[i];
    if (!std::isfinite(v)) return std::string("a weight is not finite");
    if (v != 0) step[i % channels] = std::min(step[i % channels], largestPowerOfTwoDividing(v));
  }
  for (double& s : step)
    if (std::isinf(s)) s = 1;
  out->codes.resize(static_cast<size_t>(n));
  bool int8 = true;
  for (int64_t i = 0; i < n; ++i) {
    const double c = kernel.data[i] / step[i % channels];  // an exact integer by construction
    if (std::fabs(c) > 32767)
      return "weight codes need more than 16 bits (" + std::to_string(static_cast<int64_t>(c)) + ")";
    if (c < -128 || c > 127) int8 = false;
    out->codes[i] = static_cast<int16_t>(c);
  }
  out->steps = std::move(step);
  out->fitsInt8 = int8;
  return std::nullopt;
}

std::optional<std::string> finishPlan(const PrepareContext& ctx, const Tensor& kernel, int64_t channels,
                                      bool zeroTerms, const IntegerInput& input, const WeightCodes& weights,
                                      IntegerPlan* plan) {
  if (!ctx.accumulatorBound) return std::string("no accumulator bound for the input grid");
  const AccumulatorFacts bound = ctx.accumulatorBound(kernel, channels, 1, zeroTerms);
  if (bound.mantissaBits > 24)
    return "accumulator needs " +
           (bound.mantissaBits == std::numeric_limits<int>::max() ? std::string("unbounded")
                                                                  : std::to_string(bound.mantissaBits)) +
           " bits > 24 (float32 rounds the sums)";
  plan->scale.resize(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    const double s = static_cast<double>(input.step) * weights.steps[c];
    // float(acc) * s with |acc| < 2^24 is exact when s is a normal float32 and the result finite.
    if (!(s >= std::numeric_limits<float>::min()) || s > 0x1p100)
      return std::string("an output channel's grid unit is outside float32's normal range");
    plan->scale[c] = static_cast<float>(s);
  }
  plan->input = input;
  plan->accumulatorBits = bound.accumulatorBits;
  plan->active = true;
  return std::nullopt;
}


std::string integerTypeName(const IntegerInput& input, const WeightCodes& weights) {
  return input.fitsInt8 && weights.fitsInt8 ? "qs8" : "qs16";
}

bool popcountCodes(const IntegerInput& input, const WeightCodes& weights) {
  if (input.lo < -1 || input.hi > 1) return false;
  for (int16_t c : weights.codes)
    if (c < -1 || c > 1) return false;
  return true;
}

std::string popcountKernelName(const std::string& op, bool binaryWeights, const IntegerInput& input) {
  return binaryWeights && input.zeroFree ? "qb1_" + op + "_igemm_4x16c8_" + qs16KernelIsa() + "_xor_popcnt"
                                         : "qt2_" + op + "_igemm_4x16c8_" + qs16KernelIsa() + "_popcnt";
}

}  // namespace qkw
