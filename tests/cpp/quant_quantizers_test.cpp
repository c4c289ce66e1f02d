// Per-quantizer semantics that QKeras's own test vectors do not pin down (semantics §1-§2):
// rounding ties, clip edges, the STE expression's float32 quirks, po2 zero handling and
// subnormal flushing, auto-scale shapes.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "quant/quantizer.h"

namespace qkw {
namespace {

std::vector<float> run(const std::string& spec, const std::vector<float>& x, Shape shape = {}, ScaleInfo* scale = nullptr,
                       const QuantizerOptions& o = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(x.size())};
  return (*makeQuantizer(json(spec), o))(Tensor(shape, x), scale).data;
}

TEST(QuantQuantizedBits, FixedPointRoundsHalfToEvenAndClips) {
  // step 1/8: 1/16 and 5/16 are ties (p = 0.5, 2.5) -> even; 3/16 (p = 1.5) -> 2.
  EXPECT_EQ(run("quantized_bits(4,0)", {0.0625f, 0.1875f, 0.3125f, -0.0625f, 0.875f, 0.9f, -1.0f, -1.2f}),
            (std::vector<float>{0.0f, 0.25f, 0.25f, 0.0f, 0.875f, 0.875f, -1.0f, -1.0f}));
  EXPECT_EQ(run("quantized_bits(4,0,1)", {-1.0f, 0.99f}), (std::vector<float>{-0.875f, 0.875f}));
  EXPECT_EQ(run("quantized_bits(6,2,0,False)", {-3.0f, 0.5f, 10.0f}), (std::vector<float>{0.0f, 0.5f, 3.9375f}));
  // Numeric alpha multiplies the quantized value.
  EXPECT_EQ(run("quantized_bits(4,0,alpha=2)", {0.9f}), (std::vector<float>{1.75f}));
  // One bit with keep_negative is the sign, 0 -> +1.
  EXPECT_EQ(run("quantized_bits(1,0,1)", {-0.2f, 0.0f, -0.0f, 3.0f}), (std::vector<float>{-1.0f, 1.0f, 1.0f, 1.0f}));
}

TEST(QuantQuantizedBits, SteExpressionLosesHugeClippedValues) {
  // x + (xq - x) in float32: 2^20 -> 1.0 and 1e30 -> 0.0 instead of 127/128 (semantics §1.2).
  EXPECT_EQ(run("quantized_bits(8,0,0)", {1048576.0f, 1e30f, 2.0f}), (std::vector<float>{1.0f, 0.0f, 0.9921875f}));
}

TEST(QuantQuantizedBits, AutoPo2AndAutoPerChannel) {
  const std::vector<float> w = {0.3f, -0.05f, -0.6f, 0.02f, 0.1f, 0.04f};
  ScaleInfo s;
  EXPECT_EQ(run("quantized_bits(4,0,1,alpha='auto_po2')", w, {3, 2}, &s),
            (std::vector<float>{0.3125f, -0.046875f, -0.4375f, 0.0234375f, 0.125f, 0.0390625f}));
  EXPECT_EQ(s.shape, (Shape{1, 2}));
  EXPECT_EQ(s.values, (std::vector<float>{0.5f, 0.0625f}));
  const std::vector<float> a = run("quantized_bits(4,0,1,alpha='auto')", w, {3, 2}, &s);
  const std::vector<float> expected = {0.342857f, -0.05f, -0.6f, 0.0214286f, 0.0857143f, 0.0428571f};
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], expected[i], 1e-6);
  EXPECT_NEAR(s.values[0], 0.685714f, 1e-6);
  EXPECT_NEAR(s.values[1], 0.0571429f, 1e-6);
  // Rank 1: one max for the tensor, then one least-squares scale per element.
  run("quantized_bits(4,0,1,alpha='auto_po2')", {0.3f, -0.05f, 0.6f}, {}, &s);
  EXPECT_EQ(s.shape, (Shape{3}));
  run("quantized_bits(4,0,1,alpha='auto')", {0.3f, -0.05f, 0.6f}, {}, &s);
  EXPECT_EQ(s.shape, (Shape{1}));
  // The fixed path reports QKeras's scale = alpha (1.0 for None).
  run("quantized_bits(4,0,1)", w, {3, 2}, &s);
  EXPECT_EQ(s.values, (std::vector<float>{1.0f}));
  EXPECT_FALSE(makeQuantizer(json("quantized_bits(4,0,1,alpha='auto_po2')"))->grid().has_value());
}

TEST(QuantQuantizedBits, PostTrainingScaleFreezesTheScale) {
  const json spec = json::parse(R"({"class_name":"quantized_bits","config":{"bits":4,"integer":0,"symmetric":1,
      "alpha":"auto_po2","keep_negative":true,"use_stochastic_rounding":false,"qnoise_factor":1.0,
      "post_training_scale":[[0.5, 0.0625]]}})");
  ScaleInfo s;
  const Tensor y = (*makeQuantizer(spec))(Tensor({3, 2}, {0.3f, -0.05f, -0.6f, 0.02f, 0.1f, 0.04f}), &s);
  EXPECT_EQ(y.data, (std::vector<float>{0.3125f, -0.046875f, -0.4375f, 0.0234375f, 0.125f, 0.0390625f}));
  EXPECT_EQ(s.shape, (Shape{1, 2}));
  EXPECT_EQ(s.values, (std::vector<float>{0.5f, 0.0625f}));
}

