// What quantized_sigmoid and quantized_tanh (semantics §2.4) have in common: no STE wrapper; the
// activation p is rounded onto a grid of step 1/2^k and clipped to
// [lower + symmetric/2^k, 1 - 1/2^k], k = bits and lower = 0 for the sigmoid, k = bits - 1 and
// lower = -1 for tanh. Only the activation itself, the argument order and the printed form
// differ, and those stay in the two family files.
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>

#include "quant/quantizer_base.h"
#include "quant/rounding.h"

namespace qkw::quant {

class ClippedActivationGridQuantizer : public QuantizerBase {
 public:
  double max() const override { return 1.0 - 1.0 / std::ldexp(1.0, fractionBits()); }
  double min() const override { return lower() + (symmetric_ ? 1.0 : 0.0) / std::ldexp(1.0, fractionBits()); }
  int bits() const override { return bits_; }
  bool isSigned() const override { return signed_; }

  std::optional<Grid> grid() const override {
    return uniformGrid(bits_, signed_, 1.0 / std::ldexp(1.0, fractionBits()), min(), max());
  }

 protected:
  // isSigned: the tanh form (range [-1, 1), one bit for the sign). The subclass reads bits_ and
  // symmetric_ from the arguments in its family's order (errors name the first bad argument).
  ClippedActivationGridQuantizer(const Args& args, bool isSigned) : QuantizerBase(args), signed_(isSigned) {}

  // y = clip(round(activation(x) * 2^k) / 2^k, lo, hi), all in float32 as QKeras computes it.
  template <typename Activation>
  void applyClippedGrid(const float* x, float* y, const Shape& shape, ScaleInfo* scale, Activation activation) const {
    const int64_t n = numElements(shape);
    const float m = std::ldexp(1.0f, fractionBits());
    const float lo = (signed_ ? -1.0f : 0.0f) + (symmetric_ ? 1.0f : 0.0f) / m;  // 0 + v is exact
    const float hi = 1.0f - 1.0f / m;
    for (int64_t i = 0; i < n; ++i) y[i] = clip(roundThrough(activation(x[i], i, n) * m) / m, lo, hi);
    if (scale) *scale = ScaleInfo{{}, {1.0f}};
  }

  int bits_ = 0;
  bool symmetric_ = false;

 private:
  int fractionBits() const { return signed_ ? bits_ - 1 : bits_; }
  double lower() const { return signed_ ? -1.0 : 0.0; }

  bool signed_;
};

}  // namespace qkw::quant
