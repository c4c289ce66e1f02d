// TensorFlow's CPU float32 log, as QKeras's po2 rounding sees it.
//
// Why: QKeras rounds exponents with round(log(x) / log(2)); at ties (x = 2^(k+1/2), e.g. a
// quadratic-approximation variance of 0.5 or 2) one ulp of log decides the power of two.
// TF evaluates tf.math.log with Eigen: whole packets of 8 floats (AVX) go through Eigen's
// vectorized plog (a rational approximation, not correctly rounded), the tail through the C
// library's logf. For sqrt(0.5) they differ: Eigen gives -0.346573591 (-> exponent 0, so
// 0.5 -> 1 as QKeras users observe), logf gives -0.346573621 (-> 0.25).
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "quant/rounding.h"

namespace qkw::quant {

// Eigen's plog_impl_float (frexp, shift to [sqrt(1/2), sqrt(2)), rational (3,3) fit of
// log(1+x), add e*ln2), evaluated without FMA; 0 -> -inf, negative/NaN -> NaN, inf -> inf.
float eigenLogf(float x);

// The log TF computes for element `index` of a tensor of `count` elements.
float tfLogf(float x, int64_t index, int64_t count);

constexpr int64_t kTfPacketSize = 8;

// The auto_po2 rounding of a scale tensor: s = 2^round(log(s + 1e-7) / log(2)), elementwise in
// the tensor's flat order (which decides Eigen packet vs scalar tail).
inline void roundScalesToPowersOfTwo(std::vector<float>& scales) {
  const int64_t count = static_cast<int64_t>(scales.size());
  for (int64_t i = 0; i < count; ++i) {
    float& v = scales[static_cast<size_t>(i)];
    v = std::pow(2.0f, roundHalfEven(tfLogf(v + kEpsilonf, i, count) / kLog2f));
  }
}

}  // namespace qkw::quant
