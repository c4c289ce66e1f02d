// QBatchNormalization and Keras BatchNormalization at inference (semantics §4.4, §8.2).
//   g  = gamma_quantizer(gamma)   (scale=True and a quantizer)   b  = beta_quantizer(beta)
//   mu = mean_quantizer(mean)     va = variance_quantizer(variance)
//   inv = rsqrt(va + eps); inv = inv * g; [inv = inverse_quantizer(inv)]
//   y = x * inv + (b - mu * inv)      (or + (-mu * inv) without beta)
// Missing quantizer keys take QBatchNormalization's constructor defaults; null means float.
// Keras BatchNormalization is the same formula without quantizers (tf.nn.batch_normalization
// and the fused kernel compute rsqrt(var + eps) * gamma, then x * inv + (beta - mean * inv)).
// QBatchNormalization's `activation` argument is ignored, as in QKeras. The output is float.
#include <cmath>

#include "layers/weight_report.h"
#include "layers/activation_function.h"
#include "layers/analysis_rules.h"
#include "layers/layer_config.h"
#include "layers/layer_factories.h"

namespace qkw {

namespace {

class BatchNormLayer : public Layer {
 public:
  BatchNormLayer(const std::string& name, const std::string& className, int axis, std::vector<float> scale,
                 std::vector<float> offset, std::vector<QuantizerSlot> slots, std::vector<WeightInput> effective,
                 std::string ignoredActivation)
      : Layer(name, className), axis_(axis), scale_(std::move(scale)), offset_(std::move(offset)),
        slots_(std::move(slots)), effective_(std::move(effective)), ignoredActivation_(std::move(ignoredActivation)) {}

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    const std::string prefix = "layer '" + name() + "' (" + className() + "): ";
    if (inputShapes.size() != 1) throw Error(prefix + "expects exactly one input");
    const Shape& in = inputShapes[0];
    const int a = resolveFeatureAxis(prefix, axis_, static_cast<int>(in.size()) + 1);
    if (in[a - 1] != static_cast<int64_t>(scale_.size()))
      throw Error(prefix + "input axis " + std::to_string(a) + " has " + std::to_string(in[a - 1]) +
                  " channels, the weights have " + std::to_string(scale_.size()));
    return in;
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    const int a = resolveFeatureAxis("", axis_, x.rank());
    int64_t inner = 1;
    for (int d = a + 1; d < x.rank(); ++d) inner *= x.shape[d];
    const int64_t channels = static_cast<int64_t>(scale_.size());
    const int64_t outer = x.size() / (inner * channels);
    const float* in = x.data.data();
    float* out = output.data.data();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = 0; c < channels; ++c) {
        const float s = scale_[c], b = offset_[c];
        const int64_t base = (o * channels + c) * inner;
        for (int64_t i = 0; i < inner; ++i) {
          const float scaled = in[base + i] * s;
          out[base + i] = scaled + b;
        }
      }
  }

  // In place on channels-last rows, with forward()'s two float32 ops per element.
  std::string elementwiseFusionTag(const Shape& inputShape) const override {
    const int rank = static_cast<int>(inputShape.size()) + 1;
    return resolveFeatureAxis("", axis_, rank) == rank - 1 ? "bn" : "";
  }
  void applyElementwiseInPlace(float* data, int64_t count, int64_t channels) const override {
    if (channels != static_cast<int64_t>(scale_.size()) || count % channels != 0)
      throw Error("layer '" + name() + "' (" + className() + "): fused epilogue on a non-channel-row chunk");
    const float* __restrict s = scale_.data();
    const float* __restrict b = offset_.data();
    for (int64_t r = 0; r < count; r += channels) {
      float* __restrict row = data + r;
      // Vectorizes as f32x4 mul then add: two rounded ops per element, as forward().
      for (int64_t c = 0; c < channels; ++c) {
        const float scaled = row[c] * s[c];
        row[c] = scaled + b[c];
      }
    }
  }

  std::vector<QuantizerSlot> quantizers() const override { return slots_; }
  // The (quantized) gamma, beta, mean and variance; inv and offset are recomputed from them
  // by the same float operations, so a converted file gives identical outputs.
  std::vector<WeightInput> effectiveWeights() const override { return effective_; }

  // The output is float: x*inv + offset with float per-channel factors (no output quantizer).
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    const std::string formula = "x\u00b7\u03b3/\u221a(\u03c3\u00b2+\u03b5)+\u03b2\u2032";
    if (className() != "QBatchNormalization")
      return ctx.floatResult("BatchNormalization (Keras) computes " + formula +
                             " in float: its output is on no grid. Add QActivation('quantized_relu(4)') after it, "
                             "or fold it into the conv with QConv2DBatchnorm.");
    const std::string params = quantizerSlotsText(slots_, false);
    std::string reason = "QBatchNormalization has no output quantizer: its parameters are " +
                         (params.empty() ? std::string("float (no parameter quantizers)") : "quantized (" + params + ")") +
                         ", its output " + formula +
                         " is not. Add QActivation('quantized_relu(4)') after it, or fold it into the conv with "
                         "QConv2DBatchnorm.";
    if (!ignoredActivation_.empty())
      reason += " Its activation=" + ignoredActivation_ + " argument is ignored by QKeras (stored, never applied).";
    return ctx.floatResult(reason);
  }

 private:
  int axis_;
  std::vector<float> scale_;   // inv per channel
  std::vector<float> offset_;  // b - mu*inv per channel
  std::vector<QuantizerSlot> slots_;
  std::vector<WeightInput> effective_;
  std::string ignoredActivation_;  // QBatchNormalization's activation= as written, when not linear
};

}  // namespace

