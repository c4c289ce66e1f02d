// QActivation, Activation, ReLU, LeakyReLU, PReLU, Softmax.
#include <array>
#include <cmath>
#include <cstring>

#include "layer_test_helpers.h"
#include "quant/keras_batch.h"
#include "quant/tf_math.h"

namespace qkw {
namespace {

using namespace layer_test;
using json = qkw::Json;

TEST(LayerQActivation, QuantizerString) {
  auto layer = build("QActivation", {{"activation", "quantized_relu(2,0)"}});
  expectValues(run(*layer, Tensor({1, 4}, {-1, 0.125f, 0.375f, 2})), {1, 4}, {0, 0, 0.5f, 0.75f});
  ASSERT_NE(layer->outputQuantizer(), nullptr);
  EXPECT_EQ(layer->quantizers().size(), 1u);
}

TEST(LayerQActivation, QuantizerDict) {
  json spec = {{"class_name", "quantized_bits"},
               {"config", {{"bits", 4}, {"integer", 0}, {"symmetric", 1}, {"alpha", 1}, {"keep_negative", true}}},
               {"__passive_serialization__", true}};
  auto layer = build("QActivation", {{"activation", spec}});
  expectValues(run(*layer, Tensor({1, 3}, {0.3f, -2, 0.0625f})), {1, 3}, {0.25f, -0.875f, 0});
}

TEST(LayerQActivation, KerasAndQKerasFunctionNamesAreFloat) {
  auto relu = build("QActivation", {{"activation", "relu"}});
  expectValues(run(*relu, Tensor({1, 2}, {-1, 0.3f})), {1, 2}, {0, 0.3f});
  EXPECT_EQ(relu->outputQuantizer(), nullptr);
  auto hs = build("QActivation", {{"activation", "hard_sigmoid"}});
  expectValues(run(*hs, Tensor({1, 3}, {1, -3, 0.5f})), {1, 3}, {1, 0, 0.75f});
  auto bt = build("QActivation", {{"activation", "binary_tanh"}});
  expectValues(run(*bt, Tensor({1, 3}, {0, 0.5f, -0.5f})), {1, 3}, {-1, 1, -1});
}

TEST(LayerActivation, KerasHardSigmoidHasSlopeOneFifth) {
  auto layer = build("Activation", {{"activation", "hard_sigmoid"}});
  Tensor y = run(*layer, Tensor({1, 3}, {1, -3, 5}));
  EXPECT_EQ(y.data[0], 1.0f * 0.2f + 0.5f);
  EXPECT_EQ(y.data[1], 0.0f);
  EXPECT_EQ(y.data[2], 1.0f);
}

TEST(LayerActivation, SoftmaxOnTheLastAxis) {
  auto layer = build("Activation", {{"activation", "softmax"}});
  Tensor y = run(*layer, Tensor({2, 2}, {0, std::log(3.0f), 5, 5}));
  EXPECT_NEAR(y.data[0], 0.25f, 1e-7);
  EXPECT_NEAR(y.data[1], 0.75f, 1e-7);
  EXPECT_EQ(y.data[2], 0.5f);
  EXPECT_EQ(y.data[3], 0.5f);
}

TEST(LayerActivation, FloatFunctions) {
  auto eval = [](const std::string& name, float x) {
    auto layer = build("Activation", {{"activation", name}});
    return run(*layer, Tensor({1, 1}, {x})).data[0];
  };
  EXPECT_EQ(eval("linear", -2.5f), -2.5f);
  EXPECT_EQ(eval("relu6", 7), 6);
  float tanhHalf;  // TF's tanh(0.5): Eigen's rational, 0x3eec9a9f
  const uint32_t tanhHalfBits = 0x3eec9a9f;
  std::memcpy(&tanhHalf, &tanhHalfBits, sizeof tanhHalf);
  EXPECT_EQ(eval("tanh", 0.5f), tanhHalf);
  EXPECT_EQ(eval("sigmoid", 0), 0.5f);
  EXPECT_EQ(eval("elu", -1), std::exp(-1.0f) - 1.0f);
  EXPECT_EQ(eval("softsign", 1), 0.5f);
  EXPECT_EQ(eval("exponential", 0), 1.0f);
  EXPECT_EQ(eval("swish", 0), 0.0f);
  EXPECT_NEAR(eval("softplus", 0), std::log(2.0f), 1e-7);
  EXPECT_NEAR(eval("gelu", 1), 0.8413447f, 1e-6);
  EXPECT_NEAR(eval("selu", 1), 1.0507010f, 1e-6);
}

TEST(LayerActivation, UnknownNamesTheLayerAndValue) {
  expectThrowsWith([] { build("Activation", {{"activation", "quantized_relu(4)"}}); },
                   {"layer_under_test", "quantized_relu(4)"});
  expectThrowsWith([] { build("QActivation", {{"activation", "wobble"}}); }, {"layer_under_test", "wobble"});
}

TEST(LayerReLU, MaxValueSlopeThreshold) {
  auto layer = build("ReLU", {{"max_value", 6.0}, {"negative_slope", 0.5}, {"threshold", 1.0}});
  expectValues(run(*layer, Tensor({1, 4}, {-2, 0.5f, 3, 10})), {1, 4}, {-1.5f, -0.25f, 3, 6});
  auto plain = build("ReLU", {{"max_value", nullptr}, {"negative_slope", 0.0}, {"threshold", 0.0}});
  expectValues(run(*plain, Tensor({1, 2}, {-2, 8})), {1, 2}, {0, 8});
  auto capped = build("ReLU", {{"max_value", 1.5}});
  expectValues(run(*capped, Tensor({1, 2}, {-2, 8})), {1, 2}, {0, 1.5f});
}

TEST(LayerLeakyReLU, Alpha) {
  auto layer = build("LeakyReLU", {{"alpha", 0.25}});
  expectValues(run(*layer, Tensor({1, 2}, {-4, 2})), {1, 2}, {-1, 2});
  auto keras3 = build("LeakyReLU", {{"negative_slope", 0.5}});
  expectValues(run(*keras3, Tensor({1, 1}, {-4})), {1, 1}, {-2});
}

TEST(LayerPReLU, SharedAxesBroadcast) {
  // input (3, 2) per sample, alpha (1, 2): shared over the first axis.
  auto layer = build("PReLU", {{"shared_axes", {1}}}, {weight("alpha", {1, 2}, {0.5f, 0.25f})});
  expectValues(run(*layer, Tensor({1, 3, 2}, {-2, -4, 2, 4, -1, -1})), {1, 3, 2}, {-1, -1, 2, 4, -0.5f, -0.25f});
}

TEST(LayerSoftmax, AxisOne) {
  auto layer = build("Softmax", {{"axis", 1}});
  Tensor y = run(*layer, Tensor({1, 2, 2}, {0, 7, 0, 7}));
  EXPECT_EQ(y.data, (std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f}));
  auto tooFar = build("Softmax", {{"axis", 2}});
  expectThrowsWith([&] { tooFar->outputShape({{4}}); }, {"layer_under_test", "axis 2"});
  auto last = build("Softmax", json::object());
  EXPECT_EQ(run(*last, Tensor({1, 2, 2}, {0, 0, 3, 3})).data, (std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f}));
}

