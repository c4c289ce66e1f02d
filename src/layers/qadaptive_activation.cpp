// QAdaptiveActivation (qkeras/qlayers.py, semantics §4.3) at inference, as the first call after
// loading computes it:
//   y = quantized_bits(total_bits, integer=0, symmetric, keep_negative=True, alpha=1)(x)
//   y = quantized_relu(total_bits, integer=0, negative_slope=relu_neg_slope,
//                      is_quantized_clip=False, relu_upper_bound)(x)          (activation='quantized_relu')
// Why integer=0, whatever the saved EMAs say (QKeras source facts):
//  * build() creates ema_min/ema_max as zeros and assigns the quantizer's integer-bits variable
//    _get_integer_bits(0, 0) = 0 (log2|0| = -inf, clamped to 0);
//  * that variable lives on the quantizer (a BaseQuantizer, whose variables/trainable_variables/
//    non_trainable_variables are overridden to ()), so it is not a layer weight: the file stores
//    only the layer's own variables, [step (int64, created in __init__, trainable), ema_min,
//    ema_max], and loading them leaves the integer bits at 0;
//  * call() quantizes with the integer variable's current value FIRST, and only then recomputes it
//    from ema_min/ema_max (after updating the EMAs when ema_freeze_delay is set, the layer is
//    trainable and step <= ema_freeze_delay: that update also runs at inference).
// So only the first call after loading gives integer=0; later calls (model.predict's batches after
// the first 32 samples included) use the EMA-derived bits. We compute the first call for every
// sample and say so in a warning that names the bits later calls would use.
#include <algorithm>
#include <cmath>
#include <optional>

#include "layers/analysis_rules.h"
#include "layers/layer_config.h"
#include "layers/layer_factories.h"
#include "layers/quantized_layer.h"
#include "quant/tf_math.h"

namespace qkw {

namespace {

struct AdaptiveSettings {
  bool relu = false;        // activation == "quantized_relu"
  int totalBits = 0;
  bool symmetric = true;
  bool keepNegative = true;  // quantized_bits, or quantized_relu with relu_neg_slope != 0
  bool po2Rounding = false;  // _get_integer_bits(is_clipping=po2_rounding)
};

// QKeras's _get_integer_bits (quantizers.py) on one channel, in float32 as TF computes it:
// log(|v|) / float32(log 2), round (po2_rounding) or ceil, the ceil path's bound checks, then
// min(unsigned_bits, max(min_int_bits, max_int_bits)).
int integerBitsFromEma(float lo, float hi, const AdaptiveSettings& s, int64_t index, int64_t count) {
  if (!s.keepNegative) {
    lo = std::fmax(lo, 0.0f);
    hi = std::fmax(hi, 0.0f);
  }
  const int unsignedBits = s.totalBits - (s.keepNegative ? 1 : 0);
  const float ln2 = 0.6931471805599453f;
  const float loLog = quant::tfLogf(std::fabs(lo), index, count) / ln2;
  const float hiLog = quant::tfLogf(std::fabs(hi), index, count) / ln2;
  const float loPos = loLog > 0.0f ? loLog : 0.0f;  // tf.where(v > 0, v, 0): NaN -> 0
  const float hiPos = hiLog > 0.0f ? hiLog : 0.0f;
  float minInt, maxInt;
  if (s.po2Rounding) {
    minInt = std::nearbyint(loPos);  // tf.math.round: half to even (default rounding mode)
    maxInt = std::nearbyint(hiPos);
  } else {
    minInt = std::ceil(loPos);
    maxInt = std::ceil(hiPos);
    const float maxPo2 = std::pow(2.0f, maxInt) - std::pow(2.0f, std::fmin(maxInt - unsignedBits, 0.0f));
    maxInt = hi <= maxPo2 ? maxInt : maxInt + 1.0f;
    if (s.symmetric) {
      const float minPo2 = -std::pow(2.0f, minInt) + std::pow(2.0f, std::fmin(minInt - unsignedBits, 0.0f));
      minInt = minPo2 <= lo ? minInt : minInt + 1.0f;
    }
  }
  const int bits = static_cast<int>(std::fmax(minInt, maxInt));
  return std::min(unsignedBits, bits);
}

class QAdaptiveActivationLayer : public QuantizedLayer {
 public:
  QAdaptiveActivationLayer(const LayerContext& ctx, ActivationFunction f, Tensor emaMin, Tensor emaMax,
                           std::optional<Tensor> step, bool perChannel)
      : QuantizedLayer(ctx.name, ctx.className), emaMin_(std::move(emaMin)), emaMax_(std::move(emaMax)),
        step_(std::move(step)), perChannel_(perChannel) {
    activation_ = std::move(f);
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (inputShapes.size() != 1) throw Error(prefix() + "expects exactly one input");
    if (perChannel_) {
      const Shape& in = inputShapes[0];
      const int64_t channels = in.empty() ? 1 : in.back();
      if (emaMin_.size() != channels)
        throw Error(prefix() + "per_channel=True: weights 'ema_min'/'ema_max' have " +
                    std::to_string(emaMin_.size()) + " channels, the input " + shapeToString(in) + " has " +
                    std::to_string(channels));
    }
    return inputShapes[0];
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    activation_.apply(inputs[0]->data.data(), output.data.data(), inputs[0]->shape);
  }

  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    TensorAnalysis t = ctx.quantizedBy(activation_.quantizer(), "");
    t.reason += " (integer=0: the bits QKeras's first call after loading uses; later calls derive them from "
                "ema_min/ema_max)";
    return t;
  }

