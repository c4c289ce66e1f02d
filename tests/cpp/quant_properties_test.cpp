// Properties every deterministic fixed-grid quantizer must have: outputs on grid(),
// idempotence q(q(x)) == q(x), and str()/config() round-tripping through makeQuantizer.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quant/quantizer.h"

namespace qkw {
namespace {

const char* kFixedGridSpecs[] = {
    "quantized_bits(4,0,1)",        "quantized_bits(8)",           "quantized_bits(6,2,0,True)",
    "quantized_bits(6,2,0,False)",  "quantized_bits(5,3,1)",       "quantized_bits(4,0,alpha=2)",
    "quantized_bits(1,0,1,alpha=1.0)", "quantized_bits(3,-2)",     "quantized_relu(4)",
    "quantized_relu(6,2)",          "quantized_relu(6,2,0,0.25)",  "quantized_relu(3,1)",
    "quantized_tanh(4)",            "quantized_tanh(4,symmetric=True)", "quantized_tanh(6,use_real_tanh=True)",
    "quantized_sigmoid(6)",         "quantized_sigmoid(4,symmetric=True)", "quantized_sigmoid(5,use_real_sigmoid=True)",
    "binary(alpha=1.0)",            "binary(False,5.0)",           "binary(True,2)",
    "ternary(1.0,0.33)",            "ternary(10,5)",               "quantized_linear(4,1)",
    "quantized_linear(1)",          "quantized_hswish(4,1)",       "binary_tanh",
    "binary_sigmoid",
};

const char* kPo2Specs[] = {"quantized_po2(5)", "quantized_po2(4,1)", "quantized_po2(6,quadratic_approximation=True)",
                           "quantized_relu_po2(6,2048)", "quantized_relu_po2(4)", "quantized_relu_po2(3,negative_slope=0.0625)",
                           "quantized_po2(8,log2_rounding='floor')"};

std::vector<float> randomInputs(std::mt19937& rng, float spread) {
  std::vector<float> v;
  std::uniform_real_distribution<float> d(-spread, spread);
  for (int i = 0; i < 2000; ++i) v.push_back(d(rng));
  // (No tiny non-zero inputs: x + (2^min_exp - x) can round to 0 there, an off-grid STE
  // result QKeras has too; see QuantPo2 tests.)
  for (float e : {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, -0.5f, 3.999f, 100.0f, -100.0f}) v.push_back(e);
  return v;
}

// Not idempotent by design in QKeras: a numeric quantized_bits alpha multiplies the
// quantized value (semantics §2.1), and a negative_slope scales negative outputs again.
// Also not idempotent: quantizers that apply a non-linearity first (sigmoid, real tanh,
// hswish, binary_* functions) and binary(use_01) (0 maps to +alpha).
bool idempotent(const std::string& spec) {
  for (const char* no : {"alpha=2", "negative_slope", "0.25)", "sigmoid", "real_tanh", "hswish", "binary(True", "binary_"})
    if (spec.find(no) != std::string::npos) return false;
  return true;
}

bool onUniformGrid(const Grid& g, float v) {
  if (v < g.min - 1e-12 || v > g.max + 1e-12) return false;
  const double k = (v - g.min) / g.step;
  return std::fabs(k - std::nearbyint(k)) < 1e-6;
}

TEST(QuantProperties, FixedGridOutputsLieOnGridAndAreIdempotent) {
  std::mt19937 rng(7);
  for (const char* spec : kFixedGridSpecs) {
    SCOPED_TRACE(spec);
    const QuantizerPtr q = makeQuantizer(json(spec));
    const std::optional<Grid> g = q->grid();
    ASSERT_TRUE(g.has_value());
    ASSERT_EQ(g->kind, Grid::Kind::Uniform);
    const std::vector<float> x = randomInputs(rng, 8.0f);
    const Tensor y = (*q)(Tensor({static_cast<int64_t>(x.size())}, x));
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_TRUE(onUniformGrid(*g, y.data[i])) << "x=" << x[i] << " y=" << y.data[i];
      if (!onUniformGrid(*g, y.data[i])) break;
      lo = std::min(lo, static_cast<double>(y.data[i]));
      hi = std::max(hi, static_cast<double>(y.data[i]));
    }
    // The grid's min/max are reached by the inputs beyond the clip range.
    if (std::string(spec).find("hswish") == std::string::npos) {
      EXPECT_EQ(lo, g->min);
    }
    EXPECT_EQ(hi, g->max);
    if (!idempotent(spec)) continue;
    const Tensor yy = (*q)(y);
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(yy.data[i], y.data[i]) << "x=" << x[i];
      if (yy.data[i] != y.data[i]) break;
    }
  }
}

