#include "integer_kernels_self_test.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "kernels/conv2d_f32_reference.h"
#include "kernels/qs16_igemm_dot16x2.h"
#include "kernels/qt2_igemm_popcnt.h"
#include "kernels/quantize_fixed_point_f32_reference.h"
#include "kernels/quantize_fixed_point_f32_simd.h"

namespace qkw {

namespace {

constexpr float kSentinel = -12345.678f;

struct Rng {
  std::mt19937 gen;
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); }
  bool coin() { return uniform(0, 1) == 1; }
};

// A geometry with random sizes, strides, dilations and padding whose output is not empty.
Conv2DGeometry randomGeometry(Rng& r) {
  for (;;) {
    Conv2DGeometry g;
    g.inH = r.uniform(1, 9);
    g.inW = r.uniform(1, 11);
    const bool pointwise = r.uniform(0, 3) == 0;
    g.kH = pointwise ? 1 : r.uniform(1, 3);
    g.kW = pointwise ? 1 : r.uniform(1, 5);
    g.strideH = r.uniform(1, 2);
    g.strideW = r.uniform(1, 3);
    g.dilationH = r.uniform(1, 2);
    g.dilationW = r.uniform(1, 2);
    if (r.coin()) {
      g.outH = samePadding(g.inH, g.kH, g.strideH, g.dilationH, &g.padTop);
      g.outW = samePadding(g.inW, g.kW, g.strideW, g.dilationW, &g.padLeft);
    } else {
      g.outH = validOutputLength(g.inH, g.kH, g.strideH, g.dilationH);
      g.outW = validOutputLength(g.inW, g.kW, g.strideW, g.dilationW);
    }
    if (g.outH > 0 && g.outW > 0) return g;
  }
}

std::string describe(const char* kernel, const Conv2DGeometry& g, int64_t c, int64_t n) {
  return std::string(kernel) + " in " + std::to_string(g.inH) + "x" + std::to_string(g.inW) + "x" + std::to_string(c) +
         " k " + std::to_string(g.kH) + "x" + std::to_string(g.kW) + " s " + std::to_string(g.strideH) + "," +
         std::to_string(g.strideW) + " d " + std::to_string(g.dilationH) + "," + std::to_string(g.dilationW) +
         " pad " + std::to_string(g.padTop) + "," + std::to_string(g.padLeft) + " n " + std::to_string(n);
}

void compare(const std::vector<float>& a, const std::vector<float>& b, const std::string& what,
             KernelSelfTestResult& result) {
  ++result.cases;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) {
      result.failures.push_back(what + ": element " + std::to_string(i) + " is " + std::to_string(a[i]) +
                                ", the reference gives " + std::to_string(b[i]));
      return;
    }
}

// Codes in [-range, range], with powers-of-two scales and dyadic biases.
void fill(Rng& r, std::vector<int16_t>& v, int range) {
  for (auto& x : v) x = static_cast<int16_t>(r.uniform(-range, range));
}
std::vector<float> scales(Rng& r, int64_t n) {
  std::vector<float> s(n);
  for (auto& x : s) x = std::ldexp(1.0f, r.uniform(-12, 2));
  return s;
}
std::vector<float> biases(Rng& r, int64_t n) {
  std::vector<float> b(n);
  for (auto& x : b) x = static_cast<float>(r.uniform(-1000, 1000)) / 64.0f;
  return b;
}

void convCase(Rng& r, KernelSelfTestResult& result) {
  const Conv2DGeometry g = randomGeometry(r);
  static const int kChannels[] = {1, 2, 3, 5, 7, 8, 9, 13, 16, 17, 31, 33};
  const int64_t c = kChannels[r.uniform(0, 11)], n = kChannels[r.uniform(0, 11)];
  const int64_t stride = (c + 1) / 2 * 2, ks = g.kH * g.kW;
  const int range = r.coin() ? 127 : 1023;  // 8-bit and wider codes
  std::vector<int16_t> image((g.inH * g.inW + 1) * stride, 0);
  for (int64_t p = 0; p < g.inH * g.inW; ++p)
    for (int64_t k = 0; k < c; ++k) image[p * stride + k] = static_cast<int16_t>(r.uniform(-range, range));
  std::vector<int16_t> w(ks * c * n);
  fill(r, w, range);
  const std::vector<int32_t> offsets = qs16_conv_indirection(g, stride);
  const std::vector<float> scale = scales(r, n), bias = biases(r, n);
  const float* b = r.coin() ? bias.data() : nullptr;
  const int64_t m = g.outH * g.outW;
  std::vector<float> fast(m * n, kSentinel), ref(m * n, kSentinel);
  const Qs16PackedWeights packed = qs16_pack_igemm_weights(w.data(), ks, c, n);
  qs16_igemm_4x8c2__dot16x2(m, image.data(), offsets.data(), packed, scale.data(), b, fast.data(), n);
  qs16_igemm_reference(m, image.data(), offsets.data(), ks, c, w.data(), n, scale.data(), b, ref.data(), n);
  result.macs += m * n * ks * c;
  compare(fast, ref, describe("qs16_igemm_4x8c2__dot16x2", g, c, n), result);
}

