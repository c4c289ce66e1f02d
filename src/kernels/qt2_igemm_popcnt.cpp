#include "kernels/qt2_igemm_popcnt.h"

#include <algorithm>
#include <cstring>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#else
#include <smmintrin.h>
#endif

namespace qkw {

namespace {

// The handful of 128-bit operations the kernels use, as wasm SIMD and as SSE4.1 with the same
// lane semantics (native tests run the algorithm the .wasm runs). popcnt8: per-byte popcount
// (i8x16.popcnt; natively the usual pshufb nibble table).
#ifdef __wasm_simd128__
using V = v128_t;
inline V zero() { return wasm_i32x4_splat(0); }
inline V load(const void* p) { return wasm_v128_load(p); }
inline void store(void* p, V v) { wasm_v128_store(p, v); }
inline V splat8(const uint8_t* p) { return wasm_v128_load8_splat(p); }
inline V andV(V a, V b) { return wasm_v128_and(a, b); }
inline V orV(V a, V b) { return wasm_v128_or(a, b); }
inline V xorV(V a, V b) { return wasm_v128_xor(a, b); }
inline V popcnt8(V a) { return wasm_i8x16_popcnt(a); }
inline V add8(V a, V b) { return wasm_i8x16_add(a, b); }
inline V u8LoTo16(V a) { return wasm_u16x8_extend_low_u8x16(a); }
inline V u8HiTo16(V a) { return wasm_u16x8_extend_high_u8x16(a); }
inline V sub16(V a, V b) { return wasm_i16x8_sub(a, b); }
inline V twice16(V a) { return wasm_i16x8_add(a, a); }
inline V i16LoTo32(V a) { return wasm_i32x4_extend_low_i16x8(a); }
inline V i16HiTo32(V a) { return wasm_i32x4_extend_high_i16x8(a); }
inline V add32(V a, V b) { return wasm_i32x4_add(a, b); }
inline V sub32(V a, V b) { return wasm_i32x4_sub(a, b); }
inline V splat32(int32_t v) { return wasm_i32x4_splat(v); }
inline V toF32(V a) { return wasm_f32x4_convert_i32x4(a); }
inline V mulF32(V a, V b) { return wasm_f32x4_mul(a, b); }
inline V addF32(V a, V b) { return wasm_f32x4_add(a, b); }
inline V eqF32(V a, V b) { return wasm_f32x4_eq(a, b); }
inline V splatF32(float v) { return wasm_f32x4_splat(v); }
inline int mask4(V m) { return static_cast<int>(wasm_i32x4_bitmask(m)); }
#else
using V = __m128i;
inline V zero() { return _mm_setzero_si128(); }
inline V load(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
inline void store(void* p, V v) { _mm_storeu_si128(static_cast<__m128i*>(p), v); }
inline V splat8(const uint8_t* p) { return _mm_set1_epi8(static_cast<char>(*p)); }
inline V andV(V a, V b) { return _mm_and_si128(a, b); }
inline V orV(V a, V b) { return _mm_or_si128(a, b); }
inline V xorV(V a, V b) { return _mm_xor_si128(a, b); }
inline V popcnt8(V a) {
  const V table = _mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4), low = _mm_set1_epi8(0x0f);
  return _mm_add_epi8(_mm_shuffle_epi8(table, _mm_and_si128(a, low)),
                      _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(a, 4), low)));
}
inline V add8(V a, V b) { return _mm_add_epi8(a, b); }
inline V u8LoTo16(V a) { return _mm_cvtepu8_epi16(a); }
inline V u8HiTo16(V a) { return _mm_cvtepu8_epi16(_mm_srli_si128(a, 8)); }
inline V sub16(V a, V b) { return _mm_sub_epi16(a, b); }
inline V twice16(V a) { return _mm_add_epi16(a, a); }
inline V i16LoTo32(V a) { return _mm_cvtepi16_epi32(a); }
inline V i16HiTo32(V a) { return _mm_cvtepi16_epi32(_mm_srli_si128(a, 8)); }
inline V add32(V a, V b) { return _mm_add_epi32(a, b); }
inline V sub32(V a, V b) { return _mm_sub_epi32(a, b); }
inline V splat32(int32_t v) { return _mm_set1_epi32(v); }
inline V toF32(V a) { return _mm_castps_si128(_mm_cvtepi32_ps(a)); }
inline V mulF32(V a, V b) { return _mm_castps_si128(_mm_mul_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b))); }
inline V addF32(V a, V b) { return _mm_castps_si128(_mm_add_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b))); }
inline V eqF32(V a, V b) { return _mm_castps_si128(_mm_cmpeq_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b))); }
inline V splatF32(float v) { return _mm_castps_si128(_mm_set1_ps(v)); }
inline int mask4(V m) { return _mm_movemask_ps(_mm_castsi128_ps(m)); }
#endif

constexpr int kMR = 4;
// u8 lanes hold the per-byte counts (<= 8 each) of at most 31 bytes: 248 < 256.
constexpr int kFlushEvery = 31;

