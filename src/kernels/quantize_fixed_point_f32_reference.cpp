#include "kernels/quantize_fixed_point_f32_reference.h"

#include "kernels/tf_scalar_f32.h"

namespace qkw {

void quantize_fixed_point_f32_reference(const FixedPointQuantizer& q, const float* x, int64_t n, float* y) {
  using namespace tfscalar;
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float p = (v * q.m) / q.mi;
    const float c = clip(roundThrough(p), q.lo, q.hi);
    float xq = (q.mi * c) / q.m;
    if (q.scaled) xq = q.alpha * xq;
    if (q.capped) xq = xq <= q.cap ? xq : q.cap;
    float base = v;
    if (q.base == FixedPointQuantizer::Base::Relu) base = relu(v);
    else if (q.base == FixedPointQuantizer::Base::ReluBounded) base = v <= q.bound ? relu(v) : q.bound;
    y[i] = q.useSte ? steOutput(base, xq, q.qnoise) : blendOutput(base, xq, q.qnoise);
  }
}

}  // namespace qkw
