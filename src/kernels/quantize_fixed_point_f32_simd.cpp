#include "kernels/quantize_fixed_point_f32_simd.h"

#include <algorithm>
#include <xsimd/xsimd.hpp>

namespace qkw {

namespace {

using FloatBatch = xsimd::batch<float>;
constexpr int64_t kLanes = static_cast<int64_t>(FloatBatch::size);

template <FixedPointQuantizer::Base kBase>
void quantizeAll(const FixedPointQuantizer& q, const float* x, int64_t n, float* y) {
  const FloatBatch m(q.m), mi(q.mi), lo(q.lo), hi(q.hi), alpha(q.alpha), cap(q.cap), bound(q.bound);
  const FloatBatch qnoise(q.qnoise), keep(1.0f - q.qnoise), zero(0.0f);
  auto one = [&](const FloatBatch& v) {
    const FloatBatch p = (v * m) / mi;
    // round_through(p) = p + (-p + round(p)), literal so that inf becomes NaN as in TF.
    const FloatBatch t = (-p) + xsimd::nearbyint(p);
    FloatBatch c = p + t;
    c = xsimd::select(c < lo, lo, c);
    c = xsimd::select(c > hi, hi, c);
    FloatBatch xq = (mi * c) / m;
    if (q.scaled) xq = alpha * xq;
    if (q.capped) xq = xsimd::select(xq <= cap, xq, cap);
    FloatBatch base = v;
    if (kBase != FixedPointQuantizer::Base::Input) {
      // relu: v > 0 ? v : (NaN ? v : 0), i.e. 0 exactly where v <= 0.
      base = xsimd::select(v <= zero, zero, v);
      if (kBase == FixedPointQuantizer::Base::ReluBounded) base = xsimd::select(v <= bound, base, bound);
    }
    if (q.useSte) {
      const FloatBatch d = (-base) + xq;
      return base + qnoise * d;
    }
    return keep * base + qnoise * xq;
  };
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) one(FloatBatch::load_unaligned(x + i)).store_unaligned(y + i);
  if (i < n) {
    // The tail goes through the same vector code in a zero-padded buffer.
    alignas(16) float buffer[kLanes] = {};
    std::copy(x + i, x + n, buffer);
    one(FloatBatch::load_unaligned(buffer)).store_unaligned(buffer);
    std::copy(buffer, buffer + (n - i), y + i);
  }
}

}  // namespace

void quantize_fixed_point_f32_simd(const FixedPointQuantizer& q, const float* x, int64_t n, float* y) {
  switch (q.base) {
    case FixedPointQuantizer::Base::Input: quantizeAll<FixedPointQuantizer::Base::Input>(q, x, n, y); break;
    case FixedPointQuantizer::Base::Relu: quantizeAll<FixedPointQuantizer::Base::Relu>(q, x, n, y); break;
    case FixedPointQuantizer::Base::ReluBounded: quantizeAll<FixedPointQuantizer::Base::ReluBounded>(q, x, n, y); break;
  }
}

}  // namespace qkw
