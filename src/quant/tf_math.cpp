#include "quant/tf_math.h"

#include <algorithm>
#include <cmath>
#include <cstring>
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

namespace {

float fromBits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

uint32_t toBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// TensorFlow runs kernels with flush-to-zero: a denormal result is a signed zero.
float flushDenormal(float v) { return std::fpclassify(v) == FP_SUBNORMAL ? std::copysign(0.0f, v) : v; }

// Eigen's pldexp_generic: a * 2^e as a * 2^b * 2^b * 2^b * 2^(e-3b), b = floor(e/4), e clamped
// to [-278, 278]; every factor is a normal power of two, so only the products round.
float eigenLdexp(float a, float exponent) {
  const int e = static_cast<int>(std::min(std::max(exponent, -278.0f), 278.0f));
  const int b = e >> 2;  // arithmetic shift: floor(e / 4)
  const float c = std::ldexp(1.0f, b);
  float out = a * c;
  out = out * c;
  out = out * c;
  return out * std::ldexp(1.0f, e - 3 * b);
}

// predux<Packet8f> on AVX: add the two 128-bit halves, then SSE's (l0 + l2) + (l1 + l3).
float eigenPredux8(const float* p) {
  const float q0 = p[0] + p[4], q1 = p[1] + p[5], q2 = p[2] + p[6], q3 = p[3] + p[7];
  return (q0 + q2) + (q1 + q3);
}

// Eigen's InnerMostDimReducer<SumReducer<float>, vectorized> over n contiguous values.
float eigenInnerMostSum(const float* v, int64_t n) {
  constexpr int64_t P = kTfPacketSize;
  float acc[4][P] = {};
  int64_t start = 0;
  if (n >= 4 * P) {
    const int64_t vectorized4 = (n / (4 * P)) * (4 * P);
    for (int64_t j = 0; j < vectorized4; j += 4 * P)
      for (int k = 0; k < 4; ++k)
        for (int64_t l = 0; l < P; ++l) acc[k][l] = acc[k][l] + v[j + k * P + l];
    for (int k = 1; k < 4; ++k)
      for (int64_t l = 0; l < P; ++l) acc[0][l] = acc[0][l] + acc[k][l];
    start = vectorized4;
  }
  if (start <= n - P) {
    const int64_t vectorized = (n / P) * P;
    for (int64_t j = start; j < vectorized; j += P)
      for (int64_t l = 0; l < P; ++l) acc[0][l] = acc[0][l] + v[j + l];
    start = vectorized;
  }
  float scalar = 0.0f;
  for (int64_t j = start; j < n; ++j) scalar = scalar + v[j];
  return scalar + eigenPredux8(acc[0]);  // SumReducer::finalizeBoth
}

// oneDNN's softmax sum on AVX-512: lane l accumulates elements l, l+16, ... (masked tail lanes
// add zero), then lanes combine by the xor-8, xor-4, xor-2, xor-1 butterfly; lane 0 is the sum.
float onednnSum(const float* v, int64_t n) {
  constexpr int W = 16;
  float lanes[W] = {};
  for (int64_t j = 0; j < n; ++j) lanes[j % W] = lanes[j % W] + v[j];
  for (int step = W / 2; step >= 1; step /= 2) {
    float next[W];
    for (int l = 0; l < W; ++l) next[l] = lanes[l] + lanes[l ^ step];
    std::copy(next, next + W, lanes);
  }
  return lanes[0];
}

}  // namespace

