// Scalar float32 building blocks with TensorFlow's semantics. QKeras's exactness depends on
// each of these matching TF bit for bit, so none of them may be "simplified".
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "kernels/tf_scalar_f32.h"

namespace qkw::quant {

// The scalar TF ops the kernels need too live in the kernels' leaf header.
using tfscalar::blendOutput;
using tfscalar::clip;
using tfscalar::floorThrough;
using tfscalar::leakyRelu;
using tfscalar::relu;
using tfscalar::roundHalfEven;
using tfscalar::roundThrough;
using tfscalar::steOutput;


// QKeras's quantized_bits auto path writes tf.floor(v + 0.5): half away from zero for v >= 0.
inline float floorHalfUp(float v) { return std::floor(v + 0.5f); }



// tf.sign: -1, 0 (for ±0) or +1; NaN stays NaN.
inline float sign(float v) {
  if (std::isnan(v)) return v;
  return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f);
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


}  // namespace qkw::quant
