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
#include "quant/scale.h"

namespace qkw {

namespace {

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

}  // namespace

LayerPtr makeQAdaptiveActivationLayer(const LayerContext& ctx) {
  // __init__: `activation not in ["quantized_bits", "quantized_relu"]` raises ValueError.
  const qkw::Json* act = ctx.find("activation");
  if (!act || (*act != "quantized_bits" && *act != "quantized_relu"))
    throw Error(ctx.errorPrefix() + "invalid activation " + (act ? act->dump() : std::string("(missing)")) +
                ": QKeras accepts only the quantizer names \"quantized_bits\" and \"quantized_relu\" without "
                "parameters (the layer sets bits and integer itself) and raises ValueError otherwise");
  const bool relu = *act == "quantized_relu";
  const int totalBits = requiredInt(ctx, "total_bits");
  const bool symmetric = configBool(ctx, "symmetric", true);
  const bool perChannel = configBool(ctx, "per_channel", false);
  const float slope = configFloat(ctx, "relu_neg_slope", 0.0f);
  const bool keepNegative = !relu || slope != 0.0f;

  // The quantizer as a dict spec, built key by key (a nested initializer list costs ~16 KB of WASM).
  qkw::Json spec = qkw::Json::object();
  qkw::Json& qc = spec["config"];
  qc["bits"] = totalBits;
  qc["integer"] = 0;
  if (relu) {
    // The slope is assigned to the quantizer after construction, past quantized_relu's asserts
    // (>= 0, a power of 2): only the asserted cases are reproduced.
    int e = 0;
    if (slope != 0.0f && !(slope > 0.0f && std::frexp(slope, &e) == 0.5f))
      throw Unsupported(ctx.errorPrefix() + "relu_neg_slope=" + ctx.find("relu_neg_slope")->dump() +
                        " is not supported: only 0 or a positive power of two (QKeras sets it on the quantizer "
                        "after construction, past quantized_relu's check)");
    spec["class_name"] = "quantized_relu";
    qc["negative_slope"] = slope;
    qc["is_quantized_clip"] = false;
    // `if self.relu_upper_bound:` sets it; get_config does not save it (hand-written configs only).
    const float ub = configFloat(ctx, "relu_upper_bound", 0.0f);
    if (ub != 0.0f) qc["relu_upper_bound"] = ub;
  } else {
    spec["class_name"] = "quantized_bits";
    qc["symmetric"] = symmetric ? 1 : 0;
    qc["keep_negative"] = true;
    qc["alpha"] = 1.0;
  }
  ActivationFunction f = ActivationFunction::resolve(&spec, ctx, ActivationFlavor::QKeras);

  // Weights: [step, ema_min, ema_max] (trainable first, then non-trainable). By name in HDF5
  // (step is "Variable", or the optimizer's iteration variable when current_step was passed),
  // by position otherwise.
  const bool named = std::any_of(ctx.weights.begin(), ctx.weights.end(), [](const WeightInput& w) { return !w.role.empty(); });
  std::vector<std::string> order = {"step", "ema_min", "ema_max"};
  if (!named && ctx.weights.size() == 2) order.erase(order.begin());
  Tensor emaMin = ctx.weight("ema_min", order);
  Tensor emaMax = ctx.weight("ema_max", order);
  std::string stepRole = "step";
  if (named)
    for (const WeightInput& w : ctx.weights)
      if (w.role != "ema_min" && w.role != "ema_max") stepRole = w.role;
  std::optional<Tensor> step;
  if (const Tensor* t = ctx.optionalWeight(stepRole, order)) step = *t;
  if ((step && step->size() != 1) || emaMin.rank() != 1 || emaMin.shape != emaMax.shape || emaMin.size() < 1 ||
      (!perChannel && emaMin.size() != 1))
    throw Error(ctx.errorPrefix() + "weights step " + (step ? shapeToString(step->shape) : std::string("-")) +
                ", ema_min " + shapeToString(emaMin.shape) + ", ema_max " + shapeToString(emaMax.shape) +
                ": expected a scalar step and EMAs of shape (1,), or (channels,) with per_channel=True");

  // What later calls use: the bits recomputed from the EMAs after the first call.
  const std::vector<int> bits = getIntegerBits(emaMin.data, emaMax.data, totalBits, symmetric, keepNegative,
                                                      configBool(ctx, "po2_rounding", false));
  std::string later;
  for (int b : bits) later += (later.empty() ? "" : ",") + std::to_string(b);
  if (bits.size() > 1) later = "[" + later + "]";
  const float freeze = configFloat(ctx, "ema_freeze_delay", 0.0f);
  const float stepValue = step ? step->data[0] : configFloat(ctx, "current_step", -1.0f);
  std::string updates;
  if (freeze != 0.0f && configBool(ctx, "trainable", true) && stepValue <= freeze)
    updates = " But step " + formatNumber(stepValue) + " <= ema_freeze_delay " + formatNumber(freeze) +
              ", so each QKeras call at inference first moves ema_min/ema_max towards that batch's min/max: "
              "later calls' bits depend on the data seen.";
  ctx.warn("call-history",
           "QAdaptiveActivation's output depends on the calls before it. QKeras's first call after loading quantizes "
           "with integer=0 (build()'s value from zero EMAs; the integer-bits variable is not saved, so loading "
           "ema_min/ema_max does not change it), and only then recomputes the bits from the EMAs: later calls, "
           "including model.predict's batches after the first (32 samples by default), use integer=" + later +
           " (from the saved ema_min/ema_max)." + updates + " This model computes the first call for every sample.");
  return std::make_unique<QAdaptiveActivationLayer>(ctx, std::move(f), std::move(emaMin), std::move(emaMax),
                                                    std::move(step), perChannel);
}

}  // namespace qkw
