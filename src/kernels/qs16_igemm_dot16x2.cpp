#include "kernels/qs16_igemm_dot16x2.h"

#include <algorithm>

#include "kernels/int16_simd.h"

namespace qkw {

using namespace i16simd;

const char* qs16KernelIsa() { return kIsa; }

Qs16PackedWeights qs16_pack_igemm_weights(const int16_t* codes, int64_t ks, int64_t kcIn, int64_t n) {
  Qs16PackedWeights p;
  p.n = n;
  p.ks = ks;
  p.kc = (kcIn + 1) / 2 * 2;
  const int64_t blocks = (n + kQs16GemmNR - 1) / kQs16GemmNR;
  p.data.assign(static_cast<size_t>(blocks * ks * p.kc * kQs16GemmNR), 0);
  int16_t* out = p.data.data();
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t t = 0; t < ks; ++t)
      for (int64_t k = 0; k < p.kc; k += 2, out += 2 * kQs16GemmNR)
        for (int64_t j = 0; j < kQs16GemmNR; ++j) {
          const int64_t col = b * kQs16GemmNR + j;
          if (col >= n) continue;
          for (int64_t h = 0; h < 2; ++h)
            if (k + h < kcIn) out[2 * j + h] = codes[(t * kcIn + k + h) * n + col];
        }
  return p;
}

namespace {

// Output rows per tile: 4 rows x 2 vectors = 8 accumulators + 2 weight vectors + 1 broadcast fit
// the 16 xmm registers V8 maps v128 locals to (6 rows measured 25% slower in V8: spills).
constexpr int kQs16GemmMR = 4;

// MR rows x 8 channels. Row r's tap-t input (kc codes) is base + offsets[r * ks + t].
template <int MR>
inline void tile(const int16_t* base, const int32_t* offsets, int64_t ks, int64_t kc, const int16_t* w, int64_t nr,
                 const float* scale, const float* bias, float* y, int64_t ldy) {
  V acc0[MR], acc1[MR];
  for (int r = 0; r < MR; ++r) acc0[r] = acc1[r] = zero();
  for (int64_t t = 0; t < ks; ++t) {
    const int16_t* a[MR];
    for (int r = 0; r < MR; ++r) a[r] = base + offsets[r * ks + t];
    for (int64_t k = 0; k < kc; k += 2, w += 2 * kQs16GemmNR) {
      const V b0 = load(w), b1 = load(w + 8);
      for (int r = 0; r < MR; ++r) {
        const V va = splat32(a[r] + k);
        acc0[r] = add32(acc0[r], dot16(va, b0));
        acc1[r] = add32(acc1[r], dot16(va, b1));
      }
    }
  }
  const V s0 = loadF32(scale), s1 = loadF32(scale + 4);
  V bias0 = zero(), bias1 = zero();
  if (bias) bias0 = loadF32(bias), bias1 = loadF32(bias + 4);
  for (int r = 0; r < MR; ++r) {
    V f0 = mulF32(toF32(acc0[r]), s0), f1 = mulF32(toF32(acc1[r]), s1);
    if (bias) f0 = addF32(f0, bias0), f1 = addF32(f1, bias1);
    if (nr == kQs16GemmNR) {
      storeF32(y + r * ldy, f0);
      storeF32(y + r * ldy + 4, f1);
    } else {
      alignas(16) float tmp[kQs16GemmNR];
      storeF32(tmp, f0);
      storeF32(tmp + 4, f1);
      std::copy(tmp, tmp + nr, y + r * ldy);
    }
  }
}

}  // namespace

void qs16_igemm_4x8c2__dot16x2(int64_t m, const int16_t* base, const int32_t* offsets, const Qs16PackedWeights& w,
                               const float* scale, const float* bias, float* y, int64_t ldy) {
  const int64_t ks = w.ks, kc = w.kc;
  const int64_t blockWeights = ks * kc * kQs16GemmNR;
  // Channel blocks outside, rows inside: a block's weights (ks*kc*8 int16) stay in L1 while all
  // rows pass over them.
  alignas(16) float scaleTail[kQs16GemmNR], biasTail[kQs16GemmNR];
  for (int64_t n0 = 0; n0 < w.n; n0 += kQs16GemmNR) {
    const int64_t nr = std::min<int64_t>(kQs16GemmNR, w.n - n0);
    const float* sc = scale + n0;
    const float* bi = bias ? bias + n0 : nullptr;
    if (nr < kQs16GemmNR) {  // the epilogue loads 8 lanes
      std::fill(scaleTail, scaleTail + kQs16GemmNR, 1.0f);
      std::fill(biasTail, biasTail + kQs16GemmNR, 0.0f);
      std::copy(sc, sc + nr, scaleTail);
      if (bi) std::copy(bi, bi + nr, biasTail);
      sc = scaleTail;
      bi = bi ? biasTail : nullptr;
    }
    const int16_t* wb = w.data.data() + (n0 / kQs16GemmNR) * blockWeights;
    int64_t r = 0;
    for (; r + kQs16GemmMR <= m; r += kQs16GemmMR)
      tile<kQs16GemmMR>(base, offsets + r * ks, ks, kc, wb, nr, sc, bi, y + r * ldy + n0, ldy);
    for (; r + 2 <= m; r += 2) tile<2>(base, offsets + r * ks, ks, kc, wb, nr, sc, bi, y + r * ldy + n0, ldy);
    if (r < m) tile<1>(base, offsets + r * ks, ks, kc, wb, nr, sc, bi, y + r * ldy + n0, ldy);
  }
}