void denseCase(Rng& r, KernelSelfTestResult& result) {
  const int64_t rows = r.uniform(1, 9), in = r.uniform(1, 70), n = r.uniform(1, 40);
  const int64_t stride = (in + 1) / 2 * 2;
  std::vector<int16_t> x(rows * stride, 0), w(in * n);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t k = 0; k < in; ++k) x[i * stride + k] = static_cast<int16_t>(r.uniform(-300, 300));
  fill(r, w, 300);
  std::vector<int32_t> offsets(rows);
  for (int64_t i = 0; i < rows; ++i) offsets[i] = static_cast<int32_t>(i * stride);
  const std::vector<float> scale = scales(r, n), bias = biases(r, n);
  std::vector<float> fast(rows * n, kSentinel), ref(rows * n, kSentinel);
  const Qs16PackedWeights packed = qs16_pack_igemm_weights(w.data(), 1, in, n);
  qs16_igemm_4x8c2__dot16x2(rows, x.data(), offsets.data(), packed, scale.data(), bias.data(), fast.data(), n);
  qs16_igemm_reference(rows, x.data(), offsets.data(), 1, in, w.data(), n, scale.data(), bias.data(), ref.data(), n);
  result.macs += rows * in * n;
  compare(fast, ref, "qs16_igemm_4x8c2__dot16x2 dense rows " + std::to_string(rows) + " in " + std::to_string(in) +
                         " units " + std::to_string(n), result);
}

void depthwiseCase(Rng& r, KernelSelfTestResult& result) {
  const Conv2DGeometry g = randomGeometry(r);
  const int64_t c = r.uniform(1, 37), ks = g.kH * g.kW;
  std::vector<int16_t> image((g.inH * g.inW + 1) * c, 0);
  for (int64_t i = 0; i < g.inH * g.inW * c; ++i) image[i] = static_cast<int16_t>(r.uniform(-2047, 2047));
  std::vector<int16_t> w(ks * c);
  fill(r, w, 32767);
  const std::vector<int32_t> offsets = qs16_conv_indirection(g, c);
  const std::vector<float> scale = scales(r, c), bias = biases(r, c);
  const float* b = r.coin() ? bias.data() : nullptr;
  const int64_t m = g.outH * g.outW;
  std::vector<float> fast(m * c, kSentinel), ref(m * c, kSentinel);
  qs16_dwconv2d_8c__extmul(m, image.data(), offsets.data(), ks, w.data(), c, scale.data(), b, fast.data());
  qs16_dwconv2d_reference(m, image.data(), offsets.data(), ks, w.data(), c, scale.data(), b, ref.data());
  result.macs += m * c * ks;
  compare(fast, ref, describe("qs16_dwconv2d_8c__extmul", g, c, c), result);
}