// TF's element-wise kernels: packets of 8 floats per model.predict batch, scalar functor after.
TEST(LayerActivation, SigmoidTakesThePacketPathOnWholePackets) {
  auto layer = build("Activation", {{"activation", "sigmoid"}});
  Tensor y = run(*layer, Tensor({1, 9}, std::vector<float>(9, 1.0f)));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y.data[i], quant::eigenSigmoidPacketf(1.0f)) << i;
  EXPECT_EQ(y.data[8], quant::eigenSigmoidScalarf(1.0f));
  EXPECT_NE(y.data[0], y.data[8]);
}

// One class per row: every e is 1 and every sum 1; TF's Eigen reciprocal of 1 on a whole packet
// of 8 rows is 0.99999994, the scalar tail's is 1. Keras predicts in batches of 32 samples.
TEST(LayerSoftmax, PacketRowsFollowKerasPredictBatches) {
  auto layer = build("Activation", {{"activation", "softmax"}});
  const float packetOne = std::nextafter(1.0f, 0.0f);
  Tensor y = run(*layer, Tensor({33, 1}, std::vector<float>(33, 2.0f)));
  for (int r = 0; r < 32; ++r) EXPECT_EQ(y.data[r], packetOne) << r;
  EXPECT_EQ(y.data[32], 1.0f) << "second batch of one sample: scalar tail";
  Tensor z = run(*layer, Tensor({41, 1}, std::vector<float>(41, -1.0f)));
  for (int r = 32; r < 40; ++r) EXPECT_EQ(z.data[r], packetOne) << r;
  EXPECT_EQ(z.data[40], 1.0f);

  // oneDNN's kernel divides exactly.
  LayerContext ctx{"sm", "Softmax", json::object(), {}, {}};
  ctx.quantizerOptions.oneDnnKernels = true;
  auto onednn = LayerRegistry::instance().find("Softmax");
  ASSERT_NE(onednn, nullptr);
  Tensor w = run(*(*onednn)(ctx), Tensor({33, 1}, std::vector<float>(33, 2.0f)));
  for (float v : w.data) EXPECT_EQ(v, 1.0f);
}

