#include "float_kernels_self_test.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/conv2d_f32_reference.h"
#include "kernels/f32_conv2d_igemm.h"

namespace qkw {

namespace {

constexpr float kSentinel = -12345.678f;

struct Rng {
  std::mt19937 gen;
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); }
  bool coin() { return uniform(0, 1) == 1; }
  // Values in (-2, 2) with arbitrary mantissas (not dyadic), so a changed order shows.
  float value() { return static_cast<float>(uniform(-1000000, 1000000)) * 1.9073486e-6f * 1.0000001f; }
};

Conv2DGeometry randomGeometry(Rng& r) {
  for (;;) {
    Conv2DGeometry g;
    g.batch = r.uniform(1, 2);
    g.inH = r.uniform(1, 12);
    g.inW = r.uniform(1, 13);
    const bool pointwise = r.uniform(0, 3) == 0;
    g.kH = pointwise ? 1 : r.uniform(1, 5);
    g.kW = pointwise ? 1 : r.uniform(1, 5);
    g.strideH = r.uniform(1, 2);
    g.strideW = r.uniform(1, 3);
    g.dilationH = r.uniform(0, 3) == 0 ? 2 : 1;
    g.dilationW = r.uniform(0, 3) == 0 ? r.uniform(2, 3) : 1;
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

std::string describe(const Conv2DGeometry& g, int64_t f, bool epilogue) {
  char text[200];
  std::snprintf(text, sizeof text,
                "f32_conv2d_igemm_4x8__simd batch %d in %dx%dx%d k %dx%d s %d,%d d %d,%d pad %d,%d filters %d%s",
                int(g.batch), int(g.inH), int(g.inW), int(g.inC), int(g.kH), int(g.kW), int(g.strideH),
                int(g.strideW), int(g.dilationH), int(g.dilationW), int(g.padTop), int(g.padLeft), int(f),
                epilogue ? " (epilogue)" : "");
  return text;
}

// Equal bits, or both NaN: NaN payloads (and signs) are not specified by IEEE 754 or wasm, and
// compilers may commute an add, which picks the other operand's NaN.
void compare(const std::vector<float>& a, const std::vector<float>& b, const std::string& what,
             KernelSelfTestResult& result) {
  ++result.cases;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0 && !(std::isnan(a[i]) && std::isnan(b[i]))) {
      char text[120];
      std::snprintf(text, sizeof text, ": element %d is %.9g, the reference gives %.9g", int(i), a[i], b[i]);
      result.failures.push_back(what + text);
      return;
    }
}

// Mostly ordinary values, sprinkled with the IEEE cases that expose a changed operation order or
// a padded tap read as something else than "nothing": -0 (a sum of -0 products), subnormals, huge
// values (products and sums overflow to infinity), and, where allowed, NaN and infinities.
void fill(Rng& r, std::vector<float>& v, bool nonFinite) {
  const float specials[] = {-0.0f, 0.0f, std::ldexp(1.0f, -140), -std::ldexp(1.0f, -130), 3.0e38f, -3.0e38f,
                            std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN()};
  const int mode = r.uniform(0, 3);  // 0: plain; 1: a few specials; 2: many; 3: all -0 (sums of -0)
  for (auto& x : v) {
    if (mode == 3) {
      x = -0.0f;
      continue;
    }
    x = r.value();
    const int odds = mode == 1 ? 40 : mode == 2 ? 4 : 0;
    if (odds && r.uniform(0, odds) == 0) x = specials[r.uniform(0, nonFinite ? 8 : 5)];
  }
}

// The epilogue the test installs: checks that each chunk covers output rows never seen before,
// then negates them (a visible, exact change the expected output repeats).
struct EpilogueCheck {
  float* base = nullptr;
  int64_t filters = 0;
  std::vector<int> seen;
  bool overlap = false;
};

void epilogueNegate(void* context, float* rows, int64_t count) {
  auto& c = *static_cast<EpilogueCheck*>(context);
  const int64_t first = (rows - c.base) / c.filters;
  for (int64_t p = first; p < first + count; ++p) {
    if (p < 0 || p >= static_cast<int64_t>(c.seen.size()) || c.seen[p]++) c.overlap = true;
  }
  for (int64_t i = 0; i < count * c.filters; ++i) rows[i] = -rows[i];
}

void convCase(Rng& r, KernelSelfTestResult& result) {
  Conv2DGeometry g = randomGeometry(r);
  static const int kChannels[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 17, 24, 31, 33};
  g.inC = kChannels[r.uniform(0, 14)];
  const int64_t f = kChannels[r.uniform(0, 14)];
  std::vector<float> x(g.batch * g.inH * g.inW * g.inC), w(g.kH * g.kW * g.inC * f), b(f);
  // Non-finite weights only where the kernel is used with them: convs that read no padding.
  const bool padded = f32_conv2d_igemm_scratch(g) > 0;
  fill(r, x, true);
  fill(r, w, !padded);
  fill(r, b, true);
  const float* bias = r.coin() ? b.data() : nullptr;
  const int64_t outSize = g.batch * g.outH * g.outW * f;
  std::vector<float> ref(outSize, kSentinel), fast(outSize, kSentinel);
  conv2d_f32_reference(x.data(), g, w.data(), f, 1, bias, ref.data());
  result.macs += outSize * g.kH * g.kW * g.inC;

  bool finite = true;
  for (float v : w) finite = finite && std::isfinite(v);
  if (f32_conv2d_weights_finite(w.data(), static_cast<int64_t>(w.size())) != finite)
    result.failures.push_back(describe(g, f, false) + ": f32_conv2d_weights_finite is wrong");
  const F32ConvPackedWeights packed = f32_conv2d_pack_weights(w.data(), g.kH, g.kW, g.inC, f);
  std::vector<float> scratch(static_cast<size_t>(f32_conv2d_igemm_scratch(g)) + 1, kSentinel);
  const bool withEpilogue = r.coin();
  EpilogueCheck check;
  F32ConvEpilogue epilogue;
  if (withEpilogue) {
    check.filters = f;
    check.base = fast.data();
    check.seen.assign(static_cast<size_t>(g.batch * g.outH * g.outW), 0);
    epilogue = {epilogueNegate, &check};
  }
  f32_conv2d_igemm_4x8__simd(x.data(), g, packed, bias, fast.data(), scratch.data(), epilogue);
  std::vector<float> expected = ref;
  if (withEpilogue) {
    for (auto& v : expected) v = -v;
    for (int s : check.seen) check.overlap |= s != 1;
    if (check.overlap) result.failures.push_back(describe(g, f, true) + ": epilogue chunks overlap or miss rows");
  }
  compare(fast, expected, describe(g, f, withEpilogue), result);
}

}  // namespace

KernelSelfTestResult runFloatKernelSelfTest(uint32_t seed, int rounds) {
  KernelSelfTestResult result;
  Rng r{std::mt19937(seed)};
  for (int i = 0; i < rounds; ++i) convCase(r, result);
  return result;
}

}  // namespace qkw
