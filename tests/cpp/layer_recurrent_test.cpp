// QSimpleRNN / QLSTM / QGRU / Keras RNNs and Bidirectional against a straightforward
// re-implementation written here from Keras's and QKeras's cell code (double precision, no
// shared code with src/layers/recurrent.cpp). With dyadic weights and inputs, hard_sigmoid /
// hard_tanh activations and 4-bit fixed-point quantizers every intermediate is exact in float32,
// so the comparison is exact; with tanh / sigmoid it is a tolerance (float32 vs double
// transcendental functions: 2e-6 absolute over a few steps of |values| <= 1).
#include <cmath>
#include <functional>

#include "graph/model.h"
#include "layer_test_helpers.h"
#include "layers/layer_factories.h"
#include "quant/keras_batch.h"

namespace qkw {
namespace {

using layer_test::build;
using layer_test::run;
using layer_test::weight;
using json = qkw::Json;
using Fn = std::function<double(double)>;

double q4(double x) {  // quantized_bits(4,0,1,alpha=1) (symmetric=1): step 1/8, [-7/8, 7/8]
  double r = std::nearbyint(x * 8.0);
  return std::min(std::max(r, -7.0), 7.0) / 8.0;
}
double hardSigmoid(double x) { return std::min(std::max(0.5 * x + 0.5, 0.0), 1.0); }
double hardTanh(double x) { return 2.0 * hardSigmoid(x) - 1.0; }
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct Ref {
  char kind;  // 's', 'l', 'g'
  int in, units;
  std::vector<double> K, U, b, rb;  // K (in, G*u), U (u, G*u); rb: GRU reset_after recurrent bias
  bool resetAfter = false;
  Fn act, ract, stateQ = [](double x) { return x; };

  std::vector<double> dot(const std::vector<double>& x, const std::vector<double>& W, int rows, int cols, int c0,
                          int n) const {
    std::vector<double> y(n, 0.0);
    for (int j = 0; j < n; ++j)
      for (int k = 0; k < rows; ++k) y[j] += x[k] * W[k * cols + c0 + j];
    return y;
  }
  // Runs one sample (T, in); returns all outputs (T, units) in processing order.
  std::vector<double> run(const std::vector<double>& xs, int T, bool backwards) const {
    const int u = units, G = (kind == 's' ? 1 : kind == 'l' ? 4 : 3) * u;
    std::vector<double> h(u, 0.0), c(u, 0.0), out;
    for (int s = 0; s < T; ++s) {
      const int t = backwards ? T - 1 - s : s;
      std::vector<double> x(xs.begin() + t * in, xs.begin() + (t + 1) * in), hq(u), cq(u);
      for (int j = 0; j < u; ++j) hq[j] = stateQ(h[j]), cq[j] = stateQ(c[j]);
      std::vector<double> xk = dot(x, K, in, G, 0, G), hu = dot(hq, U, u, G, 0, G);
      for (int j = 0; j < G; ++j) xk[j] += b.empty() ? 0.0 : b[j];
      if (kind == 's') {
        for (int j = 0; j < u; ++j) h[j] = act(xk[j] + hu[j]);
      } else if (kind == 'l') {
        for (int j = 0; j < u; ++j) {
          const double i = ract(xk[j] + hu[j]), f = ract(xk[u + j] + hu[u + j]);
          const double g = act(xk[2 * u + j] + hu[2 * u + j]), o = ract(xk[3 * u + j] + hu[3 * u + j]);
          c[j] = f * cq[j] + i * g;
          h[j] = o * act(c[j]);
        }
      } else {
        if (resetAfter)
          for (int j = 0; j < G; ++j) hu[j] += rb.empty() ? 0.0 : rb[j];
        std::vector<double> z(u), r(u), rh(u);
        for (int j = 0; j < u; ++j) z[j] = ract(xk[j] + hu[j]), r[j] = ract(xk[u + j] + hu[u + j]);
        std::vector<double> rhPrev(u);
        for (int j = 0; j < u; ++j) rhPrev[j] = r[j] * hq[j];
        std::vector<double> rec = dot(rhPrev, U, u, G, 2 * u, u);
        for (int j = 0; j < u; ++j) {
          const double hh = act(xk[2 * u + j] + (resetAfter ? r[j] * hu[2 * u + j] : rec[j]));
          h[j] = z[j] * hq[j] + (1 - z[j]) * hh;
        }
      }
      out.insert(out.end(), h.begin(), h.end());
    }
    return out;
  }
};

// Dyadic pseudo-random values k/16 in [-1, 1).
std::vector<float> dyadic(size_t n, int seed) {
  std::vector<float> v(n);
  uint32_t s = 2654435761u * static_cast<uint32_t>(seed + 1);
  for (size_t i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    v[i] = static_cast<float>(static_cast<int>((s >> 16) % 32) - 16) / 16.0f;
  }
  return v;
}
std::vector<double> toDouble(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

struct Case {
  std::string cls;
  json config;
  int in = 3, units = 2, T = 4, batch = 2;
};

// Builds the layer and the reference with the same weights; compares return_sequences outputs.
void check(const Case& c, Ref ref, double tolerance, bool quantizeWeights) {
  const int G = (ref.kind == 's' ? 1 : ref.kind == 'l' ? 4 : 3) * c.units;
  auto K = dyadic(c.in * G, 1), U = dyadic(c.units * G, 2), b = dyadic(ref.resetAfter ? 2 * G : G, 3);
  std::vector<WeightInput> w{weight("kernel", {c.in, G}, K), weight("recurrent_kernel", {c.units, G}, U),
                             ref.resetAfter ? weight("bias", {2, G}, b) : weight("bias", {G}, b)};
  ref.in = c.in;
  ref.units = c.units;
  auto qv = [&](std::vector<float> v) {
    std::vector<double> d = toDouble(v);
    if (quantizeWeights)
      for (double& x : d) x = q4(x);
    return d;
  };
  ref.K = qv(K);
  ref.U = qv(U);
  std::vector<double> bd = toDouble(b);
  ref.b.assign(bd.begin(), bd.begin() + G);
  if (ref.resetAfter) ref.rb.assign(bd.begin() + G, bd.end());
  json config = c.config;
  config["units"] = c.units;
  config["return_sequences"] = true;
  LayerPtr layer = build(c.cls, config, w);
  Tensor x({c.batch, c.T, c.in}, dyadic(c.batch * c.T * c.in, 4));
  Tensor y = run(*layer, x);
  ASSERT_EQ(y.shape, (Shape{c.batch, c.T, c.units}));
  const bool backwards = config.value("go_backwards", false);
  for (int r = 0; r < c.batch; ++r) {
    std::vector<double> xs(x.data.begin() + r * c.T * c.in, x.data.begin() + (r + 1) * c.T * c.in);
    std::vector<double> expected = ref.run(xs, c.T, backwards);
    for (int i = 0; i < c.T * c.units; ++i) {
      const float got = y.data[r * c.T * c.units + i];
      if (tolerance == 0)
        EXPECT_EQ(got, static_cast<float>(expected[i])) << c.cls << " sample " << r << " index " << i;
      else
        EXPECT_NEAR(got, expected[i], tolerance) << c.cls << " sample " << r << " index " << i;
    }
  }
}

const json kQ4 = "quantized_bits(4,0,1,alpha=1)";

TEST(Recurrent, QSimpleRNNQuantizedIsExact) {
  Ref ref{'s'};
  ref.act = hardTanh;
  ref.stateQ = q4;
  check({"QSimpleRNN", {{"activation", "hard_tanh"}, {"kernel_quantizer", kQ4}, {"recurrent_quantizer", kQ4},
                        {"state_quantizer", kQ4}}},
        ref, 0, true);
}

TEST(Recurrent, QLSTMBothImplementationsQuantizedAreExact) {
  for (int impl : {1, 2}) {
    Ref ref{'l'};
    ref.act = hardTanh;
    ref.ract = hardSigmoid;  // QKeras default: slope 0.5
    ref.stateQ = q4;
    check({"QLSTM", {{"activation", "hard_tanh"}, {"implementation", impl}, {"kernel_quantizer", kQ4},
                     {"recurrent_quantizer", kQ4}, {"state_quantizer", kQ4}}},
          ref, 0, true);
  }
}

TEST(Recurrent, QGRUResetBeforeAndAfterQuantizedAreExact) {
  for (bool after : {false, true}) {
    Ref ref{'g'};
    ref.act = hardTanh;
    ref.ract = hardSigmoid;
    ref.stateQ = q4;
    ref.resetAfter = after;
    check({"QGRU", {{"activation", "hard_tanh"}, {"reset_after", after}, {"kernel_quantizer", kQ4},
                    {"recurrent_quantizer", kQ4}, {"state_quantizer", kQ4}, {"go_backwards", after}}},
          ref, 0, true);
  }
}

TEST(Recurrent, KerasFloatCellsWithinTolerance) {
  for (const char* cls : {"SimpleRNN", "LSTM", "GRU"}) {
    Ref ref{cls[0] == 'S' ? 's' : cls[0] == 'L' ? 'l' : 'g'};
    ref.act = [](double x) { return std::tanh(x); };
    ref.ract = sigmoid;
    ref.resetAfter = ref.kind == 'g';  // Keras GRU default
    check({cls, json::object()}, ref, 2e-6, false);
  }
}

TEST(Recurrent, KerasHardSigmoidIsKerasSlope) {
  Ref ref{'l'};
  ref.act = [](double x) { return std::tanh(x); };
  ref.ract = [](double x) { return std::min(std::max(0.2 * x + 0.5, 0.0), 1.0); };
  check({"LSTM", {{"recurrent_activation", "hard_sigmoid"}}}, ref, 2e-6, false);
}

TEST(Recurrent, ZeroRecurrentKernelEqualsTheCellStepByStep) {
  const int in = 3, u = 2, T = 5;
  std::vector<WeightInput> w{weight("kernel", {in, u}, dyadic(in * u, 7)),
                             weight("recurrent_kernel", {u, u}, std::vector<float>(u * u, 0.0f)),
                             weight("bias", {u}, dyadic(u, 8))};
  LayerPtr seq = build("QSimpleRNN", {{"units", u}, {"return_sequences", true}, {"kernel_quantizer", kQ4}}, w);
  LayerPtr one = build("QSimpleRNN", {{"units", u}, {"kernel_quantizer", kQ4}}, w);
  Tensor x({1, T, in}, dyadic(T * in, 9));
  Tensor all = run(*seq, x);
  for (int t = 0; t < T; ++t) {
    Tensor xt({1, 1, in}, std::vector<float>(x.data.begin() + t * in, x.data.begin() + (t + 1) * in));
    Tensor yt = run(*one, xt);
    for (int j = 0; j < u; ++j) EXPECT_EQ(all.data[t * u + j], yt.data[j]) << "step " << t;
  }
}

TEST(Recurrent, QGRUQuirkUsesTheInputKernelOrFailsLikeQKeras) {
  const int u = 2, G = 3 * u;
  auto K = dyadic(u * G, 1);
  std::vector<WeightInput> w{weight("kernel", {u, G}, K), weight("recurrent_kernel", {u, G}, dyadic(u * G, 2)),
                             weight("bias", {G}, dyadic(G, 3))};
  // No recurrent_quantizer: the unquantized input kernel is the recurrent kernel.
  LayerPtr quirk = build("QGRU", {{"units", u}, {"activation", "hard_tanh"}, {"kernel_quantizer", kQ4}}, w);
  std::vector<WeightInput> w2 = w;
  w2[1].tensor.data = K;
  LayerPtr same = build("QGRU", {{"units", u}, {"activation", "hard_tanh"}, {"kernel_quantizer", kQ4},
                                 {"recurrent_quantizer", "quantized_bits(16,6,1,alpha=1)"}},
                        w2);
  Tensor x({1, 3, u}, dyadic(3 * u, 5));
  EXPECT_EQ(run(*quirk, x).data, run(*same, x).data);
  std::vector<WeightInput> w3{weight("kernel", {3, G}, dyadic(3 * G, 1)), w[1], w[2]};
  layer_test::expectThrowsWith<Unsupported>([&] { build("QGRU", {{"units", u}}, w3); },
                                            {"layer_under_test", "QGRU", "recurrent_quantizer", "input size 3"});
}

TEST(Recurrent, RejectsStatefulAndBadShapes) {
  std::vector<WeightInput> w{weight("kernel", {3, 8}, dyadic(24, 1)), weight("recurrent_kernel", {2, 8}, dyadic(16, 2)),
                             weight("bias", {8}, dyadic(8, 3))};
  layer_test::expectThrowsWith<Unsupported>([&] { build("LSTM", {{"units", 2}, {"stateful", true}}, w); },
                                            {"LSTM", "stateful=True"});
  layer_test::expectThrowsWith([&] { build("LSTM", {{"units", 3}}, w); }, {"kernel", "expected (in, 12)"});
  LayerPtr l = build("LSTM", {{"units", 2}}, w);
  layer_test::expectThrowsWith([&] { l->outputShape({{4, 5}}); }, {"input size 3"});
}

TEST(Recurrent, SequenceLengthOneAndLastOutput) {
  std::vector<WeightInput> w{weight("kernel", {3, 8}, dyadic(24, 1)), weight("recurrent_kernel", {2, 8}, dyadic(16, 2)),
                             weight("bias", {8}, dyadic(8, 3))};
  LayerPtr last = build("QLSTM", {{"units", 2}, {"activation", "hard_tanh"}}, w);
  LayerPtr all = build("QLSTM", {{"units", 2}, {"activation", "hard_tanh"}, {"return_sequences", true}}, w);
  Tensor x({2, 1, 3}, dyadic(6, 4));
  EXPECT_EQ(run(*last, x).data, run(*all, x).data);
  Tensor x4({2, 4, 3}, dyadic(24, 4));
  Tensor seq = run(*all, x4), fin = run(*last, x4);
  for (int r = 0; r < 2; ++r)
    for (int j = 0; j < 2; ++j) EXPECT_EQ(fin.data[r * 2 + j], seq.data[(r * 4 + 3) * 2 + j]);
}

TEST(Recurrent, BidirectionalPalindromeIsSymmetric) {
  const int in = 2, u = 3, G = 4 * u, T = 5;
  std::vector<WeightInput> w;
  for (int k = 0; k < 2; ++k) {
    w.push_back(weight("kernel", {in, G}, dyadic(in * G, 1), 3 * k));
    w.push_back(weight("recurrent_kernel", {u, G}, dyadic(u * G, 2), 3 * k + 1));
    w.push_back(weight("bias", {G}, dyadic(G, 3), 3 * k + 2));
  }
  json inner = {{"class_name", "QLSTM"}, {"config", {{"units", u}, {"return_sequences", true}, {"activation", "hard_tanh"}}}};
  LayerPtr bi = build("QBidirectional", {{"layer", inner}, {"merge_mode", "concat"}}, w);
  std::vector<float> xs = dyadic(T * in, 6);
  for (int t = 0; t < T / 2; ++t)
    for (int k = 0; k < in; ++k) xs[(T - 1 - t) * in + k] = xs[t * in + k];
  Tensor y = run(*bi, Tensor({1, T, in}, xs));
  ASSERT_EQ(y.shape, (Shape{1, T, 2 * u}));
  for (int t = 0; t < T; ++t)
    for (int j = 0; j < u; ++j) EXPECT_EQ(y.data[t * 2 * u + j], y.data[(T - 1 - t) * 2 * u + u + j]) << t;
  for (const char* mode : {"sum", "ave", "mul"}) {
    LayerPtr m = build("Bidirectional", {{"layer", inner}, {"merge_mode", mode}}, w);
    Tensor ym = run(*m, Tensor({1, T, in}, xs));
    for (int t = 0; t < T; ++t)
      for (int j = 0; j < u; ++j) {
        const float a = y.data[t * 2 * u + j], b = y.data[t * 2 * u + u + j];
        const float e = std::string(mode) == "sum" ? a + b : std::string(mode) == "ave" ? (a + b) / 2.0f : a * b;
        EXPECT_EQ(ym.data[t * u + j], e) << mode;
      }
  }
}

}  // namespace
}  // namespace qkw

namespace qkw {
namespace {

TEST(QScaleShift, ScalesShiftsAndQuantizesBothSlots) {
  using layer_test::build;
  using layer_test::run;
  using layer_test::weight;
  // q_w(0.3) = round(2.4)/8 = 0.25, q_b(0.1) = round(0.8)/8 = 0.125; y = q_b + x * q_w.
  LayerPtr l = build("QScaleShift",
                     {{"weight_quantizer", "quantized_bits(4,0,1,alpha=1)"},
                      {"bias_quantizer", "quantized_bits(4,0,1,alpha=1)"},
                      {"activation", nullptr}},
                     {weight("weight", {1, 1}, {0.3f}), weight("bias", {1, 1}, {0.1f}, 1)});
  layer_test::expectValues(run(*l, Tensor({1, 3}, {1.0f, 2.0f, -3.0f})), {1, 3}, {0.375f, 0.625f, -0.625f});
  // The bias slot gets the weight-slot alpha rewrite too (qmac.py calls _set_trainable_parameter on both).
  LayerPtr r = build("QScaleShift", {{"weight_quantizer", "quantized_bits(4,0,1)"}, {"bias_quantizer", "quantized_bits(4,0,1)"}},
                     {weight("weight", {1, 1}, {0.3f}), weight("bias", {1, 1}, {0.1f}, 1)});
  for (const QuantizerSlot& s : r->quantizers())
    if (s.slot != "activation") EXPECT_EQ(s.quantizer->config()["alpha"], "auto_po2") << s.slot;
  LayerPtr act = build("QScaleShift", {{"activation", "quantized_relu(3,0)"}, {"use_bias", false}},
                       {weight("weight", {1, 1}, {0.5f})});
  layer_test::expectValues(run(*act, Tensor({1, 3}, {1.0f, -1.0f, 0.75f})), {1, 3}, {0.5f, 0.0f, 0.375f});
}

// QAdaptiveActivation's first call after loading: integer=0 whatever the EMAs say (its integer
// bits are build()'s value from zero EMAs; the file stores only step, ema_min, ema_max).
TEST(QAdaptiveActivation, FirstCallQuantizesWithIntegerZero) {
  const std::vector<WeightInput> emas = {weight("Variable", {}, {5.0f}), weight("ema_min", {1}, {-3.0f}, 1),
                                         weight("ema_max", {1}, {6.0f}, 2)};
  // quantized_bits(4, 0, symmetric, alpha=1): steps of 1/8, clipped to +-7/8.
  LayerPtr bits = build("QAdaptiveActivation", {{"activation", "quantized_bits"}, {"total_bits", 4}}, emas);
  layer_test::expectValues(run(*bits, Tensor({1, 6}, {0.3f, -0.3f, 5.0f, -5.0f, 0.0625f, 0.1875f})), {1, 6},
                           {0.25f, -0.25f, 0.875f, -0.875f, 0.0f, 0.25f});
  // symmetric=False reaches -1.
  LayerPtr asym = build("QAdaptiveActivation",
                        {{"activation", "quantized_bits"}, {"total_bits", 4}, {"symmetric", false}}, emas);
  layer_test::expectValues(run(*asym, Tensor({1, 2}, {-5.0f, 5.0f})), {1, 2}, {-1.0f, 0.875f});
  // quantized_relu(3, 0), unclipped relu under the STE sum: steps of 1/8 up to 7/8.
  LayerPtr relu = build("QAdaptiveActivation", {{"activation", "quantized_relu"}, {"total_bits", 3}}, emas);
  layer_test::expectValues(run(*relu, Tensor({1, 4}, {-1.0f, 0.3f, 0.9f, 4.0f})), {1, 4}, {0.0f, 0.25f, 0.875f, 0.875f});
  ASSERT_EQ(relu->quantizers().size(), 1u);
  EXPECT_EQ(relu->quantizers()[0].quantizer->str(), "quantized_relu(3,0)");
  // Position-only files: [step, ema_min, ema_max] or just the EMAs.
  LayerPtr positional = build("QAdaptiveActivation", {{"activation", "quantized_bits"}, {"total_bits", 4}},
                              {weight("", {1}, {-1.0f}, 0), weight("", {1}, {1.0f}, 1)});
  layer_test::expectValues(run(*positional, Tensor({1, 1}, {0.3f})), {1, 1}, {0.25f});
}

// model.predict right after loading: the first `adaptiveFirstBatch` samples of a call use
// integer=0, later ones the EMA bits (here _get_integer_bits(-3, 6, 4) = 3: steps of 1, +-7);
// trace pieces shift the batch index (setFirstSample); 0 ('ema'): every sample the EMA bits.
TEST(QAdaptiveActivation, FirstBatchUsesIntegerZeroLaterSamplesTheEmaBits) {
  const json config = {{"activation", "quantized_bits"}, {"total_bits", 4}};
  const auto make = [&](int64_t firstBatch, const std::vector<WeightInput>& w) {
    LayerContext ctx{"qaa", "QAdaptiveActivation", config, w, {}};
    ctx.quantizerOptions.adaptiveFirstBatch = firstBatch;
    return LayerRegistry::instance().find("QAdaptiveActivation")->operator()(ctx);
  };
  const std::vector<WeightInput> emas = {weight("Variable", {}, {5.0f}), weight("ema_min", {1}, {-3.0f}, 1),
                                         weight("ema_max", {1}, {6.0f}, 2)};
  const Tensor x({3, 2}, {0.3f, 5.0f, 0.3f, 5.0f, 2.6f, -9.0f});
  LayerPtr l = make(2, emas);
  layer_test::expectValues(run(*l, x), {3, 2}, {0.25f, 0.875f, 0.25f, 0.875f, 3.0f, -7.0f});
  {
    CallPositionScope at(1, 4);  // rows are samples 1, 2, 3 of a 4-sample call (trace in pieces)
    layer_test::expectValues(run(*l, x), {3, 2}, {0.25f, 0.875f, 0.0f, 5.0f, 3.0f, -7.0f});
  }
  LayerPtr ema = make(0, emas);
  layer_test::expectValues(run(*ema, x), {3, 2}, {0.0f, 5.0f, 0.0f, 5.0f, 3.0f, -7.0f});
  // Per channel, different bits: channel 0 from (0, 0.4) -> 0, channel 1 from (0, 3.1) -> 2.
  const json pc = {{"activation", "quantized_bits"}, {"total_bits", 4}, {"per_channel", true}};
  LayerContext ctx{"qaa", "QAdaptiveActivation", pc,
                   {weight("Variable", {}, {5.0f}), weight("ema_min", {2}, {0.0f, 0.0f}, 1), weight("ema_max", {2}, {0.4f, 3.1f}, 2)}, {}};
  ctx.quantizerOptions.adaptiveFirstBatch = 1;
  LayerPtr perChannel = LayerRegistry::instance().find("QAdaptiveActivation")->operator()(ctx);
  layer_test::expectValues(run(*perChannel, Tensor({2, 2}, {0.3f, 0.3f, 0.3f, 0.3f})), {2, 2}, {0.25f, 0.25f, 0.25f, 0.5f});
}

TEST(QAdaptiveActivation, LoadOptionsAdaptiveActivationAndPredictBatchSize) {
  EXPECT_EQ(modelOptionsFromJson(nullptr).quantizerOptions.adaptiveFirstBatch, 32);
  EXPECT_EQ(modelOptionsFromJson(json::parse(R"({"adaptiveActivation": "ema", "predictBatchSize": 8})")).quantizerOptions.adaptiveFirstBatch, 0);
  EXPECT_EQ(modelOptionsFromJson(json::parse(R"({"adaptiveActivation": "after-load", "predictBatchSize": 8})")).quantizerOptions.adaptiveFirstBatch, 8);
  layer_test::expectThrowsWith([] { modelOptionsFromJson(json::parse(R"({"adaptiveActivation": "first"})")); },
                               {"option 'adaptiveActivation' must be 'after-load' or 'ema', got \"first\""});
  for (const char* bad : {R"({"predictBatchSize": 0})", R"({"predictBatchSize": 1.5})", R"({"predictBatchSize": "32"})"})
    layer_test::expectThrowsWith([&] { modelOptionsFromJson(json::parse(bad)); }, {"option 'predictBatchSize' must be a positive integer"});
}

TEST(QAdaptiveActivation, RejectsWhatQKerasRejectsAndBadWeights) {
  const std::vector<WeightInput> emas = {weight("ema_min", {1}, {0.0f}), weight("ema_max", {1}, {1.0f}, 1)};
  layer_test::expectThrowsWith<Error>(
      [&] { build("QAdaptiveActivation", {{"activation", "quantized_relu(4,0)"}, {"total_bits", 4}}, emas); },
      {"QAdaptiveActivation", "invalid activation \"quantized_relu(4,0)\"", "ValueError"});
  layer_test::expectThrowsWith<Error>(
      [&] { build("QAdaptiveActivation", {{"activation", "quantized_tanh"}, {"total_bits", 4}}, emas); },
      {"invalid activation \"quantized_tanh\""});
  layer_test::expectThrowsWith<Error>(
      [] { build("QAdaptiveActivation", {{"activation", "quantized_bits"}, {"total_bits", 4}}, {}); },
      {"missing weight 'ema_min'"});
  layer_test::expectThrowsWith<Error>(
      [] {
        build("QAdaptiveActivation", {{"activation", "quantized_bits"}, {"total_bits", 4}},
              {weight("ema_min", {2}, {0.0f, 0.0f}), weight("ema_max", {2}, {1.0f, 1.0f}, 1)});
      },
      {"ema_min (2,)", "per_channel=True"});
  layer_test::expectThrowsWith<Unsupported>(
      [&] {
        build("QAdaptiveActivation",
              {{"activation", "quantized_relu"}, {"total_bits", 4}, {"relu_neg_slope", 0.3}}, emas);
      },
      {"relu_neg_slope=0.3"});
}

}  // namespace
}  // namespace qkw

namespace qkw {
namespace {

// Every layer class qkeras/__init__.py exports (v0.9.0: qlayers, qconvolutional, qpooling,
// qnormalization, qmac, qrecurrent, the *_batchnorm and *_transpose modules) is registered: a
// model with it either runs or fails with that layer's own reason, never as "unknown".
TEST(Registry, EveryQKerasLayerClassIsKnown) {
  for (const char* cls :
       {"QActivation", "QAdaptiveActivation", "QDense", "QScaleShift", "QConv1D", "QConv2D", "QConv2DTranspose",
        "QSeparableConv1D", "QSeparableConv2D", "QDepthwiseConv2D", "QAveragePooling2D", "QGlobalAveragePooling2D",
        "QBatchNormalization", "QConv2DBatchnorm", "QDepthwiseConv2DBatchnorm", "QDepthwiseConv2DTranspose",
        "QSeparableConv2DTranspose", "QDenseBatchnorm", "QSimpleRNN", "QLSTM", "QGRU", "QBidirectional",
        "SimpleRNN", "LSTM", "GRU", "Bidirectional", "Masking", "Embedding", "TimeDistributed",
        // exported by QKeras master 2024-09-23..2024-10-14 only
        "QSeparableConv2DTransposeCPU", "QSeparableConv2DTransposeTPU",
        // layer classes too (qrecurrent.py), normally nested in RNN(cell=...)
        "QSimpleRNNCell", "QLSTMCell", "QGRUCell"})
    EXPECT_NE(LayerRegistry::instance().find(cls), nullptr) << cls;
  layer_test::expectThrowsWith<Unsupported>([] { build("QLSTMCell", {{"units", 2}}); },
                                            {"QLSTMCell", "cell used as a layer on its own", "RNN(cell=...)"});
}

}  // namespace
}  // namespace qkw

namespace qkw {
namespace {

TEST(Recurrent, GenericRnnOverACellMatchesTheLayer) {
  using layer_test::build;
  using layer_test::run;
  using layer_test::weight;
  std::vector<WeightInput> w{weight("kernel", {3, 8}, dyadic(24, 1)), weight("recurrent_kernel", {2, 8}, dyadic(16, 2)),
                             weight("bias", {8}, dyadic(8, 3))};
  json cellConfig = {{"units", 2}, {"activation", "hard_tanh"}, {"kernel_quantizer", kQ4}, {"state_quantizer", kQ4}};
  LayerPtr layer = build("QLSTM", [&] { json c = cellConfig; c["return_sequences"] = true; return c; }(), w);
  LayerPtr generic = build("RNN", {{"cell", {{"class_name", "QLSTMCell"}, {"config", cellConfig}}}, {"return_sequences", true}}, w);
  Tensor x({2, 4, 3}, dyadic(24, 4));
  EXPECT_EQ(run(*generic, x).data, run(*layer, x).data);
  layer_test::expectThrowsWith<Unsupported>(
      [&] { build("RNN", {{"cell", {{"class_name", "MinimalRNNCell"}, {"config", json::object()}}}}, w); },
      {"MinimalRNNCell"});
}

}  // namespace
}  // namespace qkw