// A non-last axis: TF moves it last, so rows are (outer, inner) positions.
TEST(LayerSoftmax, AxisOneMatchesTheTransposedRows) {
  auto layer = build("Softmax", {{"axis", 1}});
  std::vector<float> x(2 * 3 * 4);
  for (size_t i = 0; i < x.size(); ++i) x[i] = -0.37f * static_cast<float>((i * 5) % 7);
  Tensor y = run(*layer, Tensor({2, 3, 4}, x));
  std::vector<float> rows(24), expect(24);
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 4; ++i)
      for (int k = 0; k < 3; ++k) rows[(o * 4 + i) * 3 + k] = x[(o * 3 + k) * 4 + i];
  quant::tfSoftmaxRows(rows.data(), expect.data(), 8, 3, quant::TfCpuKernels::Eigen);
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 4; ++i)
      for (int k = 0; k < 3; ++k) EXPECT_EQ(y.data[(o * 3 + k) * 4 + i], expect[(o * 4 + i) * 3 + k]);
}

// ---- Position in the whole predict call (quant/keras_batch.h) ---------------------------------

TEST(CallPosition, KerasBatchPartsCountInTheWholeCall) {
  std::vector<std::array<int64_t, 4>> parts;
  auto collect = [&](int64_t samples) {
    parts.clear();
    for (int64_t s = 0; s < samples; s += parts.back()[1]) {
      const KerasBatchPart p = kerasBatchPart(s, samples);
      parts.push_back({s, p.count, p.offset, p.batchSamples});
    }
  };
  collect(70);  // no scope: the run is the whole call
  EXPECT_EQ(parts, (std::vector<std::array<int64_t, 4>>{{0, 32, 0, 32}, {32, 32, 0, 32}, {64, 6, 0, 6}}));
  {
    const CallPositionScope at(40, 70);  // samples 40..69 of 70
    collect(30);
    EXPECT_EQ(parts, (std::vector<std::array<int64_t, 4>>{{0, 24, 8, 32}, {24, 6, 0, 6}}));
    {
      const CallPositionScope inner(3, 0);  // nested: total 0 means the call ends with the run
      collect(2);
      EXPECT_EQ(parts, (std::vector<std::array<int64_t, 4>>{{0, 2, 3, 5}}));
    }
    EXPECT_EQ(callPosition().firstSample, 40);
    EXPECT_EQ(callPosition().callSamples, 70);
  }
  EXPECT_EQ(callPosition().firstSample, 0);
  EXPECT_EQ(callPosition().callSamples, 0);
  EXPECT_THROW(CallPositionScope(-1, 0), Error);
  EXPECT_THROW(CallPositionScope(5, 5), Error);
}

