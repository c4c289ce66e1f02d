#include "kernels/quantize_fixed_point_f32_simd.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <xsimd/xsimd.hpp>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

namespace qkw {

namespace {

using FloatBatch = xsimd::batch<float>;
constexpr int64_t kLanes = static_cast<int64_t>(FloatBatch::size);

// 1 / d when d is a power of two whose reciprocal is a normal float32. Then a / d == a * (1 / d)
// bit for bit for every float a: both are the exact real a * 2^-k correctly rounded (overflow,
// subnormal results, infinities and NaN included), and the multiply is several times cheaper.
bool exactReciprocal(float d, float* inv) {
  int e = 0;
  if (std::frexp(d, &e) != 0.5f) return false;  // not a positive power of two (or not finite)
  const float r = 1.0f / d;
  if (!(r >= std::numeric_limits<float>::min()) || std::isinf(r)) return false;
  *inv = r;
  return true;
}

// The clip's two selects as one instruction each, with their exact semantics (NaN and equal
// values keep c): wasm's pseudo-min/max are defined as these selects (pmax(a, b) = a < b ? b : a);
// SSE's maxps(a, b) = a > b ? a : b and minps(a, b) = a < b ? a : b. (Emscripten's SSE emulation
// lowers maxps to compare + bitselect, hence the wasm intrinsics.)
inline FloatBatch clipBelow(const FloatBatch& c, const FloatBatch& lo) {
#ifdef __wasm_simd128__
  return FloatBatch(static_cast<__m128>(wasm_f32x4_pmax(static_cast<v128_t>(static_cast<__m128>(c)),
                                                        static_cast<v128_t>(static_cast<__m128>(lo)))));
#else
  return FloatBatch(_mm_max_ps(lo, c));
#endif
}
inline FloatBatch clipAbove(const FloatBatch& c, const FloatBatch& hi) {
#ifdef __wasm_simd128__
  return FloatBatch(static_cast<__m128>(wasm_f32x4_pmin(static_cast<v128_t>(static_cast<__m128>(c)),
                                                        static_cast<v128_t>(static_cast<__m128>(hi)))));
#else
  return FloatBatch(_mm_min_ps(hi, c));
#endif
}

// kPlain: the common quantizer (no alpha, no cap, straight-through with qnoise 1), whose loop
// then has no per-flag selects and no multiply by qnoise (1 * d == d for every d).
template <FixedPointQuantizer::Base kBase, bool kPlain>
void quantizeAll(const FixedPointQuantizer& q, const float* x, int64_t n, float* y) {
  const FloatBatch m(q.m), mi(q.mi), lo(q.lo), hi(q.hi), alpha(q.alpha), cap(q.cap), bound(q.bound);
  const FloatBatch qnoise(q.qnoise), keep(1.0f - q.qnoise), zero(0.0f);
  float invMScalar = 1.0f, invMiScalar = 1.0f;
  exactReciprocal(q.m, &invMScalar);  // checked by the caller
  exactReciprocal(q.mi, &invMiScalar);
  const FloatBatch invM(invMScalar), invMi(invMiScalar);
  auto one = [&](const FloatBatch& v) {
    const FloatBatch p = (v * m) * invMi;  // (v * m) / mi
    // round_through(p) = p + (-p + round(p)), literal so that inf becomes NaN as in TF.
    const FloatBatch t = (-p) + xsimd::nearbyint(p);
    FloatBatch c = p + t;
    c = clipBelow(c, lo);  // c < lo ? lo : c
    c = clipAbove(c, hi);  // c > hi ? hi : c
    FloatBatch xq = (mi * c) * invM;  // (mi * c) / m
    if (!kPlain && q.scaled) xq = alpha * xq;
    if (!kPlain && q.capped) xq = xsimd::select(xq <= cap, xq, cap);
    FloatBatch base = v;
    if (kBase != FixedPointQuantizer::Base::Input) {
      // relu: v > 0 ? v : (NaN ? v : 0), i.e. 0 exactly where v <= 0. In the plain loop as
      // pmax(v, 0) = v < 0 ? 0 : v, which differs only for v = -0 (base -0, not +0); the output
      // does not: there c = +0 (round_through never gives -0), so xq = +0 and
      // y = base + ((-base) + xq) = +0 for either zero.
      base = kPlain ? clipBelow(v, zero) : xsimd::select(v <= zero, zero, v);
      if (kBase == FixedPointQuantizer::Base::ReluBounded) base = xsimd::select(v <= bound, base, bound);
    }
    if (kPlain) return base + ((-base) + xq);
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
  float unused;
  // m and mi are powers of two for every quantizer that builds a FixedPointQuantizer; anything
  // else (reciprocal not exact) takes the scalar specification.
  if (!exactReciprocal(q.m, &unused) || !exactReciprocal(q.mi, &unused)) {
    quantize_fixed_point_f32_reference(q, x, n, y);
    return;
  }
  using B = FixedPointQuantizer::Base;
  if (!q.scaled && !q.capped && q.useSte && q.qnoise == 1.0f) {
    switch (q.base) {
      case B::Input: quantizeAll<B::Input, true>(q, x, n, y); break;
      case B::Relu: quantizeAll<B::Relu, true>(q, x, n, y); break;
      case B::ReluBounded: quantizeAll<B::ReluBounded, true>(q, x, n, y); break;
    }
    return;
  }
  switch (q.base) {
    case B::Input: quantizeAll<B::Input, false>(q, x, n, y); break;
    case B::Relu: quantizeAll<B::Relu, false>(q, x, n, y); break;
    case B::ReluBounded: quantizeAll<B::ReluBounded, false>(q, x, n, y); break;
  }
}

}  // namespace qkw
