// Scalar float32 TF ops with TensorFlow's exact semantics, shared by the kernels (which are
// leaves and include nothing from quant/) and the quantizers (quant/rounding.h re-exports them).
// QKeras's exactness depends on each matching TF bit for bit, so none may be "simplified".
#pragma once
#include <cmath>

namespace qkw::tfscalar {

// tf.round: half to even. nearbyintf honours the current rounding mode, which this project
// never changes from FE_TONEAREST.
inline float roundHalfEven(float v) { return std::nearbyintf(v); }

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

// tf.nn.relu / tf.nn.leaky_relu(alpha) as K.relu(x, alpha) calls them.
inline float relu(float v) { return v > 0.0f ? v : (std::isnan(v) ? v : 0.0f); }
inline float leakyRelu(float v, float alpha) {
  if (alpha == 0.0f) return relu(v);
  return v > 0.0f ? v : alpha * v;
}

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

}  // namespace qkw::tfscalar