void codesCase(Rng& r, KernelSelfTestResult& result) {
  const int64_t pixels = r.uniform(1, 9), channels = r.uniform(1, 21);
  const int64_t padded = r.coin() ? channels : (channels + 1) / 2 * 2;
  const int e = r.uniform(-8, 3);
  const float step = std::ldexp(1.0f, e);
  const int32_t lo = r.coin() ? 0 : -r.uniform(1, 200), hi = r.uniform(1, 200);
  std::vector<float> x(pixels * channels);
  for (auto& v : x) v = static_cast<float>(r.uniform(lo, hi)) * step;
  if (r.coin()) x[r.uniform(0, static_cast<int>(x.size()) - 1)] = -0.0f;
  const int bad = r.uniform(0, 6);  // 0..5: one bad value of some kind; 6: none
  const float bads[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                        static_cast<float>(hi + 1) * step, static_cast<float>(lo - 1) * step, step * 0.5f,
                        std::ldexp(1.0f, -140)};
  if (bad < 6) x[r.uniform(0, static_cast<int>(x.size()) - 1)] = bads[bad];
  std::vector<int16_t> fast(pixels * padded, 777), ref(pixels * padded, 777);
  const bool okFast = f32_to_qs16_codes__simd(x.data(), pixels, channels, padded, step, 1.0f / step, lo, hi, fast.data());
  const bool okRef = f32_to_qs16_codes_reference(x.data(), pixels, channels, padded, step, lo, hi, ref.data());
  ++result.cases;
  const std::string what = "f32_to_qs16_codes__simd pixels " + std::to_string(pixels) + " channels " +
                           std::to_string(channels) + " padded " + std::to_string(padded) + " bad kind " +
                           std::to_string(bad);
  if (okFast != okRef) {
    result.failures.push_back(what + ": accepts " + std::to_string(okFast) + ", the reference " + std::to_string(okRef));
  } else if (okFast && fast != ref) {
    result.failures.push_back(what + ": codes differ");
  } else if (okFast != (bad == 6)) {
    result.failures.push_back(what + (okFast ? ": a bad value was accepted" : ": a good input was rejected"));
  }
}

// Ternary / binary codes as floats code * step; `binary`: no zero code. One value may be -0.0.
std::vector<float> ternaryValues(Rng& r, int64_t count, float step, bool binary) {
  std::vector<float> x(count);
  for (auto& v : x) v = static_cast<float>(binary ? (r.coin() ? 1 : -1) : r.uniform(-1, 1)) * step;
  if (!binary && count > 0 && r.coin()) x[r.uniform(0, static_cast<int>(count) - 1)] = -0.0f;
  return x;
}

// The popcount kernels against the int16 reference twin on the same codes: conv windows (zero
// pixel for 'same' padding), channel counts that are not multiples of 8/16/32/64, reductions
// longer than the 31-byte u8 flush.
void qt2Case(Rng& r, KernelSelfTestResult& result, bool dense) {
  Conv2DGeometry g;
  if (dense) {
    g.inH = r.uniform(1, 9), g.inW = 1, g.kH = g.kW = 1, g.outH = g.inH, g.outW = 1;
  } else {
    g = randomGeometry(r);
  }
  static const int kChannels[] = {1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 100, 130};
  const int64_t c = dense ? r.uniform(1, 300) : kChannels[r.uniform(0, 13)];
  const int64_t n = kChannels[r.uniform(0, 12)];
  const int64_t ks = g.kH * g.kW, kcb = (c + 7) / 8, pixels = g.inH * g.inW;
  const bool binaryIn = r.coin(), binaryW = r.coin();
  const float step = std::ldexp(1.0f, r.uniform(-6, 2));
  const std::vector<float> x = ternaryValues(r, pixels * c, step, binaryIn);
  std::vector<uint8_t> planes((pixels + 1) * 2 * kcb, 0xA5);
  std::fill(planes.end() - 2 * kcb, planes.end(), uint8_t(0));  // the zero pixel
  bool anyZero = true;
  const std::string what = describe(dense ? "qt2 dense" : "qt2 conv", g, c, n) + (binaryIn ? " binary in" : "") +
                           (binaryW ? " binary w" : "");
  ++result.cases;
  if (!f32_to_qt2_planes(x.data(), pixels, c, step, -1, 1, planes.data(), &anyZero)) {
    result.failures.push_back(what + ": f32_to_qt2_planes rejected codes in {-1, 0, 1}");
    return;
  }
  // The reference's input: int16 codes from the float reference conversion, zero pixel last.
  std::vector<int16_t> codes((pixels + 1) * c, 0), back((pixels + 1) * c, 0);
  if (!f32_to_qs16_codes_reference(x.data(), pixels, c, c, step, -1, 1, codes.data())) {
    result.failures.push_back(what + ": the reference conversion rejected the input");
    return;
  }
  qt2_planes_to_codes(planes.data(), pixels + 1, c, back.data(), c);
  if (back != codes) result.failures.push_back(what + ": f32_to_qt2_planes codes differ from the reference's");
  bool hasZero = false;
  for (int64_t i = 0; i < pixels * c; ++i) hasZero = hasZero || codes[i] == 0;
  if (anyZero != hasZero) result.failures.push_back(what + ": f32_to_qt2_planes anyZero is wrong");
  std::vector<int16_t> w(ks * c * n);
  for (auto& v : w) v = static_cast<int16_t>(binaryW ? (r.coin() ? 1 : -1) : r.uniform(-1, 1));
  std::vector<int32_t> offsets, planeOffsets;
  if (dense) {
    for (int64_t i = 0; i < pixels; ++i) {
      offsets.push_back(static_cast<int32_t>(i * c));
      planeOffsets.push_back(static_cast<int32_t>(i * 2 * kcb));
    }
  } else {
    offsets = qs16_conv_indirection(g, c);
    planeOffsets = qs16_conv_indirection(g, 2 * kcb);
  }
  const auto zeroOffset = static_cast<int32_t>(dense ? -1 : pixels * 2 * kcb);
  const std::vector<float> scale = scales(r, n), bias = biases(r, n);
  const float* b = r.coin() ? bias.data() : nullptr;
  const int64_t m = g.outH * g.outW;
  const Qt2PackedWeights packed = qt2_pack_igemm_weights(w.data(), ks, c, n);
  const bool allNonzero = std::find(w.begin(), w.end(), int16_t(0)) == w.end();  // ternary draws may have no 0
  if (packed.binary != allNonzero) result.failures.push_back(what + ": qt2_pack_igemm_weights binary flag is wrong");
  std::vector<float> ref(m * n, kSentinel), fast(m * n, kSentinel), ternary(m * n, kSentinel);
  qs16_igemm_reference(m, codes.data(), offsets.data(), ks, c, w.data(), n, scale.data(), b, ref.data(), n);
  qt2_igemm_4x16c8__popcnt(m, planes.data(), planeOffsets.data(), zeroOffset, !anyZero, packed, scale.data(), b,
                           fast.data(), n);
  qt2_igemm_4x16c8__and_popcnt(m, planes.data(), planeOffsets.data(), packed, scale.data(), b, ternary.data(), n);
  result.macs += 2 * m * n * ks * c;
  compare(fast, ref, what + " qt2_igemm_4x16c8__popcnt", result);
  compare(ternary, ref, what + " qt2_igemm_4x16c8__and_popcnt", result);
  if (binaryIn && allNonzero) {  // the xor loop alone, where its contract holds (padding included)
    std::vector<float> xorOut(m * n, kSentinel);
    qb1_igemm_4x16c8__xor_popcnt(m, planes.data(), planeOffsets.data(), zeroOffset, packed, scale.data(), b,
                                 xorOut.data(), n);
    result.macs += m * n * ks * c;
    compare(xorOut, ref, what + " qb1_igemm_4x16c8__xor_popcnt", result);
  }
}