TEST(QuantProperties, Po2OutputsArePowersOfTwoAndIdempotent) {
  std::mt19937 rng(11);
  for (const char* spec : kPo2Specs) {
    SCOPED_TRACE(spec);
    const QuantizerPtr q = makeQuantizer(json(spec));
    const std::optional<Grid> g = q->grid();
    ASSERT_TRUE(g.has_value());
    EXPECT_EQ(g->kind, Grid::Kind::PowerOfTwo);
    const std::vector<float> x = randomInputs(rng, 20.0f);
    const Tensor y = (*q)(Tensor({static_cast<int64_t>(x.size())}, x));
    for (size_t i = 0; i < x.size(); ++i) {
      const float a = std::fabs(y.data[i]);
      int e;
      if (a != 0.0f) {
        EXPECT_EQ(std::frexp(a, &e), 0.5f) << "x=" << x[i] << " y=" << y.data[i];
      }
      if (std::frexp(a, &e) != 0.5f && a != 0.0f) break;
      EXPECT_GE(y.data[i], g->min);
      EXPECT_LE(y.data[i], g->max);
    }
    if (!idempotent(spec)) continue;
    const Tensor yy = (*q)(y);
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(yy.data[i], y.data[i]) << "x=" << x[i];
      if (yy.data[i] != y.data[i]) break;
    }
  }
}

TEST(QuantProperties, StrAndConfigRoundTrip) {
  std::vector<std::string> specs(std::begin(kFixedGridSpecs), std::end(kFixedGridSpecs));
  specs.insert(specs.end(), std::begin(kPo2Specs), std::end(kPo2Specs));
  for (const char* extra : {"quantized_bits(4,0,1,alpha='auto_po2')", "quantized_bits(4,2,alpha='auto')", "binary(alpha='auto_po2')",
                            "ternary(alpha='auto')", "quantized_ulaw(8,0,1,100.0)", "stochastic_binary(1.0)",
                            "stochastic_ternary(alpha=1.0,threshold=0.4,temperature=3)", "quantized_relu(6,2,1)",
                            "hard_sigmoid", "smooth_tanh", "quantized_linear(4,1,alpha='auto_po2')"})
    specs.push_back(extra);
  std::mt19937 rng(3);
  Tensor x({4, 6});
  std::uniform_real_distribution<float> d(-3.0f, 3.0f);
  for (float& v : x.data) v = d(rng);
  for (const std::string& spec : specs) {
    SCOPED_TRACE(spec);
    const QuantizerPtr q = makeQuantizer(json(spec));
    const Tensor y = (*q)(x);
    // QKeras's __str__ is lossy for some argument combinations (it drops the positional
    // use_sigmoid / use_stochastic_rounding that precede the flags it prints); config() is not.
    const bool strIsFaithful = spec != "quantized_relu(6,2,0,0.25)" && spec.find("tanh(4,symmetric") == std::string::npos &&
                               spec.find("use_real_") == std::string::npos &&
                               spec.find("negative_slope") == std::string::npos;
    for (const json& again : {json(q->str()), json{{"class_name", q->className()}, {"config", q->config()}}}) {
      SCOPED_TRACE(again.dump());
      if (again.is_string() && !strIsFaithful) continue;
      const QuantizerPtr r = makeQuantizer(again);
      // str() may drop arguments QKeras's __str__ omits (log2_rounding); those keep defaults.
      if (spec.find("log2_rounding") == std::string::npos || again.is_object()) {
        const Tensor yr = (*r)(x);
        EXPECT_EQ(yr.data, y.data);
      }
      EXPECT_EQ(r->str(), q->str());
    }
  }
}

TEST(QuantProperties, QkerasStrIsLossyWhereQkerasIsLossy) {
  EXPECT_EQ(makeQuantizer(json("quantized_tanh(4,symmetric=True)"))->str(), "quantized_tanh(4,1)");
  EXPECT_EQ(makeQuantizer(json("quantized_relu(6,2,0,0.25)"))->str(), "quantized_relu(6,2,0.25)");
  EXPECT_EQ(makeQuantizer(json("quantized_sigmoid(5,use_real_sigmoid=True)"))->str(), "quantized_sigmoid(5,1)");
  // ...and reading those strings back binds the flags positionally, exactly as safe_eval does.
  EXPECT_EQ(makeQuantizer(json("quantized_tanh(4,1)"))->config()["use_stochastic_rounding"], 1);
}

TEST(QuantProperties, NonFiniteInputsFollowTheSteExpression) {
  // QKeras's STE output x + qnoise*(xq - x) is NaN for ±inf inputs; NaN stays NaN.
  for (const char* spec : {"quantized_bits(8,0)", "quantized_po2(5)", "quantized_linear(4,0)"}) {
    SCOPED_TRACE(spec);
    const QuantizerPtr q = makeQuantizer(json(spec));
    const Tensor y = (*q)(Tensor({3}, {INFINITY, -INFINITY, NAN}));
    for (float v : y.data) EXPECT_TRUE(std::isnan(v));
  }
  // No STE: tanh/sigmoid quantizers saturate on ±inf.
  const Tensor t = (*makeQuantizer(json("quantized_tanh(4)")))(Tensor({2}, {INFINITY, -INFINITY}));
  EXPECT_EQ(t.data, (std::vector<float>{0.875f, -1.0f}));
  // quantized_relu clips x_u but rounds x itself: round_through(±inf) is NaN and TF's clip
  // propagates it, so both infinities give NaN.
  const Tensor r = (*makeQuantizer(json("quantized_relu(4)")))(Tensor({2}, {INFINITY, -INFINITY}));
  EXPECT_TRUE(std::isnan(r.data[0]));
  EXPECT_TRUE(std::isnan(r.data[1]));
}

}  // namespace
}  // namespace qkw
