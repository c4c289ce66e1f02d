// QKeras's helper activations (semantics §1.7) and the module-level _sigmoid they switch.
#pragma once
#include <cmath>

#include "quant/quantizer.h"
#include "quant/rounding.h"
#include "quant/tf_math.h"

namespace qkw::quant {

// hard_sigmoid: slope 0.5 (not Keras's 0.2).
inline float hardSigmoid(float x) { return clip(0.5f * x + 0.5f, 0.0f, 1.0f); }
inline float smoothSigmoid(float x) { return clip(0.1875f * x + 0.5f, 0.0f, 1.0f); }
// tf.sigmoid (K.sigmoid) on element `index` of a tensor of `count` elements: Eigen's packet
// logistic on whole packets of 8, the scalar one on the tail (quant/tf_math.h).
inline float realSigmoid(float x, int64_t index, int64_t count) { return tfSigmoidf(x, index, count); }

inline float internalSigmoid(float x, SigmoidMode mode, int64_t index, int64_t count) {
  switch (mode) {
    case SigmoidMode::Smooth: return smoothSigmoid(x);
    case SigmoidMode::Real: return realSigmoid(x, index, count);
    case SigmoidMode::Hard: break;
  }
  return hardSigmoid(x);
}

}  // namespace qkw::quant