// f32_to_qt2_planes on values on and off {-step, 0, step} within [lo, hi] against the reference
// conversion (f32_to_qs16_codes_reference), both accepting and rejecting.
void qt2PlanesCase(Rng& r, KernelSelfTestResult& result) {
  const int64_t pixels = r.uniform(1, 6), channels = r.uniform(1, 40);
  const float step = std::ldexp(1.0f, r.uniform(-8, 3));
  const int32_t lo = -r.uniform(0, 1), hi = r.uniform(lo == 0 ? 1 : 0, 1);
  std::vector<float> x(pixels * channels);
  for (auto& v : x) v = static_cast<float>(r.uniform(lo, hi)) * step;
  const int bad = r.uniform(0, 5);  // 0..4: one bad value of some kind; 5: none
  const float bads[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                        static_cast<float>(hi + 1) * step, static_cast<float>(lo - 1) * step, step * 0.5f};
  if (bad < 5) x[r.uniform(0, static_cast<int>(x.size()) - 1)] = bads[bad];
  const int64_t kcb = (channels + 7) / 8;
  std::vector<uint8_t> planes(pixels * 2 * kcb, 0x5A);
  std::vector<int16_t> codes(pixels * channels, 777), back(pixels * channels, 555);
  bool anyZero = false;
  const bool ok = f32_to_qt2_planes(x.data(), pixels, channels, step, lo, hi, planes.data(), &anyZero);
  const bool okRef = f32_to_qs16_codes_reference(x.data(), pixels, channels, channels, step, lo, hi, codes.data());
  ++result.cases;
  const std::string what = "f32_to_qt2_planes pixels " + std::to_string(pixels) + " channels " +
                           std::to_string(channels) + " codes [" + std::to_string(lo) + ", " + std::to_string(hi) +
                           "] bad kind " + std::to_string(bad);
  if (ok != okRef) {
    result.failures.push_back(what + ": accepts " + std::to_string(ok) + ", the reference " + std::to_string(okRef));
    return;
  }
  if (ok != (bad == 5)) result.failures.push_back(what + (ok ? ": a bad value was accepted" : ": a good input was rejected"));
  if (!ok) return;
  qt2_planes_to_codes(planes.data(), pixels, channels, back.data(), channels);
  if (back != codes) result.failures.push_back(what + ": codes differ");
  for (int64_t p = 0; p < pixels; ++p)  // bits past `channels` are zero in both planes
    for (int64_t k = 0; k < 2 * kcb; ++k) {
      const int used = static_cast<int>(std::min<int64_t>(8, channels - 8 * (k % kcb)));
      if (used < 8 && (planes[p * 2 * kcb + k] >> used) != 0) result.failures.push_back(what + ": padding bits set");
    }
}