float eigenExpf(float input) {
  if (std::isnan(input)) return input;
  const float x = std::min(input, 88.723f);
  // m = floor(x * log2(e) + 0.5)
  float m = x * 1.44269504088896341f;
  m = std::floor(m + 0.5f);
  // r = x - m*ln(2), ln(2) = C1 + C2 with C1 exact in few bits (pmadd without FMA).
  float r = m * -0.693359375f;
  r = r + x;
  float t = m * 2.12194440e-4f;
  r = t + r;
  // Even/odd polynomial in r: the exact step order of Eigen's code.
  const float r2 = r * r;
  float pEven = r2 * 1.37449637986719608306884765625e-3f;
  pEven = pEven + 4.166965186595916748046875e-2f;
  float pOdd = r2 * 8.36894474923610687255859375e-3f;
  pOdd = pOdd + 0.16666518151760101318359375f;
  pEven = r2 * pEven;
  pEven = pEven + 0.49999988079071044921875f;
  const float pLow = r + 1.0f;
  float y = r * pOdd;
  y = y + pEven;
  y = r2 * y;
  y = y + pLow;
  if (input < -104.0f) return 0.0f;
  return flushDenormal(std::max(eigenLdexp(y, m), input));
}

float x86RcpApprox(float x) {
  const uint32_t bits = toBits(x);
  const uint32_t sign = bits & 0x80000000u;
  const int exponent = static_cast<int>((bits >> 23) & 0xffu);
  const uint32_t fraction = bits & 0x7fffffu;
  if (exponent == 0xff) return fraction ? x : fromBits(sign);  // NaN stays NaN, 1/inf = 0
  if (exponent == 0) return fromBits(sign | 0x7f800000u);      // zero and denormals: inf
  const int resultExponent = 253 - exponent;
  if (resultExponent <= 0) return fromBits(sign);              // tiny result: flushed to zero
  // 1 / (1 + (2i + 1) / 4096) for the 11-bit index i, in [1, 2): keep 12 fraction bits, nearest.
  const int index = static_cast<int>(fraction >> 12);
  const double reciprocal = 2.0 / (1.0 + (2.0 * index + 1.0) / 4096.0);
  const uint32_t fraction12 = static_cast<uint32_t>(std::nearbyint((reciprocal - 1.0) * 4096.0));
  return fromBits(sign | (static_cast<uint32_t>(resultExponent) << 23) | (fraction12 << 11));
}

float eigenReciprocalf(float a) {
  const float x0 = x86RcpApprox(a);
  float t = a * x0;
  t = 2.0f - t;                     // pnmadd(a, x0, 2) without FMA
  if (std::isnan(t)) return x0;     // a is +-0 or +-inf: keep the approximation
  return x0 * t;
}

float onednnExpf(float input) {
  if (std::isnan(input)) return input;
  const float lnFltMin = fromBits(0xc2aeac50u), lnFltMax = fromBits(0x42b17218u);
  const bool zero = input < lnFltMin;
  const float x = std::max(std::min(input, lnFltMax), lnFltMin);
  float fx = x * fromBits(0x3fb8aa3bu);  // log2(e)
  fx = fx + 0.5f;
  const float n = std::floor(fx);
  const float r = std::fma(-n, fromBits(0x3f317218u), x);  // vfnmadd231ps: x - n*ln2, fused
  float p = fromBits(0x3c07cfceu);
  p = std::fma(p, r, fromBits(0x3d2b9d0du));
  p = std::fma(p, r, fromBits(0x3e2aad40u));
  p = std::fma(p, r, fromBits(0x3efffee3u));
  p = std::fma(p, r, fromBits(0x3f7ffffbu));
  p = std::fma(p, r, 1.0f);
  const float twoN = zero ? 0.0f : std::ldexp(1.0f, static_cast<int>(n));
  return flushDenormal(p * twoN);
}

