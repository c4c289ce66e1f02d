// Per-channel scale machinery shared by the auto-scaling quantizers (semantics §1.4, §1.5),
// plus QKeras's small shape/bit helpers that its own tests exercise directly.
#pragma once
#include <optional>
#include <utility>
#include <vector>

#include "core/json.h"

#include "core/tensor.h"
#include "quant/quantizer.h"

namespace qkw {

// QKeras's scale_axis / elements_per_scale arguments: unset, one int, or a list of ints.
// The int/list distinction matters (_validate_axis_and_eps treats them differently).
struct AxisSpec {
  bool set = false;
  bool isList = false;
  std::vector<int> values;

  static AxisSpec none() { return {}; }
  static AxisSpec single(int v) { return {true, false, {v}}; }
  static AxisSpec list(std::vector<int> v) { return {true, true, std::move(v)}; }
  // From a QKeras argument value: null, an integer or a list of integers. Throws qkw::Error
  // naming `what` otherwise.
  static AxisSpec fromJson(const qkw::Json& value, const std::string& what);
  qkw::Json toJson() const;
};

// _get_scaling_axis(scale_axis, rank): the axes reduced when computing one scale per channel
// (channels_last): unset -> all but the last; int k -> all but k; list -> all not listed.
std::vector<int> scalingReduceAxes(const AxisSpec& scaleAxis, int rank);

// Keepdims shape of a reduction of `shape` over `axes`.
Shape reducedShape(const Shape& shape, const std::vector<int>& axes);

// For every element of a tensor of shape `shape`, the flat index of the element of a
// tensor of shape `target` that numpy broadcasting pairs it with (right-aligned; each
// target dim must be 1 or equal). Throws qkw::Error naming `what` when they do not
// broadcast or the broadcast would enlarge `shape`.
std::vector<int64_t> broadcastIndex(const Shape& shape, const Shape& target, const std::string& what);

// binary's and ternary's output in QKeras's straight-through form, y = b + (-b + scale*q), with
// the scale broadcast against `shape` (`what` names it in errors). b is x, or tanh(x) when alpha
// is None; the expression is evaluated as written because in float32 it can differ from scale*q.
void straightThroughScaledOutput(const float* base, const float* q, const ScaleInfo& s, const Shape& shape,
                                 const std::string& what, float* y);

// K.max(|x|, axes, keepdims=True) (absolute=true) or K.max(x, ...) (absolute=false).
ScaleInfo reduceMax(const float* x, const Shape& shape, const std::vector<int>& axes, bool absolute);

// QKeras's _get_least_squares_scale (alias _get_scale) for a string alpha ("auto" or
// "auto_po2"): scale = mean(x*q)/(mean(q*q)+eps) per channel, rounded to a power of two for
// "auto_po2" and clipped to [2^minPo2, 2^maxPo2] when given. Rank-1 inputs get one scale per
// element. elementsPerScale groups channels along scaleAxis (_get_scale_mean).
struct LeastSquaresOptions {
  AxisSpec scaleAxis;
  bool perChannelScale = true;
  AxisSpec elementsPerScale;
  std::optional<int> minPo2Exponent;
  std::optional<int> maxPo2Exponent;
};
ScaleInfo leastSquaresScale(const std::string& alpha, const float* x, const float* q, const Shape& shape,
                            const LeastSquaresOptions& options);

// The full _get_scale(alpha, x, q, ...) including its non-string branches: alpha None -> 1.0,
// a number -> that number, a list -> the list (shape (n,)). Shape {} means a Python scalar.
ScaleInfo getScale(const qkw::Json& alpha, const float* x, const float* q, const Shape& shape,
                   const LeastSquaresOptions& options);

// _get_integer_bits(min_value, max_value, bits, symmetric, keep_negative, is_clipping),
// elementwise over the two (equal-length) vectors, in float32 like TF.
std::vector<int> getIntegerBits(const std::vector<float>& minValue, const std::vector<float>& maxValue, int bits,
                                bool symmetric, bool keepNegative, bool isClipping);

// _get_unrolled_shape(input_shape, unroll_factor, unroll_axis): both int or both lists.
// Returns the unrolled shape and the updated axis spec (same int/list form).
std::pair<std::vector<int64_t>, AxisSpec> getUnrolledShape(const std::vector<int64_t>& inputShape,
                                                           const AxisSpec& unrollFactor, const AxisSpec& unrollAxis);

// _get_rolled_back_shape(input_shape, roll_axis).
std::vector<int64_t> getRolledBackShape(const std::vector<int64_t>& inputShape, const AxisSpec& rollAxis);

}  // namespace qkw
