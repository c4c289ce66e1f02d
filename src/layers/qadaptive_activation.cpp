// QAdaptiveActivation (qkeras/qlayers.py, semantics §4.3) at inference, as QKeras's model.predict
// computes it right after loading:
//   y = quantized_bits(total_bits, integer=b, symmetric, keep_negative=True, alpha=1)(x)
//   y = quantized_relu(total_bits, integer=b, negative_slope=relu_neg_slope,
//                      is_quantized_clip=False, relu_upper_bound)(x)          (activation='quantized_relu')
// where b is the quantizer's integer-bits variable at the time of the call (QKeras source facts):
//  * build() creates ema_min/ema_max as zeros and assigns that variable _get_integer_bits(0, 0) = 0
//    (log2|0| = -inf, clamped to 0);
//  * the variable lives on the quantizer (a BaseQuantizer, whose variables/trainable_variables/
//    non_trainable_variables are overridden to ()), so it is not a layer weight: the file stores
//    only the layer's own variables, [step (int64, created in __init__, trainable), ema_min,
//    ema_max], and loading them leaves it at 0;
//  * call() quantizes with the variable's current value FIRST, and only then assigns it
//    _get_integer_bits(ema_min, ema_max) (after updating the EMAs when ema_freeze_delay is set, the
//    layer is trainable and step <= ema_freeze_delay: that update also runs at inference).
// Keras's model.predict calls the layer once per batch (batch_size=32 by default), in order: the
// first call after loading (samples 0..31) uses b=0, every later call the EMA-derived bits (per
// channel with per_channel=True). Our predict() is stateless: each call is computed as QKeras's
// model.predict right after loading, so samples with batch index < predictBatchSize (option, 32)
// use 0 and the rest the EMA bits; option adaptiveActivation='ema' (predictBatchSize 0 here) gives
// every sample the EMA bits, as QKeras after training or after an earlier predict call.
#include <algorithm>
#include <cmath>
#include <optional>

#include "layers/analysis_rules.h"
#include "layers/layer_config.h"
#include "layers/layer_factories.h"
#include "layers/quantized_layer.h"
#include "quant/keras_batch.h"
#include "quant/scale.h"

namespace qkw {

namespace {

class QAdaptiveActivationLayer : public QuantizedLayer {
 public:
  // f: integer=0, for the first `firstBatch` samples of each call; ema: the EMA-derived bits' quantizer,
  // or one per channel when the per-channel bits differ.
  QAdaptiveActivationLayer(const LayerContext& ctx, ActivationFunction f, std::vector<QuantizerPtr> ema,
                           int64_t firstBatch, std::string uses, Tensor emaMin, Tensor emaMax,
                           std::optional<Tensor> step, bool perChannel)
      : QuantizedLayer(ctx.name, ctx.className), ema_(std::move(ema)), firstBatch_(firstBatch),
        uses_(std::move(uses)), emaMin_(std::move(emaMin)), emaMax_(std::move(emaMax)),
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

  // Samples whose index in the user's call (callPosition().firstSample + row: pieces of a call,
  // src/quant/keras_batch.h) is below firstBatch_ use integer=0, the rest the EMA bits.
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& in = *inputs[0];
    const int64_t total = in.size();
    const int64_t rows = in.shape[0];
    const int64_t zero = rows ? std::min(rows, std::max<int64_t>(0, firstBatch_ - callPosition().firstSample)) * (total / rows) : 0;
    const float* x = in.data.data();
    float* y = output.data.data();
    activation_.apply(x, y, Shape{zero});
    // One call, or per element with per-channel bits (channels last).
    const int64_t channels = static_cast<int64_t>(ema_.size());
    const Shape one{channels == 1 ? total - zero : 1};
    for (int64_t i = zero; i < total; i += one[0]) ema_[i % channels]->apply(x + i, y + i, one);
  }

