// The plain reference kernels against independent straightforward formulations (explicitly
// padded input, scatter form for the transpose), on several shapes. Values are small integers
// times 2^-3, so every sum is exact whatever the order and the comparison can be exact.
#include <gtest/gtest.h>

#include <random>

#include "kernels/conv2d_f32_reference.h"
#include "kernels/dense_f32_reference.h"
#include "kernels/pool2d_f32_reference.h"
#include "kernels/scale_offset_f32_reference.h"
#include "conv_test_cases.h"

namespace qkw {
namespace {

std::vector<float> dyadic(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-8, 8);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(d(rng)) * 0.125f;
  return v;
}

TEST(KernelDenseReference, MatchesNaiveOnSeveralShapes) {
  for (auto [rows, in, units] : std::vector<std::tuple<int, int, int>>{{1, 1, 1}, {3, 5, 2}, {4, 16, 7}, {2, 33, 64}}) {
    auto x = dyadic(rows * in, 1), w = dyadic(in * units, 2), b = dyadic(units, 3);
    std::vector<float> y(rows * units);
    dense_f32_reference(x.data(), rows, in, w.data(), units, b.data(), y.data());
    for (int r = 0; r < rows; ++r)
      for (int u = 0; u < units; ++u) {
        double s = 0;
        for (int i = 0; i < in; ++i) s += double(x[r * in + i]) * w[i * units + u];
        EXPECT_EQ(y[r * units + u], float(s + b[u])) << rows << "x" << in << "x" << units;
      }
  }
}

TEST(KernelDenseReference, NullBiasAddsNothing) {
  std::vector<float> x = {1, 2}, w = {0.5f, 0.25f}, y(1);
  dense_f32_reference(x.data(), 1, 2, w.data(), 1, nullptr, y.data());
  EXPECT_EQ(y[0], 1.0f);
}

using conv_test::ConvCase;
using conv_test::geometryOf;

// Naive conv over an explicitly zero-padded copy of the input.
std::vector<float> naiveConv(const std::vector<float>& x, const ConvCase& k, const std::vector<float>& w,
                             const std::vector<float>& b, int64_t& oh, int64_t& ow) {
  int64_t pt = 0, pl = 0;
  if (k.same) {
    oh = samePadding(k.h, k.kh, k.sh, k.dh, &pt);
    ow = samePadding(k.w, k.kw, k.sw, k.dw, &pl);
  } else {
    oh = validOutputLength(k.h, k.kh, k.sh, k.dh);
    ow = validOutputLength(k.w, k.kw, k.sw, k.dw);
  }
  const int64_t ph = k.h + 2 * (k.kh * k.dh), pw = k.w + 2 * (k.kw * k.dw);
  std::vector<double> padded(size_t(k.batch * ph * pw * k.c), 0.0);
  for (int n = 0; n < k.batch; ++n)
    for (int i = 0; i < k.h; ++i)
      for (int j = 0; j < k.w; ++j)
        for (int c = 0; c < k.c; ++c) padded[((n * ph + i + pt) * pw + j + pl) * k.c + c] = x[((n * k.h + i) * k.w + j) * k.c + c];
  const int cin = k.c / k.groups, fpg = k.f / k.groups;
  std::vector<float> y(size_t(k.batch * oh * ow * k.f));
  for (int n = 0; n < k.batch; ++n)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int f = 0; f < k.f; ++f) {
          double s = 0;
          const int g = f / fpg;
          for (int ky = 0; ky < k.kh; ++ky)
            for (int kx = 0; kx < k.kw; ++kx)
              for (int ci = 0; ci < cin; ++ci)
                s += padded[((n * ph + oy * k.sh + ky * k.dh) * pw + ox * k.sw + kx * k.dw) * k.c + g * cin + ci] *
                     w[((ky * k.kw + kx) * cin + ci) * k.f + f];
          y[((n * oh + oy) * ow + ox) * k.f + f] = float(s + b[f]);
        }
  return y;
}

