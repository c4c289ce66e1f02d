// QKeras's helper activations (semantics §1.7) and the module-level _sigmoid they switch.
#pragma once
#include <cmath>

#include "quant/quantizer.h"
#include "quant/rounding.h"

namespace qkw::quant {

// hard_sigmoid: slope 0.5 (not Keras's 0.2).
inline float hardSigmoid(float x) { return clip(0.5f * x + 0.5f, 0.0f, 1.0f); }
inline float smoothSigmoid(float x) { return clip(0.1875f * x + 0.5f, 0.0f, 1.0f); }
// tf.sigmoid; TF's Eigen kernel may differ from this by an ulp.
inline float realSigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

inline float internalSigmoid(float x, SigmoidMode mode) {
  switch (mode) {
    case SigmoidMode::Smooth: return smoothSigmoid(x);
    case SigmoidMode::Real: return realSigmoid(x);
    case SigmoidMode::Hard: break;
  }
  return hardSigmoid(x);
}

}  // namespace qkw::quant