float eigenTanhf(float input) {
  if (std::isnan(input)) return input;
  if (std::fabs(input) < 0.0004f) return input;
  const float x = std::max(std::min(input, 7.90531110763549805f), -7.90531110763549805f);
  const float x2 = x * x;
  auto madd = [](float a, float b, float c) {
    const float t = a * b;
    return t + c;
  };
  float p = madd(x2, -2.76076847742355e-16f, 2.00018790482477e-13f);
  p = madd(x2, p, -8.60467152213735e-11f);
  p = madd(x2, p, 5.12229709037114e-08f);
  p = madd(x2, p, 1.48572235717979e-05f);
  p = madd(x2, p, 6.37261928875436e-04f);
  p = madd(x2, p, 4.89352455891786e-03f);
  p = x * p;
  float q = madd(x2, 1.19825839466702e-06f, 1.18534705686654e-04f);
  q = madd(x2, q, 2.26843463243900e-03f);
  q = madd(x2, q, 4.89352518554385e-03f);
  return p / q;
}

float eigenSigmoidPacketf(float input) {
  if (std::isnan(input)) return input;
  auto madd = [](float a, float b, float c) {
    const float t = a * b;
    return t + c;
  };
  float x = std::min(input, 16.6355324f);
  x = x * 0.5f;
  const float m = std::floor(madd(x, 1.44269504088896341f, 0.5f));
  float r = madd(m, -0.693359375f, x);
  r = madd(m, 2.12194440e-4f, r);
  const float r2 = r * r;
  const float pEven = madd(r2, 4.1898667812347412109375e-2f, 0.49999141693115234375f);
  const float pOdd = madd(r2, 8.33471305668354034423828125e-3f, 0.16666877269744873046875f);
  const float pLow = r + 1.0f;
  float p = madd(r, pOdd, pEven);
  p = madd(r2, p, pLow);
  // pldexp_fast: multiply by 2^m built from the biased exponent clamped to [0, 255].
  const int biased = static_cast<int>(std::min(std::max(m + 127.0f, 0.0f), 255.0f));
  float e = p * fromBits(static_cast<uint32_t>(biased) << 23);
  e = flushDenormal(e * e);
  if (input < -104.0f) return 0.0f;
  return flushDenormal(e / (1.0f + e));
}

float eigenSigmoidScalarf(float x) {
  const float e = std::exp(std::min(x, 16.6355324f));
  return flushDenormal(e / (1.0f + e));
}

float tfExpf(float x, int64_t index, int64_t count) {
  const int64_t vectorized = (count / kTfPacketSize) * kTfPacketSize;
  return index < vectorized ? eigenExpf(x) : std::exp(x);
}

void tfSoftmaxRows(const float* in, float* out, int64_t rows, int64_t n, TfCpuKernels kernels, int64_t firstRow,
                   int64_t batchRows) {
  if (rows <= 0 || n <= 0) return;
  if (batchRows < 0) batchRows = rows;
  std::vector<float> sums(static_cast<size_t>(rows));
  const int64_t count = batchRows * n;
  // Positions in the batch matrix, minus this part's start: packets end at `vectorized` elements,
  // at `rowPackets` rows.
  const int64_t vectorized = (count / kTfPacketSize) * kTfPacketSize - firstRow * n;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = in + r * n;
    float* e = out + r * n;
    float m = x[0];
    for (int64_t k = 1; k < n; ++k) m = std::max(m, x[k]);
    for (int64_t k = 0; k < n; ++k) {
      const float shifted = x[k] - m;
      if (kernels == TfCpuKernels::OneDnn) e[k] = onednnExpf(shifted);
      else e[k] = r * n + k < vectorized ? eigenExpf(shifted) : std::exp(shifted);
    }
    sums[static_cast<size_t>(r)] = kernels == TfCpuKernels::OneDnn ? onednnSum(e, n) : eigenInnerMostSum(e, n);
  }
  const int64_t rowPackets = (batchRows / kTfPacketSize) * kTfPacketSize - firstRow;
  for (int64_t r = 0; r < rows; ++r) {
    const float s = sums[static_cast<size_t>(r)];
    const float inv = kernels == TfCpuKernels::Eigen && r < rowPackets ? eigenReciprocalf(s) : 1.0f / s;
    for (int64_t k = 0; k < n; ++k) out[r * n + k] = out[r * n + k] * inv;
  }
}

}  // namespace qkw::quant