// Runs `layer` on samples [from, to) of x, declared at their place in the call of x's batch when
// `declare`, else as a call of their own (what every piece was before).
Tensor runPart(const Layer& layer, const Tensor& x, int64_t from, int64_t to, bool declare) {
  const int64_t per = x.size() / x.shape[0];
  Shape shape = x.shape;
  shape[0] = to - from;
  Tensor part(shape, std::vector<float>(x.data.begin() + from * per, x.data.begin() + to * per));
  if (!declare) return run(layer, part);
  const CallPositionScope at(from, x.shape[0]);
  return run(layer, part);
}

// trace({batchSize}) and threads run one call in pieces: with each piece's position declared,
// softmax, TF's packet/scalar element-wise activations and the quantizers built on TF's log or
// sigmoid give the whole call's bits for any cut.
TEST(CallPosition, PiecesOfACallEqualTheWholeCall) {
  const int64_t batch = 45;
  struct Case {
    const char* className;
    Json config;
    Shape shape;
  };
  const std::vector<Case> cases = {
      {"Softmax", Json::object(), {batch, 3}},
      {"Softmax", {{"axis", 1}}, {batch, 3, 2}},
      {"Activation", {{"activation", "softmax"}}, {batch, 5}},
      {"Activation", {{"activation", "sigmoid"}}, {batch, 3}},
      {"Activation", {{"activation", "elu"}}, {batch, 3}},
      {"Activation", {{"activation", "swish"}}, {batch, 3}},
      {"Activation", {{"activation", "exponential"}}, {batch, 3}},
      // TF's log by position (po2 exponents of 2^(k+1/2), where Eigen's log and logf disagree).
      {"QActivation", {{"activation", "quantized_po2(4,1)"}}, {batch, 3}},
      {"QActivation", {{"activation", "quantized_relu_po2(4,1)"}}, {batch, 3}},
      {"QActivation", {{"activation", "quantized_sigmoid(24,use_real_sigmoid=1)"}}, {batch, 3}},
  };
  const std::vector<std::vector<int64_t>> cuts = {{0, 5, 10, 15, 20, 25, 30, 35, 40, 45}, {0, 7, 33, 34, 45}, {0, 31, 45}};
  for (const Case& c : cases) {
    auto layer = build(c.className, c.config);
    Tensor x = Tensor(c.shape, std::vector<float>(static_cast<size_t>(numElements(c.shape))));
    for (size_t i = 0; i < x.data.size(); ++i)
      x.data[i] = i % 3 == 1 ? std::ldexp(0.70710677f, static_cast<int>(i % 5) - 2) : -3.0f + 0.0731f * static_cast<float>((i * 37) % 97);
    const Tensor whole = run(*layer, x);
    bool undeclaredDiffers = false;
    for (const auto& cut : cuts) {
      for (size_t p = 0; p + 1 < cut.size(); ++p) {
        const Tensor part = runPart(*layer, x, cut[p], cut[p + 1], true);
        const Tensor alone = runPart(*layer, x, cut[p], cut[p + 1], false);
        const int64_t per = x.size() / batch;
        for (size_t i = 0; i < part.data.size(); ++i) {
          const float want = whole.data[static_cast<size_t>(cut[p] * per) + i];
          ASSERT_EQ(std::memcmp(&part.data[i], &want, 4), 0)
              << c.className << " " << c.config.dump() << ": samples " << cut[p] << ".." << cut[p + 1] << ", element " << i;
          if (std::memcmp(&alone.data[i], &want, 4) != 0) undeclaredDiffers = true;
        }
      }
    }
    // The data does reach both paths: undeclared pieces (positions restarting at 0) differ.
    EXPECT_TRUE(undeclaredDiffers) << c.className << " " << c.config.dump();
  }
}

}  // namespace
}  // namespace qkw