  // The grids used (integer=0 when firstBatch_ > 0, the EMA bits'); several: one uniform grid on
  // the finest step over the widest range, which holds every value.
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    TensorAnalysis t = ctx.quantizedBy(firstBatch_ ? activation_.quantizer() : ema_[0], "");
    std::string names = *t.quantizer;
    for (const QuantizerPtr& q : ema_) {
      const std::string s = q->str();
      if (names.find(s) != std::string::npos) continue;
      names += " / " + s;
      const std::optional<Grid> g = q->grid();
      if (t.grid && g && g->kind == Grid::Kind::Uniform && t.grid->kind == Grid::Kind::Uniform)
        t.grid = uniformGrid(std::min(t.grid->step, g->step), std::min(t.grid->min, g->min), std::max(t.grid->max, g->max));
      else
        t.grid.reset();
    }
    if (names != *t.quantizer) {
      t.quantizer = names;
      t.reason = ctx.className() + " " + names + ": " + (t.grid ? describeGrid(*t.grid) : "no common grid") +
                 "; one grid holding all of them";
    }
    t.reason += " (" + uses_ + ")";
    return t;
  }

  // Fused only when every sample uses one quantizer (the chunks do not know the batch index).
  std::string elementwiseFusionTag(const Shape& inputShape) const override {
    (void)inputShape;
    return !firstBatch_ && ema_.size() == 1 && ema_[0]->grid() ? ema_[0]->className() : "";
  }
  void applyElementwiseInPlace(float* data, int64_t count, int64_t channels) const override {
    (void)channels;
    ema_[0]->apply(data, data, Shape{count});
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
  std::vector<QuantizerPtr> ema_;
  int64_t firstBatch_;
  std::string uses_;  // which samples use which bits, for the analysis
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
  // The layer's quantizer with integer bits b.
  const auto quantizer = [&](int b) {
    qc["integer"] = b;
    return ActivationFunction::resolve(&spec, ctx, ActivationFlavor::QKeras);
  };

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

  // The bits every call but the first after loading uses: derived from the saved EMAs.
  const std::vector<int> bits = getIntegerBits(emaMin.data, emaMax.data, totalBits, symmetric, keepNegative,
                                                      configBool(ctx, "po2_rounding", false));
  std::string later;
  bool sameBits = true;
  for (int b : bits) {
    later += (later.empty() ? "" : ",") + std::to_string(b);
    sameBits = sameBits && b == bits[0];
  }
  if (bits.size() > 1) later = "[" + later + "]";
  std::vector<QuantizerPtr> ema;
  for (size_t c = 0; c < (sameBits ? 1 : bits.size()); ++c) ema.push_back(quantizer(bits[c]).quantizer());
  const int64_t batch = ctx.quantizerOptions.adaptiveFirstBatch;
  const std::string n = std::to_string(batch);
  const std::string uses = batch ? "in each predict() call, samples 0.." + std::to_string(batch - 1) +
                                       " use integer=0 and samples " + n + ".. integer=" + later
                                 : "every sample uses integer=" + later;
  std::string updates;
  const float freeze = configFloat(ctx, "ema_freeze_delay", 0.0f);
  const float stepValue = step ? step->data[0] : configFloat(ctx, "current_step", -1.0f);
  if (freeze != 0.0f && configBool(ctx, "trainable", true) && stepValue <= freeze)
    updates = " But step " + formatNumber(stepValue) + " <= ema_freeze_delay " + formatNumber(freeze) +
              ", so each QKeras call at inference first moves ema_min/ema_max towards that batch's min/max: "
              "its later calls' bits depend on the data seen.";
  ctx.warn("call-history",
           "QAdaptiveActivation's output depends on the calls before it. QKeras quantizes with the integer bits "
           "of the previous call: build() sets them to 0 (the variable is not saved, so loading ema_min/ema_max "
           "does not change it) and each call recomputes them from the EMAs only after quantizing; later calls use "
           "integer=" + later + " (from the saved ema_min/ema_max)." + updates + " Here (option adaptiveActivation " +
           (batch ? "'after-load', QKeras's model.predict right after loading with batch_size=" + n +
                        ", option predictBatchSize): " + uses +
                        ". predict() is stateless: every call starts again at sample 0. Option 'ema': every sample "
                        "integer=" + later + " (QKeras after training or an earlier predict)."
                  : "'ema', QKeras after training or an earlier predict): " + uses + "."));
  // Integer=0 everywhere: nothing to tell apart (and the layer can be fused).
  return std::make_unique<QAdaptiveActivationLayer>(ctx, quantizer(0), std::move(ema),
                                                    sameBits && bits[0] == 0 ? 0 : batch, uses, std::move(emaMin),
                                                    std::move(emaMax), std::move(step), perChannel);
}

}  // namespace qkw
