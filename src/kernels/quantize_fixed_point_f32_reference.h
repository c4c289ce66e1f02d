// The elementwise fixed-point quantizer shared by quantized_bits (alpha None or a scalar, at
// least one magnitude bit) and quantized_relu (use_sigmoid=0, negative_slope=0), in QKeras's
// float32 operation order (semantics §2.2, §2.3):
//   p  = (x * m) / mi                      m = 2^magnitude bits, mi = 2^integer
//   c  = clip(round_through(p), lo, hi)    round half to even; inf/NaN become NaN
//   xq = (mi * c) / m, then alpha * xq (scaled), then min(xq, cap) (capped)
//   y  = base + qnoise * (xq - base)       (use_ste; else (1 - qnoise) * base + qnoise * xq)
// where base is x itself (quantized_bits) or x after QKeras's ReLU and its upper clip
// (quantized_relu). This scalar version is the specification; quantize_fixed_point_f32_simd
// must match it bit for bit (NaN outputs may differ only in payload).
#pragma once
#include <cstdint>

namespace qkw {

struct FixedPointQuantizer {
  float m = 1.0f;
  float mi = 1.0f;
  float lo = 0.0f;  // clip bounds of the rounded level c
  float hi = 0.0f;
  bool scaled = false;  // xq = alpha * xq
  float alpha = 1.0f;
  bool capped = false;  // xq = xq <= cap ? xq : cap (relu_upper_bound without is_quantized_clip)
  float cap = 0.0f;
  enum class Base {
    Input,        // base = x
    Relu,         // base = relu(x) (NaN stays NaN, -0 becomes +0)
    ReluBounded,  // base = x <= bound ? relu(x) : bound (NaN gives bound)
  };
  Base base = Base::Input;
  float bound = 0.0f;
  bool useSte = true;
  float qnoise = 1.0f;
};

void quantize_fixed_point_f32_reference(const FixedPointQuantizer& q, const float* x, int64_t n, float* y);

}  // namespace qkw