TEST(QuantQuantizedBits, StrConfigMinMaxRange) {
  EXPECT_EQ(makeQuantizer(json("quantized_bits(4,0,1)"))->str(), "quantized_bits(4,0,1)");
  EXPECT_EQ(makeQuantizer(json("quantized_bits(1,0,1,alpha=1.0)"))->str(), "quantized_bits(1,0,1,alpha=1.0)");
  EXPECT_EQ(makeQuantizer(json("quantized_bits(4,2,keep_negative=False,use_stochastic_rounding=True)"))->str(),
            "quantized_bits(4,2,0,keep_negative=False,use_stochastic_rounding=1)");
  EXPECT_EQ(makeQuantizer(json("quantized_bits(bits=5,integer=2,alpha='auto_po2')"))->str(), "quantized_bits(5,2,1,alpha='auto_po2')");
  const json cfg = makeQuantizer(json("quantized_bits(6)"))->config();
  EXPECT_EQ(cfg, json::parse(R"({"bits":6,"integer":0,"symmetric":0,"alpha":null,"keep_negative":true,
      "use_stochastic_rounding":false,"qnoise_factor":1.0,"post_training_scale":null})"));
  const QuantizerPtr q = makeQuantizer(json("quantized_bits(3,0)"));
  EXPECT_EQ(q->range(), (std::vector<float>{0, 0.25f, 0.5f, 0.75f, -1, -0.75f, -0.5f, -0.25f}));
  EXPECT_EQ(q->min(), -1.0);
  EXPECT_EQ(q->max(), 1.0);
  EXPECT_THROW(makeQuantizer(json("quantized_bits(3,0,1)"))->range(), Error);
  const Grid g = *makeQuantizer(json("quantized_bits(5,0)"))->grid();
  EXPECT_EQ(g.step, 1.0 / 16);
  EXPECT_EQ(g.min, -1.0);
  EXPECT_EQ(g.max, 15.0 / 16);
}

TEST(QuantQuantizedRelu, TiesClipsAndLeak) {
  EXPECT_EQ(run("quantized_relu(4,0)", {-1.0f, 0.03f, 0.03125f, 0.09375f, 0.5f, 0.97f, 2.0f}),
            (std::vector<float>{0, 0, 0, 0.125f, 0.5f, 0.9375f, 0.9375f}));
  EXPECT_EQ(makeQuantizer(json("quantized_relu(4)"))->str(), "quantized_relu(4,0)");
  EXPECT_EQ(makeQuantizer(json("quantized_relu(6,2)"))->range().back(), 3.9375f);
  // Negative integer bits: TF rejects 2**integer in int32.
  EXPECT_THROW(makeQuantizer(json("quantized_relu(4,-1)")), Error);
}

TEST(QuantPo2, ZeroTiesMaxValueAndSubnormals) {
  EXPECT_EQ(run("quantized_po2(5)", {0.0f, -0.0f}), (std::vector<float>{0.00390625f, 0.00390625f}));
  EXPECT_EQ(run("quantized_relu_po2(6,2048)", {-3.0f, 0.0f}), (std::vector<float>{std::ldexp(1.0f, -32), std::ldexp(1.0f, -32)}));
  // 2^-128 is subnormal: TF flushes it to zero on CPU, so do we.
  EXPECT_EQ(run("quantized_relu_po2(8)", {0.0f}), (std::vector<float>{0.0f}));
  // Log-domain rounding: the threshold is sqrt(2) * 2^k.
  EXPECT_EQ(run("quantized_po2(8)", {1.4142135f, 1.4142137f}), (std::vector<float>{1.0f, 2.0f}));
  // max_value clamps the input before rounding, so the output can exceed it.
  EXPECT_EQ(run("quantized_po2(8,3)", {10.0f}), (std::vector<float>{4.0f}));
  EXPECT_EQ(run("quantized_po2(8,log2_rounding='floor')", {1.9f, 3.9f}), (std::vector<float>{1.0f, 2.0f}));
  EXPECT_EQ(makeQuantizer(json("quantized_po2(4,1)"))->min(), -1.0);
  EXPECT_EQ(makeQuantizer(json("quantized_relu_po2(6,quadratic_approximation=True)"))->str(),
            "quantized_relu_po2(6,quadratic_approximation=1)");
}