// acc[r][0..15] += p[r] - 2 q[r] (u8 counts of 16 lanes), exactly.
template <int MR, bool kBinary>
inline void flush(V* p, V* q, int32_t (*acc)[kQt2GemmNR]) {
  for (int r = 0; r < MR; ++r) {
    V lo = twice16(u8LoTo16(q[r])), hi = twice16(u8HiTo16(q[r]));
    if (kBinary) {
      lo = sub16(zero(), lo), hi = sub16(zero(), hi);
    } else {
      lo = sub16(u8LoTo16(p[r]), lo), hi = sub16(u8HiTo16(p[r]), hi);
      p[r] = zero();
    }
    q[r] = zero();
    int32_t* a = acc[r];
    store(a, add32(load(a), i16LoTo32(lo)));
    store(a + 4, add32(load(a + 4), i16HiTo32(lo)));
    store(a + 8, add32(load(a + 8), i16LoTo32(hi)));
    store(a + 12, add32(load(a + 12), i16HiTo32(hi)));
  }
}

// MR rows x 16 channels. kBinary: the qb1 xor loop (binary weights, zero-free rows, no padding
// tap); else the qt2 and loop.
template <int MR, bool kBinary>
inline void tile(const uint8_t* base, const int32_t* offsets, int64_t ks, int64_t kcb, int32_t kTerms,
                 int32_t zeroOffset, const uint8_t* w, const int32_t* tapSums, int64_t nr, const float* scale,
                 const float* bias, float* y, int64_t ldy) {
  alignas(16) int32_t acc[MR][kQt2GemmNR];
  std::memset(acc, 0, sizeof(acc));
  V p[MR], q[MR];
  for (int r = 0; r < MR; ++r) p[r] = q[r] = zero();
  int pending = 0;
  for (int64_t t = 0; t < ks; ++t) {
    const uint8_t* a[MR];
    for (int r = 0; r < MR; ++r) a[r] = base + offsets[r * ks + t];
    for (int64_t k = 0; k < kcb; ++k, w += 2 * kQt2GemmNR) {
      const V wNeg = load(w + kQt2GemmNR);
      if (kBinary) {
        for (int r = 0; r < MR; ++r) q[r] = add8(q[r], popcnt8(xorV(splat8(a[r] + kcb + k), wNeg)));
      } else {
        const V wNz = load(w);
        for (int r = 0; r < MR; ++r) {
          const V m = andV(splat8(a[r] + k), wNz);
          p[r] = add8(p[r], popcnt8(m));
          q[r] = add8(q[r], popcnt8(andV(m, xorV(splat8(a[r] + kcb + k), wNeg))));
        }
      }
      if (++pending == kFlushEvery) {
        flush<MR, kBinary>(p, q, acc);
        pending = 0;
      }
    }
  }
  if (pending) flush<MR, kBinary>(p, q, acc);
  // The xor loop read the zero pixel's neg plane (0) as +1 codes: a padding tap t added
  // sum_k w[t][k][n] = tapSums[t][n], which comes off again here.
  if (kBinary && zeroOffset >= 0)
    for (int r = 0; r < MR; ++r)
      for (int64_t t = 0; t < ks; ++t)
        if (offsets[r * ks + t] == zeroOffset)
          for (int i = 0; i < kQt2GemmNR; i += 4)
            store(acc[r] + i, sub32(load(acc[r] + i), load(tapSums + t * kQt2GemmNR + i)));
  const V terms = splat32(kBinary ? kTerms : 0);
  for (int r = 0; r < MR; ++r) {
    alignas(16) float out[kQt2GemmNR];
    for (int i = 0; i < kQt2GemmNR; i += 4) {
      V f = mulF32(toF32(add32(load(acc[r] + i), terms)), load(scale + i));
      if (bias) f = addF32(f, load(bias + i));
      store(out + i, f);
    }
    std::copy(out, out + nr, y + r * ldy);
  }
}

