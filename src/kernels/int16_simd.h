// Internal building block of the integer kernels: the handful of 128-bit integer operations they
// use, as wasm SIMD (wasm_simd128.h) under __wasm_simd128__ and as the SSE4.1 instructions with
// the same lane semantics natively, so the native tests run the very algorithm the .wasm runs.
//   dot_i16x8(a, b)   lane i = a[2i]*b[2i] + a[2i+1]*b[2i+1]   (i32x4.dot_i16x8_s / pmaddwd)
//   mul_lo/hi_i16x8   lane i = a[i]*b[i] (+4), int32          (i32x4.extmul_*_i16x8_s / pmovsx+pmulld)
// Exact integer arithmetic: any order of these gives the same int32 results.
// Not a public kernel.
#pragma once
#include <cstdint>
#include <cstring>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#else
#include <smmintrin.h>
#endif

namespace qkw::i16simd {

#ifdef __wasm_simd128__
constexpr const char* kIsa = "wasmsimd";
using V = v128_t;
inline V zero() { return wasm_i32x4_splat(0); }
inline V load(const void* p) { return wasm_v128_load(p); }
inline void store(void* p, V v) { wasm_v128_store(p, v); }
inline V splat32(const void* p) { return wasm_v128_load32_splat(p); }
inline V add32(V a, V b) { return wasm_i32x4_add(a, b); }
inline V dot16(V a, V b) { return wasm_i32x4_dot_i16x8(a, b); }
inline V mulLo16(V a, V b) { return wasm_i32x4_extmul_low_i16x8(a, b); }
inline V mulHi16(V a, V b) { return wasm_i32x4_extmul_high_i16x8(a, b); }
inline V toF32(V a) { return wasm_f32x4_convert_i32x4(a); }
inline V mulF32(V a, V b) { return wasm_f32x4_mul(a, b); }
inline V addF32(V a, V b) { return wasm_f32x4_add(a, b); }
inline V loadF32(const float* p) { return wasm_v128_load(p); }
inline void storeF32(float* p, V v) { wasm_v128_store(p, v); }
#else
constexpr const char* kIsa = "sse41";
using V = __m128i;
inline V zero() { return _mm_setzero_si128(); }
inline V load(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
inline void store(void* p, V v) { _mm_storeu_si128(static_cast<__m128i*>(p), v); }
inline V splat32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm_set1_epi32(v);
}
inline V add32(V a, V b) { return _mm_add_epi32(a, b); }
inline V dot16(V a, V b) { return _mm_madd_epi16(a, b); }
inline V mulLo16(V a, V b) { return _mm_mullo_epi32(_mm_cvtepi16_epi32(a), _mm_cvtepi16_epi32(b)); }
inline V mulHi16(V a, V b) {
  return _mm_mullo_epi32(_mm_cvtepi16_epi32(_mm_unpackhi_epi64(a, a)), _mm_cvtepi16_epi32(_mm_unpackhi_epi64(b, b)));
}
inline V toF32(V a) { return _mm_castps_si128(_mm_cvtepi32_ps(a)); }
inline V mulF32(V a, V b) { return _mm_castps_si128(_mm_mul_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b))); }
inline V addF32(V a, V b) { return _mm_castps_si128(_mm_add_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b))); }
inline V loadF32(const float* p) { return _mm_castps_si128(_mm_loadu_ps(p)); }
inline void storeF32(float* p, V v) { _mm_storeu_ps(p, _mm_castsi128_ps(v)); }
#endif

}  // namespace qkw::i16simd

namespace qkw::i16simd {

// codes = trunc(x * invStep) where x == codes * step exactly and lo <= codes <= hi; `ok` lanes
// are all-ones where that holds. 4 lanes.
#ifdef __wasm_simd128__
inline V codesOf(V x, V invStep, V step, V* ok, V lo, V hi) {
  const V c = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_mul(x, invStep));
  const V back = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(c), step);
  *ok = wasm_v128_and(wasm_f32x4_eq(back, x), wasm_v128_and(wasm_i32x4_ge(c, lo), wasm_i32x4_le(c, hi)));
  return c;
}
inline V packI32ToI16(V a, V b) { return wasm_i16x8_narrow_i32x4(a, b); }
inline bool allOnes(V m) { return wasm_i32x4_all_true(m); }
inline V andV(V a, V b) { return wasm_v128_and(a, b); }
inline V splatF32(float v) { return wasm_f32x4_splat(v); }
inline V splatI32(int32_t v) { return wasm_i32x4_splat(v); }
#else
inline V codesOf(V x, V invStep, V step, V* ok, V lo, V hi) {
  const __m128 xf = _mm_castsi128_ps(x);
  const V c = _mm_cvttps_epi32(_mm_mul_ps(xf, _mm_castsi128_ps(invStep)));
  const __m128 back = _mm_mul_ps(_mm_cvtepi32_ps(c), _mm_castsi128_ps(step));
  const V inRange = _mm_andnot_si128(_mm_or_si128(_mm_cmplt_epi32(c, lo), _mm_cmpgt_epi32(c, hi)), _mm_set1_epi32(-1));
  *ok = _mm_and_si128(_mm_castps_si128(_mm_cmpeq_ps(back, xf)), inRange);
  return c;
}
inline V packI32ToI16(V a, V b) { return _mm_packs_epi32(a, b); }
inline bool allOnes(V m) { return _mm_movemask_epi8(m) == 0xFFFF; }
inline V andV(V a, V b) { return _mm_and_si128(a, b); }
inline V splatF32(float v) { return _mm_castps_si128(_mm_set1_ps(v)); }
inline V splatI32(int32_t v) { return _mm_set1_epi32(v); }
#endif

}  // namespace qkw::i16simd
