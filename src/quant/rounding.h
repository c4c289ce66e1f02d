// Scalar float32 building blocks with TensorFlow's semantics. QKeras's exactness depends on
// each of these matching TF bit for bit, so none of them may be "simplified".
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace qkw::quant {

// tf.round: half to even. nearbyintf honours the current rounding mode, which this project
// never changes from FE_TONEAREST.
inline float roundHalfEven(float v) { return std::nearbyintf(v); }

// QKeras's quantized_bits auto path writes tf.floor(v + 0.5): half away from zero for v >= 0.
inline float floorHalfUp(float v) { return std::floor(v + 0.5f); }

// _round_through(x) = x + stop_gradient(-x + round(x)): equal to round(x) for finite x, NaN
// for ±inf (inf - inf). Kept literal so the non-finite cases match.
inline float roundThrough(float x) {
  const float t = -x + roundHalfEven(x);
  return x + t;
}
inline float floorThrough(float x) {
  const float t = -x + std::floor(x);
  return x + t;
}

// tf.clip_by_value = minimum(maximum(v, lo), hi); TF's maximum/minimum propagate NaN.
inline float clip(float v, float lo, float hi) {
  if (std::isnan(v)) return v;
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return v;
}

// tf.sign: -1, 0 (for ±0) or +1; NaN stays NaN.
inline float sign(float v) {
  if (std::isnan(v)) return v;
  return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f);
}

// tf.nn.relu / tf.nn.leaky_relu(alpha) as K.relu(x, alpha) calls them.
inline float relu(float v) { return v > 0.0f ? v : (std::isnan(v) ? v : 0.0f); }
inline float leakyRelu(float v, float alpha) {
  if (alpha == 0.0f) return relu(v);
  return v > 0.0f ? v : alpha * v;
}

// TF runs its CPU kernels with flush-to-zero / denormals-are-zero (semantics §1.1), WASM has
// no such mode: results that would be subnormal are flushed explicitly where QKeras can make
// them (2^e with e < -126 in the po2 quantizers).
inline float flushSubnormal(float v) { return std::fpclassify(v) == FP_SUBNORMAL ? std::copysign(0.0f, v) : v; }

// K.pow(2.0, e) in float32 for an integral e.
inline float pow2f(float e) { return flushSubnormal(std::pow(2.0f, e)); }

// np.log(2.0) used against float32 tensors becomes float32(0.6931471805599453).
constexpr float kLog2f = 0.6931471805599453f;
// K.epsilon() as a float32 constant.
constexpr float kEpsilonf = 1e-7f;

// The STE output x + stop_gradient(qnoise * (-x + xq)), in QKeras's float32 order.
inline float steOutput(float x, float xq, float qnoise) {
  float t = -x + xq;
  t = qnoise * t;
  return x + t;
}
// use_ste=False: (1 - qnoise) * x + qnoise * xq.
inline float blendOutput(float x, float xq, float qnoise) {
  const float a = (1.0f - qnoise) * x;
  const float b = qnoise * xq;
  return a + b;
}

}  // namespace qkw::quant