LayerPtr makeBatchNormalizationLayer(const LayerContext& ctx) {
  const bool quantized = ctx.className == "QBatchNormalization";
  if (quantized) {
    const qkw::Json* act = ctx.find("activation");
    const bool linear = !act || act->is_null() || (act->is_string() && (act->get<std::string>() == "linear" || act->get<std::string>().empty()));
    if (!linear)
      ctx.warn("ignored-setting", "QKeras ignores QBatchNormalization's activation " + act->dump() +
                                      ": the output is the plain normalized value, not passed through it");
  }
  const bool scale = configBool(ctx, "scale", true);
  const bool center = configBool(ctx, "center", true);
  const float epsilon = configFloat(ctx, "epsilon", 1e-3f);
  const int axis = configAxis(ctx, "axis", -1);
  std::vector<std::string> order;
  if (scale) order.push_back("gamma");
  if (center) order.push_back("beta");
  order.push_back("moving_mean");
  order.push_back("moving_variance");

  Tensor mean = ctx.weight("moving_mean", order);
  Tensor variance = ctx.weight("moving_variance", order);
  if (mean.rank() != 1) throw Error(ctx.errorPrefix() + "weight 'moving_mean' must be rank 1, got " + shapeToString(mean.shape));
  const int64_t channels = mean.shape[0];
  checkWeightShape(ctx, "moving_variance", variance, {channels});
  Tensor gamma, beta;
  if (scale) {
    gamma = ctx.weight("gamma", order);
    checkWeightShape(ctx, "gamma", gamma, {channels});
  }
  if (center) {
    beta = ctx.weight("beta", order);
    checkWeightShape(ctx, "beta", beta, {channels});
  }

  std::vector<QuantizerSlot> slots;
  QuantizerPtr inverseQ;
  if (quantized) {
    // A missing key means the constructor default (§4.4); an explicit null means float.
    auto slot = [&](const std::string& key, const char* fallback, bool weightSlot) -> QuantizerPtr {
      const qkw::Json* v = ctx.find(key);
      QuantizerPtr q = v ? makeSlotQuantizer(ctx, key, *v, weightSlot)
                         : (fallback ? makeSlotQuantizer(ctx, key, qkw::Json(fallback), weightSlot) : nullptr);
      if (q) slots.push_back({key, q});
      return q;
    };
    QuantizerPtr gq = slot("gamma_quantizer", "quantized_relu_po2(6, 2048)", true);
    QuantizerPtr bq = slot("beta_quantizer", "quantized_po2(5)", false);
    QuantizerPtr mq = slot("mean_quantizer", "quantized_po2(5)", false);
    QuantizerPtr vq = slot("variance_quantizer", "quantized_relu_po2(6, quadratic_approximation=True)", true);
    inverseQ = slot("inverse_quantizer", nullptr, false);
    if (inverseQ && (gq || vq))
      throw Error(ctx.errorPrefix() + "inverse_quantizer requires gamma_quantizer and variance_quantizer to be null "
                  "(QKeras asserts this)");
    if (!usesEffectiveWeights(ctx)) {
      // As q->apply, also recording QKeras's scale and the clipped count for model.weights().
      auto quantizeSlot = [&](const char* key, const QuantizerPtr& q, Tensor& t) {
        WeightQuantizationReport report = quantizeWeightReporting(*q, t);
        for (QuantizerSlot& s : slots)
          if (s.slot == key) s.report = report;
      };
      if (scale && gq) quantizeSlot("gamma_quantizer", gq, gamma);
      if (center && bq) quantizeSlot("beta_quantizer", bq, beta);
      if (mq) quantizeSlot("mean_quantizer", mq, mean);
      if (vq) quantizeSlot("variance_quantizer", vq, variance);
    }
  }
  std::vector<WeightInput> effective;
  for (size_t i = 0; i < order.size(); ++i) {
    const std::string& role = order[i];
    const Tensor& t = role == "gamma" ? gamma : role == "beta" ? beta : role == "moving_mean" ? mean : variance;
    effective.push_back({role, static_cast<int>(i), t});
  }

  Tensor inv({channels});
  for (int64_t c = 0; c < channels; ++c) {
    float v = 1.0f / std::sqrt(variance.data[c] + epsilon);
    if (scale) v = v * gamma.data[c];
    inv.data[c] = v;
  }
  if (inverseQ) inverseQ->apply(inv.data.data(), inv.data.data(), inv.shape);
  std::vector<float> offset(channels);
  for (int64_t c = 0; c < channels; ++c) {
    const float muInv = mean.data[c] * inv.data[c];
    offset[c] = center ? beta.data[c] - muInv : -muInv;
  }
  // QKeras stores QBatchNormalization's activation= and never applies it; the analysis says so.
  std::string ignoredActivation;
  const qkw::Json* act = quantized ? ctx.find("activation") : nullptr;
  if (act && !act->is_null() &&
      !(act->is_string() && (act->get<std::string>() == "linear" || act->get<std::string>().empty())))
    ignoredActivation = act->is_string() ? "'" + act->get<std::string>() + "'" : act->dump();
  return std::make_unique<BatchNormLayer>(ctx.name, ctx.className, axis, std::move(inv.data), std::move(offset),
                                          std::move(slots), std::move(effective), std::move(ignoredActivation));
}

}  // namespace qkw