  std::string elementwiseFusionTag(const Shape& inputShape) const override {
    (void)inputShape;
    const QuantizerPtr q = activation_.quantizer();
    return q && q->grid() ? q->className() : "";
  }
  void applyElementwiseInPlace(float* data, int64_t count, int64_t channels) const override {
    (void)channels;
    activation_.apply(data, data, Shape{count});
  }

  // Not used by forward(), kept so a converted model carries them (and the warning) over.
  std::vector<WeightInput> effectiveWeights() const override {
    std::vector<WeightInput> w;
    if (step_) w.push_back({"step", 0, *step_});
    const int base = step_ ? 1 : 0;
    w.push_back({"ema_min", base, emaMin_});
    w.push_back({"ema_max", base + 1, emaMax_});
    return w;
  }

 private:
  Tensor emaMin_, emaMax_;
  std::optional<Tensor> step_;
  bool perChannel_;
};

bool truthy(const LayerContext& ctx, const std::string& key, bool fallback) {
  const nlohmann::json* v = ctx.find(key);
  if (!v || v->is_null()) return fallback;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_number()) return v->get<double>() != 0.0;
  throw Error(ctx.errorPrefix() + "config '" + key + "' must be a boolean, got " + v->dump());
}

// A number or null (QKeras stores np.array(...) of ints/floats, None for unset delays).
std::optional<double> optionalNumber(const LayerContext& ctx, const std::string& key) {
  const nlohmann::json* v = ctx.find(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_number()) throw Error(ctx.errorPrefix() + "config '" + key + "' must be a number or null, got " + v->dump());
  return v->get<double>();
}

}  // namespace