TEST(QuantBinaryTernary, FixedAndAutoAlpha) {
  EXPECT_EQ(run("binary(True,5.0)", {-11, -0.2f, 0, 0.3f, 10}), (std::vector<float>{0, 0, 5, 5, 5}));
  EXPECT_EQ(run("ternary(10,5)", {-11, -7, -4, 0, 4, 10}), (std::vector<float>{-10, -10, 0, 0, 0, 10}));
  EXPECT_EQ(run("binary()", {-0.3f, 0.0f, 2.0f}), (std::vector<float>{-1, 1, 1}));
  EXPECT_EQ(run("ternary()", {-0.3f, 0.34f, 0.0f}), (std::vector<float>{0, 1, 0}));
  ScaleInfo s;
  // auto_po2 kernel: per output channel s = 2^round(log2(mean|w|)).
  run("binary(alpha='auto_po2')", {0.3f, -0.1f, -0.2f, 0.1f}, {2, 2}, &s);
  EXPECT_EQ(s.shape, (Shape{1, 2}));
  EXPECT_EQ(s.values, (std::vector<float>{0.25f, 0.125f}));
  EXPECT_EQ(makeQuantizer(json("binary"))->str(), "binary()");
  EXPECT_EQ(makeQuantizer(json("ternary(alpha=1.0,threshold=0.4,number_of_unrolls=3)"))->str(),
            "ternary(alpha=1.0,threshold=0.4,number_of_unrolls=3)");
  // QKeras's ones_like(tf.shape(x)) broadcast bug makes this shape unusable.
  EXPECT_THROW(run("binary(use_stochastic_rounding=True)", {1, 2, 3, 4, 5, 6}, {2, 3}), Unsupported);
  EXPECT_EQ(run("binary(use_stochastic_rounding=True)", {-1, 0, 2}), (std::vector<float>{-1, 1, 1}));
}

TEST(QuantTanhSigmoid, InternalSigmoidModes) {
  const std::vector<float> x = {-1.0f, -0.75f, -0.5f, -0.25f, 0.0f, 0.25f, 0.5f, 0.75f};
  EXPECT_EQ(run("quantized_tanh(4,symmetric=True)", x), (std::vector<float>{-0.875f, -0.75f, -0.5f, -0.25f, 0, 0.25f, 0.5f, 0.75f}));
  EXPECT_EQ(run("quantized_tanh(4,symmetric=True,use_real_tanh=True)", x),
            (std::vector<float>{-0.75f, -0.625f, -0.5f, -0.25f, 0, 0.25f, 0.5f, 0.625f}));
  EXPECT_EQ(run("quantized_sigmoid(6,symmetric=True,use_real_sigmoid=True)", x),
            (std::vector<float>{0.265625f, 0.328125f, 0.375f, 0.4375f, 0.5f, 0.5625f, 0.625f, 0.671875f}));
  QuantizerOptions smooth;
  smooth.sigmoid = SigmoidMode::Smooth;
  EXPECT_EQ(run("smooth_sigmoid", {1.0f}), run("hard_sigmoid", {0.375f}));
  EXPECT_EQ(run("quantized_sigmoid(6,symmetric=True)", {-1.0f}, {}, nullptr, smooth), (std::vector<float>{0.3125f}));
  // binary_tanh: 0 and tiny positives hit round(0.5) = 0 -> -1.
  EXPECT_EQ(run("binary_tanh", {0.0f, 1e-8f, 0.01f, -3.0f}), (std::vector<float>{-1, -1, 1, -1}));
  EXPECT_EQ(run("hard_sigmoid", {-1.0f, 0.5f}), (std::vector<float>{0.0f, 0.75f}));  // slope 0.5
}

TEST(QuantLinearUlawHswish, Semantics) {
  // The code, not the class docstring: step 1/16 keeps these values unchanged.
  EXPECT_EQ(run("quantized_linear(8,3)", {0.0f, 0.5f, 1.0f, 1.5f, 2.0f}), (std::vector<float>{0.0f, 0.5f, 1.0f, 1.5f, 2.0f}));
  // One bit: scaled sign, 0 -> +0.5*scale.
  EXPECT_EQ(run("quantized_linear(1)", {-3.0f, 0.0f, 0.2f}), (std::vector<float>{-0.5f, 0.5f, 0.5f}));
  const QuantizerPtr u = makeQuantizer(json("quantized_ulaw(4)"));
  const std::vector<float> r = u->range();
  const std::vector<float> y = run("quantized_ulaw(4)", {-5.0f, -0.3f, 0.0f, 0.2f, 4.0f});
  for (float v : y) EXPECT_NE(std::find(r.begin(), r.end(), v), r.end()) << v;
  EXPECT_EQ(u->grid()->kind, Grid::Kind::Custom);
  EXPECT_EQ(run("quantized_hswish(2,0,0)", {-10.0f, -2.0f, 1.0f}), (std::vector<float>{0.0f, -0.5f, 0.5f}));
  EXPECT_EQ(makeQuantizer(json("quantized_hswish(8,3)"))->str(), "quantized_hswish(8,3,0,relu_shift=3,relu_upper_bound=6)");
  EXPECT_EQ(makeQuantizer(json("quantized_hswish(4,0,1)"))->min(), -0.375);
}

}  // namespace
}  // namespace qkw