void run(bool binary, int64_t m, const uint8_t* base, const int32_t* offsets, int32_t zeroOffset,
         const Qt2PackedWeights& w, const float* scale, const float* bias, float* y, int64_t ldy) {
  const int64_t ks = w.ks, kcb = w.kcb;
  const int64_t blockBytes = ks * kcb * 2 * kQt2GemmNR;
  const auto kTerms = static_cast<int32_t>(ks * w.kcIn);
  alignas(16) float scaleTail[kQt2GemmNR], biasTail[kQt2GemmNR];
  for (int64_t n0 = 0; n0 < w.n; n0 += kQt2GemmNR) {
    const int64_t nr = std::min<int64_t>(kQt2GemmNR, w.n - n0);
    const float* sc = scale + n0;
    const float* bi = bias ? bias + n0 : nullptr;
    if (nr < kQt2GemmNR) {  // the epilogue loads 16 lanes
      std::fill(scaleTail, scaleTail + kQt2GemmNR, 1.0f);
      std::fill(biasTail, biasTail + kQt2GemmNR, 0.0f);
      std::copy(sc, sc + nr, scaleTail);
      if (bi) std::copy(bi, bi + nr, biasTail);
      sc = scaleTail;
      bi = bi ? biasTail : nullptr;
    }
    const uint8_t* wb = w.data.data() + (n0 / kQt2GemmNR) * blockBytes;
    const int32_t* sums = w.tapSums.data() + (n0 / kQt2GemmNR) * ks * kQt2GemmNR;
    int64_t r = 0;
    auto step = [&](auto rowsTag) {
      constexpr int R = decltype(rowsTag)::value;
      const int32_t* off = offsets + r * ks;
      float* yr = y + r * ldy + n0;
      if (binary)
        tile<R, true>(base, off, ks, kcb, kTerms, zeroOffset, wb, sums, nr, sc, bi, yr, ldy);
      else
        tile<R, false>(base, off, ks, kcb, kTerms, zeroOffset, wb, sums, nr, sc, bi, yr, ldy);
      r += R;
    };
    // 4-row tiles, then single rows (a 2-row variant costs ~2 KB of wasm for the last rows only).
    while (r + kMR <= m) step(std::integral_constant<int, kMR>());
    while (r < m) step(std::integral_constant<int, 1>());
  }
}

}  // namespace

void qt2_igemm_4x16c8__popcnt(int64_t m, const uint8_t* base, const int32_t* offsets, int32_t zeroOffset,
                              bool inputBinary, const Qt2PackedWeights& w, const float* scale, const float* bias,
                              float* y, int64_t ldy) {
  run(w.binary && inputBinary, m, base, offsets, zeroOffset, w, scale, bias, y, ldy);
}

void qt2_igemm_4x16c8__and_popcnt(int64_t m, const uint8_t* base, const int32_t* offsets, const Qt2PackedWeights& w,
                                  const float* scale, const float* bias, float* y, int64_t ldy) {
  run(false, m, base, offsets, -1, w, scale, bias, y, ldy);
}

void qb1_igemm_4x16c8__xor_popcnt(int64_t m, const uint8_t* base, const int32_t* offsets, int32_t zeroOffset,
                                  const Qt2PackedWeights& w, const float* scale, const float* bias, float* y,
                                  int64_t ldy) {
  run(true, m, base, offsets, zeroOffset, w, scale, bias, y, ldy);
}

bool f32_to_qt2_planes(const float* x, int64_t pixels, int64_t channels, float step, int32_t lo, int32_t hi,
                       uint8_t* planes, bool* anyZero) {
  const int64_t kcb = (channels + 7) / 8;
  const V vPos = splatF32(step), vNeg = splatF32(-step), vZero = splatF32(0.0f);
  const V allowPos = splat32(hi >= 1 ? -1 : 0), allowNeg = splat32(lo <= -1 ? -1 : 0),
          allowZero = splat32(lo <= 0 && hi >= 0 ? -1 : 0);
  V bad = zero(), zeros = zero();
  bool zeroSeen = false;
  for (int64_t p = 0; p < pixels; ++p) {
    const float* xp = x + p * channels;
    uint8_t* nz = planes + p * 2 * kcb;
    uint8_t* neg = nz + kcb;
    int64_t k = 0;
    for (; 8 * k + 8 <= channels; ++k) {
      const V a = load(xp + 8 * k), b = load(xp + 8 * k + 4);
      const V pa = eqF32(a, vPos), na = eqF32(a, vNeg), za = eqF32(a, vZero);
      const V pb = eqF32(b, vPos), nb = eqF32(b, vNeg), zb = eqF32(b, vZero);
      const V okA = orV(orV(andV(pa, allowPos), andV(na, allowNeg)), andV(za, allowZero));
      const V okB = orV(orV(andV(pb, allowPos), andV(nb, allowNeg)), andV(zb, allowZero));
      bad = orV(bad, xorV(andV(okA, okB), splat32(-1)));
      zeros = orV(zeros, orV(za, zb));
      nz[k] = static_cast<uint8_t>(mask4(orV(pa, na)) | (mask4(orV(pb, nb)) << 4));
      neg[k] = static_cast<uint8_t>(mask4(na) | (mask4(nb) << 4));
    }
    for (; k < kcb; ++k) {  // the last 1..7 channels
      uint8_t z = 0, n = 0;
      for (int64_t bit = 0; 8 * k + bit < channels; ++bit) {
        const float v = xp[8 * k + bit];
        if (v == step && hi >= 1) {
          z |= static_cast<uint8_t>(1u << bit);
        } else if (v == -step && lo <= -1) {
          z |= static_cast<uint8_t>(1u << bit);
          n |= static_cast<uint8_t>(1u << bit);
        } else if (v == 0.0f && lo <= 0 && hi >= 0) {
          zeroSeen = true;
        } else {
          return false;
        }
      }
      nz[k] = z;
      neg[k] = n;
    }
  }
  if (mask4(bad) != 0) return false;
  *anyZero = zeroSeen || mask4(zeros) != 0;
  return true;
}

}  // namespace qkw
