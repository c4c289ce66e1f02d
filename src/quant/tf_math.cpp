#include "quant/tf_math.h"

#include <cmath>
#include <limits>

namespace qkw::quant {

float eigenLogf(float input) {
  if (std::isnan(input) || input < 0.0f) return std::numeric_limits<float>::quiet_NaN();
  if (input == 0.0f) return -std::numeric_limits<float>::infinity();
  if (std::isinf(input)) return input;
  // TF runs with denormals-are-zero: a subnormal input is 0 there.
  if (std::fpclassify(input) == FP_SUBNORMAL) return -std::numeric_limits<float>::infinity();
  int exponent = 0;
  float x = std::frexp(input, &exponent);  // x in [0.5, 1)
  float e = static_cast<float>(exponent);
  const bool below = x < 0.707106781186547524f;
  const float tmp = below ? x : 0.0f;
  x = x - 1.0f;
  e = e - (below ? 1.0f : 0.0f);
  x = x + tmp;
  // p(x) = x * (p1 + x*(p2 + x*p3)), q(x) = 1 + x*(q1 + x*(q2 + x*q3)), each step mul then add.
  float p = x * 0.18256296349849254f + 1.0000000190281063f;
  p = x * p + 1.0000000190281136f;
  p = x * p;
  float q = x * 0.049616247954120038f + 0.59923249590823520f;
  q = x * q + 1.4999999999999927f;
  q = x * q + 1.0f;
  x = p / q;
  return e * static_cast<float>(0.693147180559945309417) + x;
}

float tfLogf(float x, int64_t index, int64_t count) {
  const int64_t vectorized = (count / kTfPacketSize) * kTfPacketSize;
  return index < vectorized ? eigenLogf(x) : std::log(x);
}

}  // namespace qkw::quant