// The fixed-point quantizer the fused epilogues run (quantized_bits / quantized_relu): its SIMD
// version multiplies by the exact reciprocals of the powers of two m and mi; the reference divides.
// Values around the levels (ties), far out of range (overflowing v * m), tiny (subnormal
// products), and specials; m up to 2^31, mi from 2^-6 to 2^8; non-powers of two take the
// reference path inside the SIMD function.
void quantizeCase(Rng& r, KernelSelfTestResult& result) {
  FixedPointQuantizer q;
  const int bits = r.uniform(1, 31), integer = r.uniform(-6, 8);
  q.m = r.uniform(0, 9) == 0 ? 3.0f * static_cast<float>(r.uniform(1, 5)) : std::ldexp(1.0f, bits);
  q.mi = std::ldexp(1.0f, integer);
  q.lo = r.coin() ? 0.0f : -q.m + (r.coin() ? 1.0f : 0.0f);
  q.hi = q.m - 1.0f;
  q.scaled = r.coin();
  q.alpha = r.coin() ? 0.375f : 2.0f;
  q.capped = r.uniform(0, 3) == 0;
  q.cap = 0.625f;
  q.base = static_cast<FixedPointQuantizer::Base>(r.uniform(0, 2));
  q.bound = r.coin() ? 0.0f : 1.5f;
  q.useSte = r.uniform(0, 3) != 0;
  q.qnoise = r.coin() ? 1.0f : 0.75f;
  const float step = q.mi / q.m;
  std::vector<float> x(static_cast<size_t>(r.uniform(1, 67)));
  for (auto& v : x) {
    const int kind = r.uniform(0, 9);
    const float k = static_cast<float>(r.uniform(-70, 70));
    if (kind < 4) v = (k + (r.coin() ? 0.5f : 0.0f)) * step;  // levels and ties
    else if (kind < 7) v = std::nextafter((k + 0.5f) * step, r.coin() ? 1e30f : -1e30f);
    else if (kind == 7) v = k * std::ldexp(1.0f, r.uniform(-149, -120));
    else if (kind == 8) v = k * 1e36f;
    else v = r.coin() ? std::numeric_limits<float>::infinity() : -0.0f;
  }
  std::vector<float> fast(x.size(), kSentinel), ref(x.size(), kSentinel);
  quantize_fixed_point_f32_simd(q, x.data(), static_cast<int64_t>(x.size()), fast.data());
  quantize_fixed_point_f32_reference(q, x.data(), static_cast<int64_t>(x.size()), ref.data());
  // NaN payloads are not specified (wasm does not keep them): compare NaN as NaN.
  for (size_t i = 0; i < x.size(); ++i)
    if (std::isnan(fast[i]) && std::isnan(ref[i])) fast[i] = ref[i];
  compare(fast, ref,
          "quantize_fixed_point_f32_simd m " + std::to_string(q.m) + " mi " + std::to_string(q.mi) + " base " +
              std::to_string(static_cast<int>(q.base)) + " n " + std::to_string(x.size()),
          result);
}

}  // namespace

KernelSelfTestResult runIntegerKernelSelfTest(uint32_t seed, int rounds) {
  KernelSelfTestResult result;
  Rng r{std::mt19937(seed)};
  for (int i = 0; i < rounds; ++i) {
    convCase(r, result);
    denseCase(r, result);
    depthwiseCase(r, result);
    codesCase(r, result);
    qt2Case(r, result, /*dense=*/false);
    qt2Case(r, result, /*dense=*/true);
    qt2PlanesCase(r, result);
    quantizeCase(r, result);
  }
  return result;
}

}  // namespace qkw
