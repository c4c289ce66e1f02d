#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "quant/quantizer.h"
#include "quant/tf_math.h"

namespace qkw {
namespace {

TEST(QuantTfMath, EigenLogIsWithinTwoUlpOfLibm) {
  for (float x = 1e-6f; x < 1e6f; x *= 1.0137f) {
    const float a = quant::eigenLogf(x);
    const float b = std::log(x);
    EXPECT_LE(std::fabs(a - b), 2.0f * std::fabs(std::nextafter(b, 0.0f) - b) + 1e-12f) << x;
  }
}

TEST(QuantTfMath, EigenLogSpecialValues) {
  EXPECT_TRUE(std::isinf(quant::eigenLogf(0.0f)) && quant::eigenLogf(0.0f) < 0);
  EXPECT_TRUE(std::isnan(quant::eigenLogf(-1.0f)));
  EXPECT_TRUE(std::isinf(quant::eigenLogf(INFINITY)));
  EXPECT_EQ(quant::eigenLogf(1.0f), 0.0f);
}

// sqrt(0.5) sits on the quadratic-approximation tie: Eigen's log lands on -0.5 exactly (-> 2^0),
// the correctly rounded logf just below (-> 2^-2). Whole packets of 8 use Eigen, the tail libm.
TEST(QuantTfMath, QuadraticVarianceTieFollowsTensorFlowsLogPath) {
  EXPECT_EQ(quant::eigenLogf(std::sqrt(0.5f)) / quant::kLog2f, -0.5f);
  const QuantizerPtr q = makeQuantizer("quantized_relu_po2(6, quadratic_approximation=True)");
  std::vector<float> variance(9, 0.5f);
  std::vector<float> out(9);
  q->apply(variance.data(), out.data(), {9});
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], 1.0f) << "packet element " << i;
  EXPECT_EQ(out[8], 0.25f) << "tail element (libm logf)";
}

