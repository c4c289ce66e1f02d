// Result builders, shared rules and the Dense/Conv family's rule (analysis_rules.h), and the
// default output rule of a layer.
#include "layers/analysis_rules.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "layers/quantized_layer.h"

namespace qkw {

using Status = TensorAnalysis::Status;

const char* statusName(Status status) {
  switch (status) {
    case Status::Quantized: return "quantized";
    case Status::Exact: return "exact";
    default: return "float";
  }
}

std::string sourceOf(const TensorAnalysis& t) { return t.source ? *t.source : t.name; }

bool isUniformDyadic(const TensorAnalysis& t) {
  return t.status != Status::Float && t.grid && t.grid->kind == Grid::Kind::Uniform && isPowerOfTwo(t.grid->step) &&
         isPowerOfTwo(sumStep(*t.grid));
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

std::string quantizerSlotsText(const std::vector<QuantizerSlot>& slots, bool weightsOnly) {
  std::string text;
  for (const QuantizerSlot& s : slots) {
    if (!s.quantizer || (weightsOnly && s.slot == "activation")) continue;
    if (!text.empty()) text += ", ";
    text += s.slot + " " + s.quantizer->str();
  }
  return text;
}

AnalysisContext::AnalysisContext(std::string name, std::string className, std::vector<std::string> inbound,
                                 std::vector<const TensorAnalysis*> inputs, std::vector<Shape> inputShapes)
    : name_(std::move(name)), className_(std::move(className)), inbound_(std::move(inbound)),
      inputs_(std::move(inputs)), inputShapes_(std::move(inputShapes)) {}

const TensorAnalysis* AnalysisContext::firstFloatInput() const {
  for (const TensorAnalysis* in : inputs_)
    if (in->status == Status::Float) return in;
  return nullptr;
}

TensorAnalysis AnalysisContext::base() const {
  TensorAnalysis t;
  t.name = name_;
  t.className = className_;
  t.inputs = inbound_;
  return t;
}

TensorAnalysis AnalysisContext::floatResult(std::string reason) const {
  TensorAnalysis t = base();
  t.status = Status::Float;
  t.reason = std::move(reason);
  return t;
}

TensorAnalysis AnalysisContext::floatBecauseInput(const TensorAnalysis& in, const std::string& what) const {
  return floatResult("float because its input " + quote(in.name) + " is float (" + what + ")");
}

TensorAnalysis AnalysisContext::exactResult(GridSummary grid, std::string reason, const std::string& source) const {
  TensorAnalysis t = base();
  t.status = Status::Exact;
  t.grid = std::move(grid);
  t.reason = std::move(reason) + ": " + describeGrid(*t.grid);
  t.source = source;
  return t;
}

TensorAnalysis AnalysisContext::quantizedBy(const QuantizerPtr& q, const std::string& slotText) const {
  TensorAnalysis t = base();
  t.status = Status::Quantized;
  t.quantizer = q->str();
  t.source = name_;
  const std::string who = className_ + " " + slotText + q->str();
  if (std::optional<Grid> g = q->grid()) {
    t.grid = gridFromQuantizer(*g, q.get());
    t.reason = who + ": " + describeGrid(*t.grid);
  } else {
    const std::string s = q->str();
    const bool autoAlpha = s.find("auto") != std::string::npos;
    t.reason = who + ": quantized, but with a per-batch scale" +
               std::string(autoAlpha ? " (alpha='auto'/'auto_po2' computes the scale from each batch, batch axis "
                                       "included)"
                                     : "") +
               ", so there is no fixed grid; use a numeric alpha (e.g. alpha=1) for a fixed grid";
  }
  return t;
}

TensorAnalysis AnalysisContext::carry(const std::string& what, bool keepChannels) const {
  const TensorAnalysis& in = input(0);
  if (in.status == Status::Float)
    return floatResult("float because its input " + quote(in.name) + " is float: " + className_ +
                       " keeps its input's values (" + what + ")");
  TensorAnalysis t = base();
  t.status = in.status;
  t.quantizer = in.quantizer;
  t.grid = in.grid;
  if (t.grid && !keepChannels) t.grid->steps.clear();
  t.source = sourceOf(in);
  const std::string onWhat = in.status == Status::Quantized
                                 ? (in.quantizer ? "the grid of " + *in.quantizer : std::string("its quantization"))
                                 : std::string("the exact grid");
  t.reason = className_ + " keeps " + onWhat + " from " + quote(t.source.value()) + " (" + what + ")";
  if (t.grid) t.reason += ": " + describeGrid(*t.grid);
  return t;
}

TensorAnalysis AnalysisContext::relu(const std::string& what, std::optional<double> maxValue) const {
  const TensorAnalysis& in = input(0);
  if (in.status == Status::Float) return floatBecauseInput(in, what);
  if (in.grid && in.grid->min >= 0 && (!maxValue || in.grid->max <= *maxValue))
    return carry(what + "; its input is already >= 0", true);
  std::optional<GridSummary> g = in.grid ? reluOfGrid(*in.grid, maxValue) : std::nullopt;
  if (!g)
    return floatResult(className_ + ": " + what + " of the non-uniform or data-dependent grid of " + quote(in.name) +
                       " is not tracked; add a QActivation('quantized_relu(...)') to quantize");
  TensorAnalysis t = exactResult(*g, className_ + " (" + what + ") of the grid of " + quote(in.name), sourceOf(in));
  if (in.status == Status::Quantized) {
    t.status = Status::Quantized;
    t.quantizer = in.quantizer;
  }
  return t;
}

// ---- The Dense / Conv family ----

TensorAnalysis linearOutputRule(const AnalysisContext& ctx, const QuantizedLayer& layer, const std::string& sumName,
                                const AccumulatorBoundFor& boundFor) {
  const std::string& cls = ctx.className();
  const bool qLayer = cls[0] == 'Q';
  const TensorAnalysis& in = ctx.input(0);
  const QuantizerPtr outQ = layer.outputQuantizer();
  const std::string weightQuantizers = quantizerSlotsText(layer.quantizers(), true);

  std::optional<AccumulatorBound> bound;
  if (isUniformDyadic(in)) bound = boundFor(sumStep(*in.grid), in.grid->min, in.grid->max);

  if (outQ) {
    TensorAnalysis t = ctx.quantizedBy(outQ, "activation ");
    if (bound) {
      t.accumulatorBits = bound->accumulatorBits;
      t.reason += "; the pre-activation sum needs a " + std::to_string(bound->accumulatorBits) + "-bit accumulator";
      if (!bound->fitsFloat32())
        t.reason += " (more than float32's 24-bit mantissa: the sum itself is rounded before the quantizer)";
    }
    return t;
  }

  const ActivationFunction& activation = layer.activation();
  const bool floatActivation = !activation.isIdentity() && !activation.quantizer();
  const ActivationFunction::Kind actKind = activation.kind();
  const std::string actName = activation.display();
  const bool reluLike = actKind == ActivationFunction::Kind::Relu || actKind == ActivationFunction::Kind::Relu6;

  std::string noQuantizer;
  if (qLayer) {
    noQuantizer = cls + " has no activation quantizer: the output is the raw " + sumName + " plus bias (its " +
                  (weightQuantizers.empty() ? std::string("weights are not quantized at all")
                                            : "weight quantizers " + weightQuantizers + " only quantize the weights") +
                  ")";
    if (floatActivation) noQuantizer += ", and its activation '" + actName + "' is a float function, not a quantizer";
  } else {
    noQuantizer = cls + " (Keras) has no quantizers: float weights" +
                  (floatActivation ? ", a float activation '" + actName + "'," : std::string(",")) +
                  " and no output quantizer";
  }
  const std::string fix =
      qLayer ? " Add activation='quantized_bits(...)' (or 'quantized_relu(...)') or a QActivation after it."
             : " Use Q" + cls + " with quantizers and activation='quantized_bits(...)', or add a QActivation after it.";

  if (in.status == Status::Float)
    return ctx.floatResult(noQuantizer + "; its input " + quote(in.name) + " is float, so the output is float." + fix);
  if (!bound)
    return ctx.floatResult(noQuantizer + "; its input " + quote(in.name) +
                           " is not on a fixed uniform power-of-two grid, so the sums are not tracked." + fix);
  const AccumulatorBound& b = *bound;
  if (!b.fitsFloat32()) {
    TensorAnalysis t = ctx.floatResult(
        noQuantizer + ". Its input " + quote(in.name) + " is on the " + formatStep(in.grid->step) +
        " grid, but the exact sums with these weights need " + std::to_string(b.mantissaBits) +
        " bits, more than float32's 24-bit mantissa, so float32 rounding may move values off the grid." + fix);
    t.accumulatorBits = b.accumulatorBits;
    return t;
  }
  GridSummary g = gridFromBound(b);
  double finest = std::numeric_limits<double>::infinity();
  for (double s : b.step) finest = std::min(finest, s);
  std::string reason = cls + ": input " + quote(in.name) + " is on the " + formatStep(in.grid->step) +
                       " grid and every effective weight is dyadic, so the sums are exact on the " +
                       formatStep(finest) + " grid (accumulator " + std::to_string(b.accumulatorBits) + " bits" +
                       (g.steps.empty() ? "" : " per output channel, each at its own step") +
                       "); no output quantizer re-quantizes them";
  if (floatActivation) {
    if (!reluLike)
      return ctx.floatResult(cls + "'s activation '" + actName +
                             "' is a float function applied to the exact sums, so the output is float." + fix);
    std::optional<GridSummary> r =
        reluOfGrid(g, actKind == ActivationFunction::Kind::Relu6 ? std::optional<double>(6.0) : std::nullopt);
    if (!r) return ctx.floatResult(cls + "'s activation '" + actName + "' leaves the exact grid of the sums." + fix);
    g = *r;
    reason += ", then its float activation '" + actName + "' keeps that grid";
  }
  TensorAnalysis t = ctx.exactResult(g, reason + " (add activation='quantized_bits(...)' to quantize)", ctx.name());
  t.accumulatorBits = b.accumulatorBits;
  return t;
}

// ---- The default rule of a layer ----

TensorAnalysis Layer::analyzeOutput(const AnalysisContext& ctx) const {
  if (QuantizerPtr q = outputQuantizer()) return ctx.quantizedBy(q, "activation ");
  if (isIdentityOnValues()) return ctx.carry(ctx.className() + " is the identity at inference", true);
  return ctx.floatResult(ctx.className() + " computes in float and has no output quantizer: its output is on no "
                                           "grid. Add a QActivation after it to quantize.");
}

}  // namespace qkw