LayerPtr makeQAdaptiveActivationLayer(const LayerContext& ctx) {
  AdaptiveSettings s;
  // __init__: `activation not in ["quantized_bits", "quantized_relu"]` raises ValueError.
  const nlohmann::json* act = ctx.find("activation");
  if (!act || !act->is_string() || (*act != "quantized_bits" && *act != "quantized_relu"))
    throw Error(ctx.errorPrefix() + "invalid activation " + (act ? act->dump() : std::string("(missing)")) +
                ": QKeras accepts only the quantizer names \"quantized_bits\" and \"quantized_relu\" without "
                "parameters (the layer sets bits and integer itself) and raises ValueError otherwise");
  s.relu = *act == "quantized_relu";
  s.totalBits = requiredInt(ctx, "total_bits");
  s.symmetric = truthy(ctx, "symmetric", true);
  s.po2Rounding = truthy(ctx, "po2_rounding", false);
  const bool perChannel = truthy(ctx, "per_channel", false);
  const std::optional<double> negSlope = optionalNumber(ctx, "relu_neg_slope");
  const double slope = negSlope.value_or(0.0);
  s.keepNegative = s.relu ? slope != 0.0 : true;
  if (s.totalBits < 1 || s.totalBits > 30)
    throw Error(ctx.errorPrefix() + "total_bits=" + std::to_string(s.totalBits) + " is outside 1..30");

  nlohmann::json spec;
  if (s.relu) {
    // The slope is assigned to the quantizer after construction, past quantized_relu's own
    // asserts (>= 0, a power of 2); the computation below only reproduces the asserted cases.
    if (slope != 0.0 && !(slope > 0.0 && std::fmod(std::log2(slope), 1.0) == 0.0))
      throw Unsupported(ctx.errorPrefix() + "relu_neg_slope=" + formatNumber(slope) +
                        " is not supported: only 0 or a positive power of two (QKeras assigns it to the quantizer "
                        "after construction, skipping quantized_relu's check, and its leaky part then differs "
                        "from quantized_relu's)");
    // `if self.relu_upper_bound:` (truthiness) sets the bound; get_config does not save it, so
    // it is only present in hand-written configs.
    const std::optional<double> ub = optionalNumber(ctx, "relu_upper_bound");
    spec = {{"class_name", "quantized_relu"},
            {"config",
             {{"bits", s.totalBits},
              {"integer", 0},
              {"negative_slope", slope},
              {"relu_upper_bound", ub && *ub != 0.0 ? nlohmann::json(*ub) : nlohmann::json(nullptr)},
              {"is_quantized_clip", false}}}};
  } else {
    spec = {{"class_name", "quantized_bits"},
            {"config",
             {{"bits", s.totalBits},
              {"integer", 0},
              {"symmetric", s.symmetric ? 1 : 0},
              {"keep_negative", true},
              {"alpha", 1.0}}}};
  }
  ActivationFunction f = ActivationFunction::resolve(&spec, ctx, ActivationFlavor::QKeras);

  // Weights: [step, ema_min, ema_max] (trainable first, then non-trainable). By name in HDF5
  // (step is "Variable", or the optimizer's iteration variable when current_step was passed),
  // by position otherwise.
  const bool named = std::any_of(ctx.weights.begin(), ctx.weights.end(), [](const WeightInput& w) { return !w.role.empty(); });
  std::vector<std::string> order = {"step", "ema_min", "ema_max"};
  if (!named && ctx.weights.size() == 2) order = {"ema_min", "ema_max"};
  Tensor emaMin = ctx.weight("ema_min", order);
  Tensor emaMax = ctx.weight("ema_max", order);
  std::optional<Tensor> step;
  if (named) {
    for (const WeightInput& w : ctx.weights)
      if (w.role != "ema_min" && w.role != "ema_max" && w.tensor.rank() == 0) {
        step = *ctx.optionalWeight(w.role, order);
        break;
      }
  } else if (const Tensor* t = ctx.optionalWeight("step", order)) {
    step = *t;
  }
  if (step && step->size() != 1) throw Error(ctx.errorPrefix() + "weight 'step' must be a scalar, got " + shapeToString(step->shape));
  for (const Tensor* t : {&emaMin, &emaMax}) {
    const char* role = t == &emaMin ? "ema_min" : "ema_max";
    if (t->rank() != 1 || t->size() < 1)
      throw Error(ctx.errorPrefix() + "weight '" + role + "' must have shape (channels,), got " + shapeToString(t->shape));
    if (!perChannel && t->size() != 1)
      throw Error(ctx.errorPrefix() + "weight '" + role + "' has shape " + shapeToString(t->shape) +
                  "; per_channel=False stores one value, (1,)");
  }
  if (emaMin.size() != emaMax.size())
    throw Error(ctx.errorPrefix() + "weights 'ema_min' " + shapeToString(emaMin.shape) + " and 'ema_max' " +
                shapeToString(emaMax.shape) + " differ in shape");

  // What later calls use: the bits recomputed from the EMAs after the first call.
  std::string later;
  for (int64_t i = 0; i < emaMin.size(); ++i) {
    if (i) later += ",";
    later += std::to_string(integerBitsFromEma(emaMin.data[i], emaMax.data[i], s, i, emaMin.size()));
  }
  if (emaMin.size() > 1) later = "[" + later + "]";
  const std::optional<double> freeze = optionalNumber(ctx, "ema_freeze_delay");
  const bool trainable = truthy(ctx, "trainable", true);
  std::string updates;
  if (freeze && *freeze != 0.0 && trainable) {
    const double stepValue = step ? static_cast<double>(step->data[0])
                                  : optionalNumber(ctx, "current_step").value_or(-1.0);
    if (stepValue <= *freeze)
      updates = " But step " + formatNumber(stepValue) + " <= ema_freeze_delay " + formatNumber(*freeze) +
                ", so each QKeras call at inference first moves ema_min/ema_max towards that batch's min/max: "
                "later calls' bits depend on the data seen, not only on the file.";
  }
  ctx.warn("call-history",
           "QAdaptiveActivation's output depends on the calls before it. QKeras's first call after loading quantizes "
           "with integer=0 (the value build() derived from the zero-initialised EMAs; the integer-bits variable is "
           "not saved, so loading ema_min/ema_max does not change it), and only then recomputes the bits from the "
           "EMAs: later calls, including model.predict's batches after the first (32 samples by default), use "
           "integer=" + later + " (from the saved ema_min/ema_max)." + updates +
           " This model computes the first call, integer=0, for every sample.");
  return std::make_unique<QAdaptiveActivationLayer>(ctx, std::move(f), std::move(emaMin), std::move(emaMax),
                                                    std::move(step), perChannel);
}

}  // namespace qkw