uint32_t bitsOf(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

float floatOf(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

float ulpDistance(float a, float b) {
  return std::fabs(a - b) / std::fabs(std::nextafter(b, INFINITY) - b);
}

// Golden bits from an independent evaluation of the same published operation orders (Eigen's
// pexp_float of 2021-12 without FMA, oneDNN's exp with FMA), and glibc/musl expf.
TEST(QuantTfMath, ExpGoldenValues) {
  struct Case { float x; uint32_t eigen, onednn; };
  const Case cases[] = {
      {0.0f, 0x3f800000, 0x3f800000},
      {floatOf(0xbc8c0000), 0x3f7ba984, 0x3f7ba984},   // -0.0170898438
      {floatOf(0xc03b7800), 0x3d5ae3b5, 0x3d5ae3b4},   // -2.92919922
      {floatOf(0xbf841000), 0x3eb67859, 0x3eb67858},   // -1.03173828
      {-20.5f, 0x30abd1d8, 0x30abd1da},
      {-87.0f, 0x00b33687, 0x00b3368a},
      {1.5f, 0x408f69ff, 0x408f69fe},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(bitsOf(quant::eigenExpf(c.x)), c.eigen) << c.x;
    EXPECT_EQ(bitsOf(quant::onednnExpf(c.x)), c.onednn) << c.x;
  }
  // Where Eigen's polynomial and the C library disagree (the packet/tail split is visible).
  EXPECT_EQ(bitsOf(quant::eigenExpf(floatOf(0xbd1fbe77))), 0x3f76354cu);  // -0.039
  EXPECT_EQ(bitsOf(std::exp(floatOf(0xbd1fbe77))), 0x3f76354bu);
}

TEST(QuantTfMath, ExpApproximationsStayWithinTwoUlp) {
  for (float x = -87.0f; x < 88.0f; x += 0.01731f) {
    const float ref = static_cast<float>(std::exp(static_cast<double>(x)));
    EXPECT_LE(ulpDistance(quant::eigenExpf(x), ref), 2.0f) << x;
    // oneDNN reduces with one float ln2, so its error grows with |x|.
    EXPECT_LE(ulpDistance(quant::onednnExpf(x), ref), std::fabs(x) < 20.0f ? 3.0f : 16.0f) << x;
  }
}

TEST(QuantTfMath, ExpSpecialValues) {
  EXPECT_EQ(quant::eigenExpf(-104.5f), 0.0f);
  EXPECT_EQ(quant::eigenExpf(-INFINITY), 0.0f);
  EXPECT_TRUE(std::isinf(quant::eigenExpf(89.0f)));
  EXPECT_TRUE(std::isnan(quant::eigenExpf(NAN)));
  EXPECT_EQ(quant::eigenExpf(-100.0f), 0.0f) << "denormal results flush to zero as in TF";
  EXPECT_EQ(quant::onednnExpf(-88.0f), 0.0f) << "below ln(FLT_MIN) oneDNN returns 0";
  EXPECT_TRUE(std::isnan(quant::onednnExpf(NAN)));
}

// RCPPS as Intel processors compute it: 12 significant fraction bits, 1/(1.f + half step).
TEST(QuantTfMath, RcpApproximationMatchesIntelBits) {
  EXPECT_EQ(bitsOf(quant::x86RcpApprox(1.0f)), 0x3f7ff000u);  // rcpss(1) = 0.999755859375
  EXPECT_EQ(bitsOf(quant::x86RcpApprox(-2.0f)), 0xbefff000u);
  EXPECT_EQ(bitsOf(quant::x86RcpApprox(3.0f)), 0x3eaaa000u);
  EXPECT_EQ(bitsOf(quant::x86RcpApprox(floatOf(0x3f810000))), 0x3f7df800u);  // index 16 -> 0x7df8 << 8
  EXPECT_EQ(bitsOf(quant::x86RcpApprox(floatOf(0x3fffffff))), 0x3f000800u);  // last index -> 0x0008 << 8
  EXPECT_TRUE(std::isinf(quant::x86RcpApprox(0.0f)));
  EXPECT_TRUE(std::signbit(quant::x86RcpApprox(-0.0f)));
  EXPECT_EQ(quant::x86RcpApprox(INFINITY), 0.0f);
  EXPECT_TRUE(std::isinf(quant::x86RcpApprox(floatOf(0x00000001)))) << "denormal input reads as zero";
  // Intel's documented bound |relative error| <= 1.5 * 2^-12, on every table index.
  for (uint32_t i = 0; i < 2048; ++i) {
    for (uint32_t low : {0u, 0xfffu}) {
      const float x = floatOf(0x3f800000u | (i << 12) | low);
      EXPECT_LE(std::fabs(quant::x86RcpApprox(x) * static_cast<double>(x) - 1.0), 1.5 / 4096.0) << i;
    }
  }
}

TEST(QuantTfMath, EigenReciprocalIsOneNewtonStep) {
  EXPECT_EQ(bitsOf(quant::eigenReciprocalf(1.0f)), 0x3f7fffffu) << "1/1 is 0.99999994 on packets";
  EXPECT_EQ(bitsOf(quant::eigenReciprocalf(3.0f)), 0x3eaaaaaau);
  EXPECT_EQ(bitsOf(quant::eigenReciprocalf(floatOf(0x402da3dc))), 0x3ebcb653u);  // 1/x rounds to ...652
  EXPECT_TRUE(std::isinf(quant::eigenReciprocalf(0.0f)));
  EXPECT_EQ(quant::eigenReciprocalf(INFINITY), 0.0f);
  // Eigen documents a relative error of at most 2 ulp: up to 3 ulp from the rounded 1/x.
  for (float x = 1e-3f; x < 1e3f; x *= 1.0371f) EXPECT_LE(ulpDistance(quant::eigenReciprocalf(x), 1.0f / x), 3.0f) << x;
}

// Row sums and reciprocals as restated from the kernels' descriptions.
float eigenRowSumFor5(const float* e) { return (((e[0] + e[1]) + e[2]) + e[3]) + e[4]; }
float onednnRowSumFor5(const float* e) { return ((e[0] + e[4]) + e[2]) + (e[1] + e[3]); }

TEST(QuantTfMath, SoftmaxEigenPacketsTailAndReciprocal) {
  // 9 rows x 1 class: every e is 1, every sum 1; rows 0..7 take the packet reciprocal
  // (0.99999994), row 8 the scalar 1/1.
  std::vector<float> x(9, 0.25f), y(9);
  quant::tfSoftmaxRows(x.data(), y.data(), 9, 1, quant::TfCpuKernels::Eigen);
  for (int r = 0; r < 8; ++r) EXPECT_EQ(bitsOf(y[r]), 0x3f7fffffu) << r;
  EXPECT_EQ(y[8], 1.0f);
  quant::tfSoftmaxRows(x.data(), y.data(), 9, 1, quant::TfCpuKernels::OneDnn);
  for (int r = 0; r < 9; ++r) EXPECT_EQ(y[r], 1.0f) << r;

  // 3 rows x 3 classes = 9 elements: elements 0..7 use Eigen's exp, element 8 libm's.
  const float d = floatOf(0xbd1fbe77);  // exp differs between the two at this argument
  x = {0, d, d, 0, d, d, 0, d, d};
  y.assign(9, 0.0f);
  quant::tfSoftmaxRows(x.data(), y.data(), 3, 3, quant::TfCpuKernels::Eigen);
  const float ePacket = quant::eigenExpf(d), eTail = std::exp(d);
  ASSERT_NE(ePacket, eTail);
  for (int r = 0; r < 3; ++r) {
    const float e2 = r == 2 ? eTail : ePacket;
    const float sum = (1.0f + ePacket) + e2;
    const float inv = 1.0f / sum;  // 3 rows < 8: scalar reciprocal
    EXPECT_EQ(y[r * 3 + 0], 1.0f * inv) << r;
    EXPECT_EQ(y[r * 3 + 1], ePacket * inv) << r;
    EXPECT_EQ(y[r * 3 + 2], e2 * inv) << r;
  }
}

TEST(QuantTfMath, SoftmaxSumOrders) {
  // Ties at the maximum, and a row whose sum depends on the order.
  const float x[5] = {0.0f, -2.5f, 0.0f, -7.25f, -0.125f};
  float y[5];
  for (quant::TfCpuKernels k : {quant::TfCpuKernels::Eigen, quant::TfCpuKernels::OneDnn}) {
    quant::tfSoftmaxRows(x, y, 1, 5, k);
    float e[5];
    for (int i = 0; i < 5; ++i) e[i] = k == quant::TfCpuKernels::Eigen ? std::exp(x[i]) : quant::onednnExpf(x[i]);
    const float sum = k == quant::TfCpuKernels::Eigen ? eigenRowSumFor5(e) : onednnRowSumFor5(e);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(y[i], e[i] * (1.0f / sum)) << i;
    EXPECT_EQ(y[0], y[2]) << "tied logits give tied outputs";
  }
  // Eigen's reducer on 40 values: four 8-lane accumulators, combined, then the AVX horizontal sum.
  std::vector<float> v(40), out(40);
  for (int i = 0; i < 40; ++i) v[i] = -0.37f * static_cast<float>((i * 7) % 11);
  quant::tfSoftmaxRows(v.data(), out.data(), 1, 40, quant::TfCpuKernels::Eigen);
  float e[40];
  float m = v[0];
  for (float t : v) m = std::max(m, t);
  for (int i = 0; i < 40; ++i) e[i] = quant::eigenExpf(v[i] - m);
  float acc[8];
  for (int l = 0; l < 8; ++l) {
    float a0 = e[l], a1 = e[8 + l], a2 = e[16 + l], a3 = e[24 + l];
    a0 = ((a0 + a1) + a2) + a3;
    acc[l] = a0 + e[32 + l];
  }
  const float q0 = acc[0] + acc[4], q1 = acc[1] + acc[5], q2 = acc[2] + acc[6], q3 = acc[3] + acc[7];
  const float sum = 0.0f + ((q0 + q2) + (q1 + q3));
  for (int i = 0; i < 40; ++i) EXPECT_EQ(out[i], e[i] * (1.0f / sum)) << i;
}

// Golden bits from an independent restatement of Eigen's tanh rational and logistic (packet
// and scalar paths), no FMA.
TEST(QuantTfMath, TanhAndSigmoidGoldenValues) {
  struct Case { float x; uint32_t tanh, sigmoidPacket, sigmoidScalar; };
  const Case cases[] = {
      {0.5f, 0x3eec9a9f, 0x3f1f597f, 0x3f1f597f},  {-0.5f, 0xbeec9a9f, 0x3ec14d03, 0x3ec14d03},
      {1.0f, 0x3f42f7d6, 0x3f3b26a7, 0x3f3b26a8},  {-2.25f, 0xbf7a5fec, 0x3dc34697, 0x3dc34694},
      {3.7f, 0x3f7faff0, 0x3f79d2d0, 0x3f79d2d0},  {7.0f, 0x3f7fffe4, 0x3f7fc44b, 0x3f7fc44b},
      {-9.5f, 0xbf800000, 0x389cf6c3, 0x389cf6c3}, {0.01f, 0x3c23d5a3, 0x3f00a3d6, 0x3f00a3d6},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(bitsOf(quant::eigenTanhf(c.x)), c.tanh) << c.x;
    EXPECT_EQ(bitsOf(quant::eigenSigmoidPacketf(c.x)), c.sigmoidPacket) << c.x;
    EXPECT_EQ(bitsOf(quant::eigenSigmoidScalarf(c.x)), c.sigmoidScalar) << c.x;
  }
  EXPECT_EQ(quant::eigenTanhf(0.0003f), 0.0003f) << "tanh(x) = x below 0.0004";
  EXPECT_EQ(quant::eigenTanhf(10.0f), 1.0f) << "clamped where the rational reaches 1";
  EXPECT_EQ(quant::eigenSigmoidPacketf(0.0f), 0.5f);
  EXPECT_EQ(quant::eigenSigmoidScalarf(0.0f), 0.5f);
  EXPECT_EQ(quant::eigenSigmoidPacketf(20.0f), 1.0f);
  EXPECT_EQ(quant::eigenSigmoidPacketf(-105.0f), 0.0f);
  for (float x = -15.0f; x < 15.0f; x += 0.0173f) {
    EXPECT_LE(ulpDistance(quant::eigenTanhf(x), static_cast<float>(std::tanh(static_cast<double>(x)))), 6.0f) << x;
    const float ref = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x))));
    EXPECT_LE(ulpDistance(quant::eigenSigmoidPacketf(x), ref), 6.0f) << x;
  }
}

// 9 elements: the first 8 take the packet logistic, the ninth the scalar one.
TEST(QuantTfMath, SigmoidPacketTailSplit) {
  for (int64_t i = 0; i < 9; ++i) {
    const float got = quant::tfSigmoidf(1.0f, i, 9);
    EXPECT_EQ(bitsOf(got), i < 8 ? 0x3f3b26a7u : 0x3f3b26a8u) << i;
  }
  EXPECT_EQ(bitsOf(quant::tfExpf(floatOf(0xbd1fbe77), 7, 9)), 0x3f76354cu);
  EXPECT_EQ(bitsOf(quant::tfExpf(floatOf(0xbd1fbe77), 8, 9)), 0x3f76354bu);
}

}  // namespace
}  // namespace qkw