bool f32_to_qs16_codes__simd(const float* x, int64_t pixels, int64_t channels, int64_t paddedChannels, float step,
                             float invStep, int32_t lo, int32_t hi, int16_t* codes) {
  const V vInv = splatF32(invStep), vStep = splatF32(step), vLo = splatI32(lo), vHi = splatI32(hi);
  auto scalar = [&](float v, int16_t* out) {
    const float c = v * invStep;
    if (!(c >= static_cast<float>(lo) && c <= static_cast<float>(hi))) return false;
    const int32_t ci = static_cast<int32_t>(c);
    if (static_cast<float>(ci) * step != v) return false;
    *out = static_cast<int16_t>(ci);
    return true;
  };
  if (channels == paddedChannels) {  // one contiguous run
    const int64_t total = pixels * channels;
    int64_t i = 0;
    V ok = splatI32(-1);
    for (; i + 8 <= total; i += 8) {
      V ok0, ok1;
      const V c0 = codesOf(loadF32(x + i), vInv, vStep, &ok0, vLo, vHi);
      const V c1 = codesOf(loadF32(x + i + 4), vInv, vStep, &ok1, vLo, vHi);
      ok = andV(ok, andV(ok0, ok1));
      store(codes + i, packI32ToI16(c0, c1));
    }
    if (!allOnes(ok)) return false;
    for (; i < total; ++i)
      if (!scalar(x[i], codes + i)) return false;
    return true;
  }
  for (int64_t p = 0; p < pixels; ++p) {
    const float* xp = x + p * channels;
    int16_t* cp = codes + p * paddedChannels;
    int64_t c = 0;
    V ok = splatI32(-1);
    for (; c + 8 <= channels; c += 8) {
      V ok0, ok1;
      const V c0 = codesOf(loadF32(xp + c), vInv, vStep, &ok0, vLo, vHi);
      const V c1 = codesOf(loadF32(xp + c + 4), vInv, vStep, &ok1, vLo, vHi);
      ok = andV(ok, andV(ok0, ok1));
      store(cp + c, packI32ToI16(c0, c1));
    }
    if (!allOnes(ok)) return false;
    for (; c < channels; ++c)
      if (!scalar(xp[c], cp + c)) return false;
    for (; c < paddedChannels; ++c) cp[c] = 0;
  }
  return true;
}

void qs16_dwconv2d_8c__extmul(int64_t pixels, const int16_t* base, const int32_t* offsets, int64_t ks,
                              const int16_t* w, int64_t channels, const float* scale, const float* bias, float* y) {
  for (int64_t p = 0; p < pixels; ++p) {
    const int32_t* off = offsets + p * ks;
    float* out = y + p * channels;
    int64_t c = 0;
    for (; c + 8 <= channels; c += 8) {
      V lo = zero(), hi = zero();
      for (int64_t t = 0; t < ks; ++t) {
        const V a = load(base + off[t] + c), b = load(w + t * channels + c);
        lo = add32(lo, mulLo16(a, b));
        hi = add32(hi, mulHi16(a, b));
      }
      V f0 = mulF32(toF32(lo), loadF32(scale + c)), f1 = mulF32(toF32(hi), loadF32(scale + c + 4));
      if (bias) f0 = addF32(f0, loadF32(bias + c)), f1 = addF32(f1, loadF32(bias + c + 4));
      storeF32(out + c, f0);
      storeF32(out + c + 4, f1);
    }
    for (; c < channels; ++c) {
      int32_t acc = 0;
      for (int64_t t = 0; t < ks; ++t) acc += int32_t(base[off[t] + c]) * int32_t(w[t * channels + c]);
      float v = static_cast<float>(acc) * scale[c];
      if (bias) v = v + bias[c];
      out[c] = v;
    }
  }
}

}  // namespace qkw