TEST(KernelConv2DReference, MatchesNaiveAcrossStridesDilationsPaddingAndGroups) {
  const std::vector<ConvCase> cases = {
      {1, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1, false}, {2, 5, 4, 3, 3, 3, 4, 1, 1, 1, 1, 1, true},
      {1, 7, 6, 2, 3, 2, 3, 2, 2, 1, 1, 1, true},  {1, 8, 8, 2, 3, 3, 2, 2, 3, 1, 1, 1, false},
      {1, 9, 9, 1, 3, 3, 2, 1, 1, 2, 3, 1, true},  {2, 6, 5, 4, 2, 2, 6, 1, 2, 1, 1, 2, true},
      {1, 5, 5, 6, 1, 3, 6, 1, 1, 1, 2, 3, false}, {1, 1, 10, 3, 1, 4, 2, 1, 3, 1, 1, 1, true},
  };
  unsigned seed = 10;
  for (const ConvCase& k : cases) {
    auto x = dyadic(k.batch * k.h * k.w * k.c, seed++);
    auto w = dyadic(k.kh * k.kw * (k.c / k.groups) * k.f, seed++);
    auto b = dyadic(k.f, seed++);
    int64_t oh, ow;
    auto expected = naiveConv(x, k, w, b, oh, ow);
    const Conv2DGeometry g = geometryOf(k);
    std::vector<float> y(expected.size());
    conv2d_f32_reference(x.data(), g, w.data(), k.f, k.groups, b.data(), y.data());
    EXPECT_EQ(y, expected) << "case h=" << k.h << " w=" << k.w << " k=" << k.kh << "x" << k.kw << " groups=" << k.groups;
  }
}

TEST(KernelConv2DReference, SamePaddingPutsTheExtraRowAfter) {
  int64_t before = -1;
  EXPECT_EQ(samePadding(4, 3, 2, 1, &before), 2);  // total 1 -> 0 before, 1 after
  EXPECT_EQ(before, 0);
  EXPECT_EQ(samePadding(5, 4, 1, 1, &before), 5);  // total 3 -> 1 before, 2 after
  EXPECT_EQ(before, 1);
  EXPECT_EQ(samePadding(9, 3, 1, 2, &before), 9);  // effective 5, total 4
  EXPECT_EQ(before, 2);
  EXPECT_EQ(validOutputLength(5, 3, 2, 1), 2);
  EXPECT_EQ(validOutputLength(2, 3, 1, 1), 0);
}

TEST(KernelDepthwiseConv2DReference, EqualsGroupedConvWithOneChannelPerGroup) {
  // A depthwise conv with multiplier dm is a grouped conv with groups = C and filters = C*dm,
  // whose kernel (kh, kw, 1, C*dm) is the depthwise kernel (kh, kw, C, dm) flattened.
  for (int dm : {1, 2, 3}) {
    const int C = 3, H = 5, W = 4, KH = 3, KW = 2;
    auto x = dyadic(2 * H * W * C, 40 + dm), w = dyadic(KH * KW * C * dm, 50 + dm), b = dyadic(C * dm, 60 + dm);
    Conv2DGeometry g;
    g.batch = 2; g.inH = H; g.inW = W; g.inC = C; g.kH = KH; g.kW = KW;
    g.outH = samePadding(H, KH, 1, 1, &g.padTop);
    g.outW = samePadding(W, KW, 1, 1, &g.padLeft);
    std::vector<float> viaDepthwise(size_t(2 * g.outH * g.outW * C * dm)), viaGroups(viaDepthwise.size());
    depthwise_conv2d_f32_reference(x.data(), g, w.data(), dm, b.data(), viaDepthwise.data());
    conv2d_f32_reference(x.data(), g, w.data(), C * dm, C, b.data(), viaGroups.data());
    EXPECT_EQ(viaDepthwise, viaGroups) << "dm=" << dm;
  }
}

