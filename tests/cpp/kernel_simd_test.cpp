// The SIMD kernels against the reference kernels they must reproduce bit for bit (memcmp), on
// random (non-dyadic) data where any change of summation order would show, over awkward shapes;
// and the vectorized quantizer path against the scalar formulas, including ties, NaN, ±inf,
// -0, subnormals and huge values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "kernels/conv2d_f32_reference.h"
#include "kernels/conv2d_f32_simd.h"
#include "kernels/dense_f32_reference.h"
#include "kernels/dense_f32_simd.h"
#include "kernels/quantize_fixed_point_f32_reference.h"
#include "kernels/quantize_fixed_point_f32_simd.h"
#include "quant/quantizer.h"
#include "quant/rounding.h"
#include "conv_test_cases.h"

namespace qkw {
namespace {

std::vector<float> randomValues(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Bitwise equality, with a readable message at the first difference. anyNanMatches: two NaNs
// match whatever their payloads.
::testing::AssertionResult floatBitsMatch(const std::vector<float>& expected, const std::vector<float>& actual,
                                          bool anyNanMatches) {
  if (expected.size() != actual.size()) return ::testing::AssertionFailure() << "sizes differ";
  if (std::memcmp(expected.data(), actual.data(), expected.size() * sizeof(float)) == 0)
    return ::testing::AssertionSuccess();
  for (size_t i = 0; i < expected.size(); ++i) {
    if (anyNanMatches && std::isnan(expected[i]) && std::isnan(actual[i])) continue;
    uint32_t a, b;
    std::memcpy(&a, &expected[i], 4);
    std::memcpy(&b, &actual[i], 4);
    if (a != b)
      return ::testing::AssertionFailure() << "element " << i << ": expected " << expected[i] << " (0x" << std::hex
                                           << a << "), got " << actual[i] << " (0x" << b << ")";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult bitwiseEqual(const std::vector<float>& expected, const std::vector<float>& actual) {
  return floatBitsMatch(expected, actual, false);
}

// Sentinel-filled outputs, so an element the kernel forgets to write shows up.
constexpr float kUnwritten = 12345.678f;

TEST(KernelSimdDense, BitIdenticalToReference) {
  std::mt19937 rng(7);
  int cases = 0;
  for (int64_t rows : {1, 2, 3, 4, 5, 8, 9}) {
    for (int64_t in : {0, 1, 3, 7, 16, 17, 33, 100}) {
      for (int64_t units : {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 33, 37, 64, 100}) {
        for (bool withBias : {true, false}) {
          auto x = randomValues(static_cast<size_t>(rows * in), rng);
          auto w = randomValues(static_cast<size_t>(in * units), rng);
          auto b = randomValues(static_cast<size_t>(units), rng);
          std::vector<float> ref(static_cast<size_t>(rows * units), kUnwritten), simd = ref;
          dense_f32_reference(x.data(), rows, in, w.data(), units, withBias ? b.data() : nullptr, ref.data());
          dense_f32_simd(x.data(), rows, in, w.data(), units, withBias ? b.data() : nullptr, simd.data());
          ASSERT_TRUE(bitwiseEqual(ref, simd)) << rows << "x" << in << " -> " << units << " bias=" << withBias;
          ++cases;
        }
      }
    }
  }
  EXPECT_EQ(cases, 7 * 8 * 17 * 2);
}

TEST(KernelSimdDense, ZeroSumSignAndSpecialValuesMatch) {
  // -0 products: 0 + (-0) = +0 in the reference, which a kernel starting from the first product
  // would get wrong; inf and NaN propagate per lane.
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> x = {-0.0f, 1.0f, inf};
  std::vector<float> w(3 * 9);
  for (size_t i = 0; i < w.size(); ++i) w[i] = (i % 3 == 0) ? -0.0f : (i % 3 == 1 ? 2.0f : 0.0f);
  w[9 + 4] = nan;
  std::vector<float> ref(9, kUnwritten), simd = ref;
  dense_f32_reference(x.data(), 1, 3, w.data(), 9, nullptr, ref.data());
  dense_f32_simd(x.data(), 1, 3, w.data(), 9, nullptr, simd.data());
  for (size_t i = 0; i < ref.size(); ++i) {
    if (std::isnan(ref[i])) {
      EXPECT_TRUE(std::isnan(simd[i])) << i;
    } else {
      EXPECT_EQ(std::signbit(ref[i]), std::signbit(simd[i])) << i;
      EXPECT_EQ(ref[i], simd[i]) << i;
    }
  }
}

using conv_test::ConvCase;
using conv_test::geometryOf;

std::string describe(const ConvCase& k) {
  return "batch " + std::to_string(k.batch) + " " + std::to_string(k.h) + "x" + std::to_string(k.w) + "x" +
         std::to_string(k.c) + " k" + std::to_string(k.kh) + "x" + std::to_string(k.kw) + " f" + std::to_string(k.f) +
         " s" + std::to_string(k.sh) + "," + std::to_string(k.sw) + " d" + std::to_string(k.dh) + "," +
         std::to_string(k.dw) + " g" + std::to_string(k.groups) + (k.same ? " same" : " valid");
}

std::vector<ConvCase> convCases() {
  std::vector<ConvCase> cases = {
      {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, false},   {1, 5, 5, 3, 1, 1, 7, 1, 1, 1, 1, 1, false},
      {1, 8, 8, 4, 3, 3, 8, 1, 1, 1, 1, 1, true},    {2, 9, 7, 5, 3, 3, 13, 1, 1, 1, 1, 1, true},
      {1, 10, 11, 6, 3, 2, 9, 2, 2, 1, 1, 1, true},  {3, 12, 12, 2, 3, 3, 17, 2, 1, 1, 1, 1, false},
      {1, 13, 9, 3, 3, 3, 5, 1, 1, 2, 2, 1, true},   {1, 15, 15, 4, 5, 5, 6, 1, 3, 1, 2, 1, true},
      {2, 6, 20, 37, 2, 4, 37, 1, 1, 1, 1, 1, true}, {1, 1, 30, 5, 1, 5, 11, 1, 2, 1, 3, 1, true},  // Conv1D-like
      {1, 7, 7, 8, 7, 7, 4, 1, 1, 1, 1, 1, true},    {1, 7, 7, 8, 7, 7, 4, 1, 1, 1, 1, 1, false},
      {1, 4, 4, 4, 3, 3, 32, 1, 1, 1, 1, 1, true},   {2, 16, 16, 16, 3, 3, 33, 1, 1, 1, 1, 1, true},
      {1, 9, 9, 6, 3, 3, 6, 1, 1, 1, 1, 2, true},    {1, 9, 9, 6, 1, 1, 9, 1, 1, 1, 1, 3, false},  // groups: fallback
  };
  // Every channel count from 1 to 37 on both sides, in a padded strided conv.
  for (int64_t c = 1; c <= 37; ++c) cases.push_back({1, 6, 9, c, 3, 3, 38 - c, 1 + c % 2, 1 + c % 3, 1, 1, 1, c % 2 == 0});
  return cases;
}

TEST(KernelSimdConv2D, BitIdenticalToReference) {
  std::mt19937 rng(11);
  int cases = 0;
  for (const ConvCase& k : convCases()) {
    const Conv2DGeometry g = geometryOf(k);
    ASSERT_GT(g.outH * g.outW, 0) << describe(k);
    auto x = randomValues(static_cast<size_t>(k.batch * k.h * k.w * k.c), rng);
    auto w = randomValues(static_cast<size_t>(k.kh * k.kw * (k.c / k.groups) * k.f), rng);
    auto b = randomValues(static_cast<size_t>(k.f), rng);
    for (bool withBias : {true, false}) {
      std::vector<float> ref(static_cast<size_t>(k.batch * g.outH * g.outW * k.f), kUnwritten), simd = ref;
      conv2d_f32_reference(x.data(), g, w.data(), k.f, k.groups, withBias ? b.data() : nullptr, ref.data());
      conv2d_f32_simd(x.data(), g, w.data(), k.f, k.groups, withBias ? b.data() : nullptr, simd.data());
      ASSERT_TRUE(bitwiseEqual(ref, simd)) << describe(k) << " bias=" << withBias;
      ++cases;
    }
  }
  EXPECT_EQ(cases, 2 * static_cast<int>(convCases().size()));
}

TEST(KernelSimdDepthwiseConv2D, BitIdenticalToReference) {
  std::mt19937 rng(13);
  int cases = 0;
  for (ConvCase k : convCases()) {
    for (int64_t dm : {1, 2, 3}) {
      const Conv2DGeometry g = geometryOf(k);
      auto x = randomValues(static_cast<size_t>(k.batch * k.h * k.w * k.c), rng);
      auto w = randomValues(static_cast<size_t>(k.kh * k.kw * k.c * dm), rng);
      auto b = randomValues(static_cast<size_t>(k.c * dm), rng);
      for (bool withBias : {true, false}) {
        std::vector<float> ref(static_cast<size_t>(k.batch * g.outH * g.outW * k.c * dm), kUnwritten), simd = ref;
        depthwise_conv2d_f32_reference(x.data(), g, w.data(), dm, withBias ? b.data() : nullptr, ref.data());
        depthwise_conv2d_f32_simd(x.data(), g, w.data(), dm, withBias ? b.data() : nullptr, simd.data());
        ASSERT_TRUE(bitwiseEqual(ref, simd)) << describe(k) << " dm=" << dm << " bias=" << withBias;
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 6 * static_cast<int>(convCases().size()));
}

// ---- quantizer kernel ----

float bitsToFloat(uint32_t bits) {
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

// Random normals at several scales, exact ties of the rounding at the given step, and the
// IEEE special cases.
std::vector<float> quantizerInputs(std::mt19937& rng, float step, size_t randomCount) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.0f,
                          -0.0f,
                          inf,
                          -inf,
                          std::numeric_limits<float>::quiet_NaN(),
                          -std::numeric_limits<float>::quiet_NaN(),
                          bitsToFloat(0x7fa00001u),  // signalling NaN pattern
                          std::numeric_limits<float>::max(),
                          -std::numeric_limits<float>::max(),
                          std::numeric_limits<float>::min(),
                          std::numeric_limits<float>::denorm_min(),
                          -std::numeric_limits<float>::denorm_min(),
                          1e30f,
                          -1e30f,
                          8388608.5f,
                          16777216.0f,
                          -1e-30f,
                          1e-30f};
  for (int k = -40; k <= 40; ++k) {
    v.push_back((static_cast<float>(k) + 0.5f) * step);  // ties
    v.push_back(static_cast<float>(k) * step);
    v.push_back(std::nextafter((static_cast<float>(k) + 0.5f) * step, inf));
    v.push_back(std::nextafter((static_cast<float>(k) + 0.5f) * step, -inf));
  }
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (size_t i = 0; i < randomCount; ++i) v.push_back(d(rng) * std::ldexp(1.0f, static_cast<int>(rng() % 24) - 12));
  return v;
}

// Equal bits, or both NaN (NaN payloads are not specified, and wasm does not preserve them).
::testing::AssertionResult sameFloats(const std::vector<float>& expected, const std::vector<float>& actual) {
  return floatBitsMatch(expected, actual, true);
}

TEST(KernelSimdQuantizeFixedPoint, BitIdenticalToReference) {
  std::mt19937 rng(17);
  int configurations = 0;
  for (int bits : {1, 2, 3, 4, 6, 8, 12, 16, 24, 25, 31}) {
    for (int integer : {-3, 0, 1, 3, 8}) {
      for (int variant = 0; variant < 6; ++variant) {
        FixedPointQuantizer q;
        q.m = std::ldexp(1.0f, bits);
        q.mi = quant::pow2f(static_cast<float>(integer));
        const bool symmetric = variant % 2 == 1;
        q.lo = variant == 4 ? 0.0f : -q.m + (symmetric ? 1.0f : 0.0f);
        q.hi = q.m - 1.0f;
        q.scaled = variant >= 2;
        q.alpha = variant == 5 ? 0.3f : 2.0f;
        q.useSte = variant != 3;
        q.qnoise = variant == 3 || variant == 5 ? 0.75f : 1.0f;
        q.base = static_cast<FixedPointQuantizer::Base>(variant % 3);
        q.bound = variant == 2 ? 0.0f : 1.5f;
        q.capped = variant == 4;
        q.cap = 0.625f;
        const float step = q.mi / q.m;
        const auto x = quantizerInputs(rng, step, 1000);
        for (size_t offset : {size_t{0}, size_t{1}, size_t{3}}) {  // shifts every value to another lane
          const std::vector<float> xs(x.begin() + static_cast<std::ptrdiff_t>(offset), x.end());
          std::vector<float> ref(xs.size(), kUnwritten), simd = ref;
          quantize_fixed_point_f32_reference(q, xs.data(), static_cast<int64_t>(xs.size()), ref.data());
          quantize_fixed_point_f32_simd(q, xs.data(), static_cast<int64_t>(xs.size()), simd.data());
          ASSERT_TRUE(sameFloats(ref, simd)) << "bits " << bits << " integer " << integer << " variant " << variant
                                             << " offset " << offset;
        }
        ++configurations;
      }
    }
  }
  EXPECT_EQ(configurations, 11 * 5 * 6);
}

// The plain quantized_relu loop (no alpha, no cap, STE with qnoise 1) computes its ReLU as
// pmax(v, 0), which keeps -0: the output must still be the reference's +0, bit for bit.
TEST(KernelSimdQuantizeFixedPoint, PlainReluZerosAndSpecialsMatchTheReference) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x = {-0.0f, 0.0f,  -1e-30f, 1e-30f, -0.03125f, 0.03125f, 0.9375f, 0.96875f,
                                5.0f,  -5.0f, inf,     -inf,   std::nanf(""), -1e-45f, 1e-45f, 0.5f};
  for (auto base : {FixedPointQuantizer::Base::Relu, FixedPointQuantizer::Base::ReluBounded}) {
    FixedPointQuantizer q;  // quantized_relu(4, 0)
    q.m = 16.0f;
    q.mi = 1.0f;
    q.lo = 0.0f;
    q.hi = 15.0f;
    q.base = base;
    q.bound = 0.9375f;
    for (size_t offset : {size_t{0}, size_t{1}, size_t{2}, size_t{3}}) {
      const std::vector<float> xs(x.begin() + static_cast<std::ptrdiff_t>(offset), x.end());
      std::vector<float> ref(xs.size(), kUnwritten), simd = ref;
      quantize_fixed_point_f32_reference(q, xs.data(), static_cast<int64_t>(xs.size()), ref.data());
      quantize_fixed_point_f32_simd(q, xs.data(), static_cast<int64_t>(xs.size()), simd.data());
      ASSERT_TRUE(sameFloats(ref, simd)) << "base " << static_cast<int>(base) << " offset " << offset;
      EXPECT_FALSE(std::signbit(simd[0])) << offset;  // -0, +0, -1e-30, 1e-30 all quantize to +0
    }
  }
}

TEST(KernelSimdQuantizeFixedPoint, SpecialValuesFollowTheScalarRules) {
  // quantized_bits(4,0): m = 8, mi = 1, clip [-8, 7].
  FixedPointQuantizer q;
  q.m = 8.0f;
  q.mi = 1.0f;
  q.lo = -8.0f;
  q.hi = 7.0f;
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x = {0.0625f, 0.1875f, -0.0f, -0.01f, inf, -inf, std::nanf(""), 1e30f, -1e30f};
  std::vector<float> y(x.size());
  quantize_fixed_point_f32_simd(q, x.data(), static_cast<int64_t>(x.size()), y.data());
  EXPECT_EQ(y[0], 0.0f);    // tie 0.5 -> 0
  EXPECT_EQ(y[1], 0.25f);   // tie 1.5 -> 2
  // -0: round_through gives -0 + (+0 + -0) = +0, and the STE -0 + (+0 + +0) = +0.
  EXPECT_EQ(y[2], 0.0f);
  EXPECT_FALSE(std::signbit(y[2]));
  EXPECT_EQ(y[3], 0.0f);
  EXPECT_TRUE(std::isnan(y[4]));  // round_through(inf) = inf - inf
  EXPECT_TRUE(std::isnan(y[5]));
  EXPECT_TRUE(std::isnan(y[6]));
  EXPECT_EQ(y[7], 1e30f + (-1e30f + 0.875f));  // the STE keeps x's magnitude
  EXPECT_EQ(y[8], -1e30f + (1e30f + -1.0f));
}

// The quantizers now call the kernel. Their results must equal the scalar formulas they ran
// before (transcribed here from QKeras's order), for every bits/integer pair.
float oldQuantizedBits(float v, int bits, int integer, bool symmetric, bool keepNegative) {
  using namespace quant;
  const int ub = bits - (keepNegative ? 1 : 0);
  const float m = std::pow(2.0f, static_cast<float>(ub));
  const float mi = pow2f(static_cast<float>(integer));
  const float lo = (keepNegative ? 1.0f : 0.0f) * (-m + (symmetric ? 1.0f : 0.0f));
  const float p = (v * m) / mi;
  const float c = clip(roundThrough(p), lo, m - 1.0f);
  return steOutput(v, (mi * c) / m, 1.0f);
}

float oldQuantizedRelu(float v, int bits, int integer) {
  using namespace quant;
  const float m = std::ldexp(1.0f, bits);
  const float mi = std::ldexp(1.0f, integer);
  const float clipTop = mi - pow2f(static_cast<float>(integer) - static_cast<float>(bits));
  const float xu = v <= clipTop ? leakyRelu(v, 0.0f) : clipTop;
  const float p = (v * m) / mi;
  const float xq = mi * clip(roundThrough(p) / m, 0.0f, 1.0f - 1.0f / m);
  return steOutput(xu, xq, 1.0f);
}

TEST(KernelSimdQuantizeFixedPoint, QuantizersMatchTheirScalarFormulas) {
  std::mt19937 rng(19);
  int specs = 0;
  for (int bits = 1; bits <= 30; ++bits) {
    for (int integer : {0, 1, 2, 5, 13, 29, 30}) {
      const float step = std::ldexp(1.0f, integer - bits);
      const auto x = quantizerInputs(rng, step, 200);
      const Shape shape = {static_cast<int64_t>(x.size())};
      {
        const std::string spec = "quantized_relu(" + std::to_string(bits) + "," + std::to_string(integer) + ")";
        const auto y = (*makeQuantizer(json(spec)))(Tensor(shape, x)).data;
        std::vector<float> expected(x.size());
        for (size_t i = 0; i < x.size(); ++i) expected[i] = oldQuantizedRelu(x[i], bits, integer);
        ASSERT_TRUE(sameFloats(expected, y)) << spec;
        ++specs;
      }
      for (int flags = 0; flags < 4; ++flags) {
        const bool symmetric = flags & 1, keepNegative = !(flags & 2);
        if (keepNegative && bits == 1) continue;  // the sign path, not the fixed-point one
        const std::string spec = "quantized_bits(" + std::to_string(bits) + "," + std::to_string(integer) + "," +
                                 std::to_string(symmetric) + "," + (keepNegative ? "True" : "False") + ")";
        const auto y = (*makeQuantizer(json(spec)))(Tensor(shape, x)).data;
        std::vector<float> expected(x.size());
        for (size_t i = 0; i < x.size(); ++i) expected[i] = oldQuantizedBits(x[i], bits, integer, symmetric, keepNegative);
        ASSERT_TRUE(sameFloats(expected, y)) << spec;
        ++specs;
      }
    }
  }
  EXPECT_EQ(specs, 30 * 7 + 30 * 7 * 4 - 7 * 2);
}

TEST(KernelSimdQuantizeFixedPoint, ReluUpperBoundAndQnoiseVariants) {
  // relu_upper_bound without quantized clip caps xq and bounds the STE base; qnoise < 1 and
  // use_ste=False blend. Checked against the generic scalar reference configured the same way.
  std::mt19937 rng(23);
  const auto x = quantizerInputs(rng, 1.0f / 16, 500);
  const Shape shape = {static_cast<int64_t>(x.size())};
  for (const char* spec : {"quantized_relu(4,2,relu_upper_bound=3.0,is_quantized_clip=False)",
                           "quantized_relu(4,2,relu_upper_bound=0.0,is_quantized_clip=False)",
                           "quantized_relu(4,2,is_quantized_clip=False)",
                           "quantized_relu(4,2,qnoise_factor=0.5)",
                           "quantized_relu(4,2,qnoise_factor=0.5,use_ste=False)",
                           "quantized_bits(5,1,alpha=0.5,qnoise_factor=0.25,use_ste=False)"}) {
    const auto y = (*makeQuantizer(json(spec)))(Tensor(shape, x)).data;
    // Independent scalar transcription of quantized_relu / quantized_bits for these arguments.
    std::vector<float> expected(x.size());
    const std::string s = spec;
    for (size_t i = 0; i < x.size(); ++i) {
      using namespace quant;
      const float v = x[i];
      if (s.rfind("quantized_bits", 0) == 0) {
        const float m = 16.0f, mi = 2.0f;
        const float c = clip(roundThrough((v * m) / mi), -16.0f, 15.0f);
        expected[i] = blendOutput(v, 0.5f * ((mi * c) / m), 0.25f);
        continue;
      }
      const float m = 16.0f, mi = 4.0f;
      const bool bounded = s.find("relu_upper_bound") != std::string::npos;
      const float ub = s.find("=3.0") != std::string::npos ? 3.0f : 0.0f;
      const bool quantizedClip = s.find("is_quantized_clip=False") == std::string::npos;
      float xu = relu(v);
      if (quantizedClip) xu = v <= mi - 0.25f ? relu(v) : mi - 0.25f;
      else if (bounded) xu = v <= ub ? relu(v) : ub;
      float xq = mi * clip(roundThrough((v * m) / mi) / m, 0.0f, 1.0f - 1.0f / m);
      if (bounded && ub != 0.0f && !quantizedClip) xq = xq <= ub ? xq : ub;
      const float qnoise = s.find("qnoise_factor=0.5") != std::string::npos ? 0.5f : 1.0f;
      expected[i] = s.find("use_ste=False") != std::string::npos ? blendOutput(xu, xq, qnoise)
                                                                   : steOutput(xu, xq, qnoise);
    }
    EXPECT_TRUE(sameFloats(expected, y)) << spec;
  }
}

}  // namespace
}  // namespace qkw