TEST(KernelConv2DTransposeReference, MatchesScatterFormulation) {
  struct Case { int h, w, c, kh, kw, f, s, d; bool same; };
  for (const Case& k : std::vector<Case>{{2, 2, 1, 2, 2, 1, 2, 1, false}, {3, 2, 2, 3, 3, 2, 1, 1, true},
                                         {3, 4, 2, 3, 2, 3, 2, 1, true}, {2, 3, 1, 2, 2, 2, 1, 2, false},
                                         {4, 4, 3, 4, 4, 2, 2, 1, true}}) {
    const int keffH = (k.kh - 1) * k.d + 1, keffW = (k.kw - 1) * k.d + 1;
    const int oh = k.same ? k.h * k.s : k.h * k.s + std::max(keffH - k.s, 0);
    const int ow = k.same ? k.w * k.s : k.w * k.s + std::max(keffW - k.s, 0);
    const int pt = k.same ? std::max((k.h - 1) * k.s + keffH - oh, 0) / 2 : 0;
    const int pl = k.same ? std::max((k.w - 1) * k.s + keffW - ow, 0) / 2 : 0;
    auto x = dyadic(k.h * k.w * k.c, 70), w = dyadic(k.kh * k.kw * k.f * k.c, 71), b = dyadic(k.f, 72);
    std::vector<double> acc(size_t(oh * ow * k.f), 0.0);
    for (int iy = 0; iy < k.h; ++iy)
      for (int ix = 0; ix < k.w; ++ix)
        for (int ky = 0; ky < k.kh; ++ky)
          for (int kx = 0; kx < k.kw; ++kx) {
            const int oy = iy * k.s - pt + ky * k.d, ox = ix * k.s - pl + kx * k.d;
            if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
            for (int f = 0; f < k.f; ++f)
              for (int c = 0; c < k.c; ++c)
                acc[(oy * ow + ox) * k.f + f] += double(x[(iy * k.w + ix) * k.c + c]) * w[((ky * k.kw + kx) * k.f + f) * k.c + c];
          }
    std::vector<float> expected(acc.size());
    for (size_t i = 0; i < acc.size(); ++i) expected[i] = float(acc[i] + b[i % k.f]);
    Conv2DGeometry g;
    g.inH = k.h; g.inW = k.w; g.inC = k.c; g.kH = k.kh; g.kW = k.kw; g.strideH = g.strideW = k.s;
    g.dilationH = g.dilationW = k.d; g.outH = oh; g.outW = ow; g.padTop = pt; g.padLeft = pl;
    std::vector<float> y(expected.size());
    conv2d_transpose_f32_reference(x.data(), g, w.data(), k.f, b.data(), y.data());
    EXPECT_EQ(y, expected) << "h=" << k.h << " k=" << k.kh << " s=" << k.s;
  }
}

TEST(KernelAvgPool2DReference, SameBordersDivideByValidCells) {
  // 3x3 input, 2x2 window, stride 2, same: out 2x2, the last row/column windows are partial.
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  Conv2DGeometry g;
  g.inH = g.inW = 3; g.kH = g.kW = 2; g.strideH = g.strideW = 2;
  g.outH = samePadding(3, 2, 2, 1, &g.padTop);
  g.outW = samePadding(3, 2, 2, 1, &g.padLeft);
  std::vector<float> y(4);
  avg_pool2d_f32_reference(x.data(), g, 1.0f, y.data());
  EXPECT_EQ(y, (std::vector<float>{3.0f, 4.5f, 7.5f, 9.0f}));
  avg_pool2d_f32_reference(x.data(), g, 4.0f, y.data());
  EXPECT_EQ(y, (std::vector<float>{12.0f, 18.0f, 30.0f, 36.0f}));
}

TEST(KernelGlobalSumPool2DReference, SumsEveryPositionPerChannel) {
  std::vector<float> x = {1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60};  // (2, 3, 2) ... as (1, 2, 3, 2)
  std::vector<float> y(2);
  global_sum_pool2d_f32_reference(x.data(), 1, 2, 3, 2, y.data());
  EXPECT_EQ(y, (std::vector<float>{21, 210}));
}

TEST(KernelChannelAffineReference, MultipliesThenAdds) {
  std::vector<float> x = {1, 2, 3, 4}, s = {2, 0.5f}, o = {1, -1}, y(4);
  kernels::scaleOffsetF32Reference(4, 2, x.data(), s, o, y.data());
  EXPECT_EQ(y, (std::vector<float>{3, 0, 7, 1}));
}

}  // namespace
}  // namespace qkw
