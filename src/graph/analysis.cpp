// The static quantization analysis (analysis.h). Each rule states which value set a layer's
// output provably lies in, given its inputs' value sets; everything else is float with a reason
// that names the layer class and the fix (semantics §5).
#include "graph/analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

#include "layers/conv.h"
#include "layers/dense.h"
#include "layers/quantized_layer.h"

namespace qkw {

using nlohmann::json;
using Status = TensorAnalysis::Status;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kFloat32Mantissa = 24;

// Unsigned bits needed to count up to `magnitude` (an integer count of steps).
int bitsForMagnitude(double magnitude) {
  if (!(magnitude >= 0) || std::isinf(magnitude)) return std::numeric_limits<int>::max();
  int bits = 0;
  while (std::ldexp(1.0, bits) < magnitude + 1.0) ++bits;
  return bits;
}

std::string formatNumber(double v) {
  std::ostringstream out;
  out.precision(10);
  out << v;
  return out.str();
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

std::string rangeText(double lo, double hi) { return "[" + formatNumber(lo) + ", " + formatNumber(hi) + "]"; }

std::string describeGrid(const GridSummary& g) {
  std::string sign = g.isSigned ? "signed" : "unsigned";
  switch (g.kind) {
    case Grid::Kind::PowerOfTwo:
      return std::to_string(g.bits) + "-bit power-of-two values in " + rangeText(g.min, g.max);
    case Grid::Kind::Custom:
      return std::to_string(g.bits) + "-bit non-uniform grid (" + std::to_string(g.values.size()) + " values) in " +
             rangeText(g.min, g.max);
    default:
      break;
  }
  std::string text = std::to_string(g.bits) + "-bit " + sign + ", step " + formatStep(g.step);
  if (!g.steps.empty()) text += " (finest of per-channel steps)";
  return text + ", range " + rangeText(g.min, g.max);
}

// The step every value of a uniform grid is a multiple of: min + k*step with min off the
// lattice (sign grids {-1, +1}, step 2) are multiples of the finer of step and min's own step.
double sumStep(const GridSummary& g) {
  if (g.min == 0 || std::remainder(g.min, g.step) == 0) return g.step;
  return std::min(g.step, dyadicStep(g.min));
}

bool isUniformDyadic(const TensorAnalysis& t) {
  return t.status != Status::Float && t.grid && t.grid->kind == Grid::Kind::Uniform && isPowerOfTwo(t.grid->step) &&
         isPowerOfTwo(sumStep(*t.grid));
}

// Bits of the odd part of a float's significand (1 for powers of two).
int significandBits(double v) {
  if (v == 0) return 0;
  const double step = dyadicStep(v);
  return bitsForMagnitude(std::fabs(v) / step);
}

std::string quantizerSlotsText(const std::vector<QuantizerSlot>& slots, bool weightsOnly) {
  std::string text;
  for (const QuantizerSlot& s : slots) {
    if (!s.quantizer || (weightsOnly && s.slot == "activation")) continue;
    if (!text.empty()) text += ", ";
    text += s.slot + " " + s.quantizer->str();
  }
  return text;
}

const json* configValue(const json* config, const std::string& key) {
  if (!config || !config->is_object()) return nullptr;
  auto it = config->find(key);
  if (it == config->end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<double> configNumber(const json* config, const std::string& key) {
  const json* v = configValue(config, key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

// pool_size as a list of ints (an int means the same size on every axis).
std::vector<int64_t> configSizes(const json* config, const std::string& key, size_t rank) {
  const json* v = configValue(config, key);
  if (!v) return {};
  if (v->is_number_integer()) return std::vector<int64_t>(rank, v->get<int64_t>());
  std::vector<int64_t> out;
  if (v->is_array())
    for (const json& e : *v)
      if (e.is_number_integer()) out.push_back(e.get<int64_t>());
  return out.size() == rank ? out : std::vector<int64_t>{};
}

std::string configPaddingName(const json* config) {
  const json* v = configValue(config, "padding");
  if (!v || !v->is_string()) return "valid";
  std::string p = v->get<std::string>();
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return p;
}

struct LayerCase {
  const LayerInfo& info;
  const Layer* layer;
  const json* config;  // the layer's Keras config from the graph, or nullptr
  std::vector<const TensorAnalysis*> inputs;
  std::vector<Shape> inputShapes;
};

TensorAnalysis base(const LayerCase& c) {
  TensorAnalysis t;
  t.name = c.info.name;
  t.className = c.info.className;
  t.inputs = c.info.inbound;
  return t;
}

TensorAnalysis floatResult(const LayerCase& c, std::string reason) {
  TensorAnalysis t = base(c);
  t.status = Status::Float;
  t.reason = std::move(reason);
  return t;
}

std::string sourceOf(const TensorAnalysis& in) { return in.source ? *in.source : in.name; }

// The first float input, if any.
const TensorAnalysis* firstFloat(const LayerCase& c) {
  for (const TensorAnalysis* in : c.inputs)
    if (in->status == Status::Float) return in;
  return nullptr;
}

TensorAnalysis floatBecauseInput(const LayerCase& c, const TensorAnalysis& in, const std::string& what) {
  return floatResult(c, "float because its input " + quote(in.name) + " is float (" + what + ")");
}

// Grid-preserving layers: the output values are a subset of the input's (plus, for padding, 0).
TensorAnalysis carry(const LayerCase& c, const std::string& what, bool keepChannels) {
  const TensorAnalysis& in = *c.inputs.at(0);
  if (in.status == Status::Float)
    return floatResult(c, "float because its input " + quote(in.name) + " is float: " + c.info.className +
                              " keeps its input's values (" + what + ")");
  TensorAnalysis t = base(c);
  t.status = in.status;
  t.quantizer = in.quantizer;
  t.grid = in.grid;
  if (t.grid && !keepChannels) t.grid->steps.clear();
  t.source = sourceOf(in);
  const std::string onWhat = in.status == Status::Quantized
                                 ? (in.quantizer ? "the grid of " + *in.quantizer : std::string("its quantization"))
                                 : std::string("the exact grid");
  t.reason = c.info.className + " keeps " + onWhat + " from " + quote(t.source.value()) + " (" + what + ")";
  if (t.grid) t.reason += ": " + describeGrid(*t.grid);
  return t;
}

TensorAnalysis exactResult(const LayerCase& c, GridSummary grid, std::string reason, const std::string& source) {
  TensorAnalysis t = base(c);
  t.status = Status::Exact;
  t.grid = std::move(grid);
  t.reason = std::move(reason) + ": " + describeGrid(*t.grid);
  t.source = source;
  return t;
}

TensorAnalysis quantizedBy(const LayerCase& c, const QuantizerPtr& q, const std::string& slotText) {
  TensorAnalysis t = base(c);
  t.status = Status::Quantized;
  t.quantizer = q->str();
  t.source = c.info.name;
  const std::string who = c.info.className + " " + slotText + q->str();
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

// ReLU of a grid: 0 is on every QKeras grid that reaches it, values below 0 become 0.
std::optional<GridSummary> reluOfGrid(const GridSummary& g, std::optional<double> maxValue) {
  if (g.kind != Grid::Kind::Uniform) return std::nullopt;
  if (std::fabs(std::remainder(g.min, g.step)) != 0 && g.min < 0) return std::nullopt;  // 0 not on the lattice
  GridSummary out = uniformGrid(g.step, std::max(0.0, g.min), std::max(0.0, g.max));
  out.steps = g.steps;
  if (maxValue && *maxValue < out.max) {
    if (std::fabs(std::remainder(*maxValue, g.step)) != 0) return std::nullopt;
    GridSummary clipped = uniformGrid(g.step, std::min(out.min, *maxValue), *maxValue);
    clipped.steps = g.steps;
    return clipped;
  }
  return out;
}

TensorAnalysis reluRule(const LayerCase& c, const std::string& what, std::optional<double> maxValue) {
  const TensorAnalysis& in = *c.inputs.at(0);
  if (in.status == Status::Float) return floatBecauseInput(c, in, what);
  if (in.grid && in.grid->min >= 0 && (!maxValue || in.grid->max <= *maxValue))
    return carry(c, what + "; its input is already >= 0", true);
  std::optional<GridSummary> g = in.grid ? reluOfGrid(*in.grid, maxValue) : std::nullopt;
  if (!g)
    return floatResult(c, c.info.className + ": " + what + " of the non-uniform or data-dependent grid of " +
                              quote(in.name) + " is not tracked; add a QActivation('quantized_relu(...)') to quantize");
  TensorAnalysis t = exactResult(c, *g, c.info.className + " (" + what + ") of the grid of " + quote(in.name), sourceOf(in));
  if (in.status == Status::Quantized) {
    t.status = Status::Quantized;
    t.quantizer = in.quantizer;
  }
  return t;
}

// ---- Dense / Conv family ----

const Tensor* findWeight(const std::vector<WeightInput>& weights, const std::string& role) {
  for (const WeightInput& w : weights)
    if (w.role == role) return &w.tensor;
  return nullptr;
}

std::vector<WeightInput> weightsOf(const Layer* layer) {
  if (!layer) return {};
  std::vector<WeightInput> w = layer->effectiveWeights();
  if (!w.empty()) return w;
  // Layers that do not list their effective weights yet: read the known classes directly.
  if (const auto* d = dynamic_cast<const DenseLayer*>(layer)) {
    w.push_back({"kernel", 0, d->kernel()});
    if (d->bias().size() > 0) w.push_back({"bias", 1, d->bias()});
  } else if (const auto* cv = dynamic_cast<const ConvLayer*>(layer)) {
    w.push_back({"kernel", 0, cv->kernel()});
    if (cv->bias().size() > 0) w.push_back({"bias", 1, cv->bias()});
  } else if (const auto* dw = dynamic_cast<const DepthwiseConvLayer*>(layer)) {
    w.push_back({"depthwise_kernel", 0, dw->kernel()});
    if (dw->bias().size() > 0) w.push_back({"bias", 1, dw->bias()});
  }
  return w;
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

bool isLinearFamily(const std::string& cls) {
  static const char* names[] = {"Dense", "QDense", "QDenseBatchnorm", "Conv1D", "Conv2D", "QConv1D", "QConv2D",
                                "Conv2DTranspose", "QConv2DTranspose", "DepthwiseConv2D", "QDepthwiseConv2D",
                                "SeparableConv1D", "SeparableConv2D", "QSeparableConv1D", "QSeparableConv2D",
                                "QConv2DBatchnorm", "QDepthwiseConv2DBatchnorm"};
  return std::find(std::begin(names), std::end(names), cls) != std::end(names);
}

struct LinearOutcome {
  std::optional<AccumulatorBound> bound;
  std::string missing;  // why no bound could be computed (weights absent)
};

LinearOutcome boundForLayer(const LayerCase& c, const TensorAnalysis& in) {
  LinearOutcome out;
  const std::string& cls = c.info.className;
  std::vector<WeightInput> weights = weightsOf(c.layer);
  const Tensor* bias = findWeight(weights, "bias");
  const GridSummary& g = *in.grid;
  if (contains(cls, "Separable")) {
    const Tensor* dw = findWeight(weights, "depthwise_kernel");
    const Tensor* pw = findWeight(weights, "pointwise_kernel");
    if (!dw || !pw || dw->rank() < 2 || pw->rank() < 2) {
      out.missing = "its effective depthwise/pointwise kernels are not available";
      return out;
    }
    KernelView v{dw, dw->shape[dw->rank() - 2] * dw->shape.back(), 1};
    out.bound = boundSeparable(v, *pw, bias, sumStep(g), g.min, g.max);
    return out;
  }
  const Tensor* kernel = contains(cls, "Depthwise") ? findWeight(weights, "depthwise_kernel") : nullptr;
  if (!kernel) kernel = findWeight(weights, "kernel");
  if (!kernel || kernel->rank() < 2) {
    out.missing = "its effective kernel is not available";
    return out;
  }
  const int r = kernel->rank();
  KernelView v{kernel, kernel->shape.back(), 1};
  if (contains(cls, "Depthwise")) v.channels = kernel->shape[r - 2] * kernel->shape[r - 1];
  if (contains(cls, "Transpose")) {
    v.channels = kernel->shape[r - 2];
    v.innerStride = kernel->shape[r - 1];
  }
  const bool isDense = cls == "Dense" || cls == "QDense" || cls == "QDenseBatchnorm";
  out.bound = boundLinear(v, bias, sumStep(g), g.min, g.max, !isDense);
  return out;
}

GridSummary gridFromBound(const AccumulatorBound& b) {
  double finest = kInf, lo = kInf, hi = -kInf;
  bool differ = false;
  for (size_t i = 0; i < b.step.size(); ++i) {
    if (i > 0 && b.step[i] != b.step[0]) differ = true;
    finest = std::min(finest, b.step[i]);
    lo = std::min(lo, b.lo[i]);
    hi = std::max(hi, b.hi[i]);
  }
  if (b.step.empty()) finest = 1, lo = 0, hi = 0;
  GridSummary g = uniformGrid(finest, lo, hi);
  if (differ) g.steps = b.step;
  return g;
}

std::string kernelStepsText(const AccumulatorBound& b, double inStep) {
  double finest = kInf;
  for (double s : b.step) finest = std::min(finest, s);
  (void)inStep;
  return formatStep(finest);
}

TensorAnalysis linearRule(const LayerCase& c) {
  const std::string& cls = c.info.className;
  const bool qLayer = cls[0] == 'Q';
  const TensorAnalysis& in = *c.inputs.at(0);
  const auto* ql = dynamic_cast<const QuantizedLayer*>(c.layer);
  const QuantizerPtr outQ = c.info.outputQuantizer ? c.info.outputQuantizer : (c.layer ? c.layer->outputQuantizer() : nullptr);
  std::vector<QuantizerSlot> slots = c.layer ? c.layer->quantizers() : c.info.quantizers;
  const std::string weightQuantizers = quantizerSlotsText(slots, true);

  LinearOutcome lin;
  if (isUniformDyadic(in)) lin = boundForLayer(c, in);

  if (outQ) {
    TensorAnalysis t = quantizedBy(c, outQ, "activation ");
    if (lin.bound) {
      t.accumulatorBits = lin.bound->accumulatorBits;
      t.reason += "; the pre-activation sum needs a " + std::to_string(lin.bound->accumulatorBits) +
                  "-bit accumulator";
      if (!lin.bound->fitsFloat32())
        t.reason += " (more than float32's 24-bit mantissa: the sum itself is rounded before the quantizer)";
    }
    return t;
  }

  const bool floatActivation = ql && !ql->activation().isIdentity() && !ql->activation().quantizer();
  const ActivationFunction::Kind actKind = ql ? ql->activation().kind() : ActivationFunction::Kind::Identity;
  const std::string actName = ql ? ql->activation().display() : "linear";
  const bool reluLike = actKind == ActivationFunction::Kind::Relu || actKind == ActivationFunction::Kind::Relu6;

  std::string noQuantizer;
  if (qLayer) {
    noQuantizer = cls + " has no activation quantizer: the output is the raw " +
                  std::string(contains(cls, "Dense") ? "dot product" : "convolution") + " plus bias (its " +
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
    return floatResult(c, noQuantizer + "; its input " + quote(in.name) + " is float, so the output is float." + fix);
  if (!isUniformDyadic(in))
    return floatResult(c, noQuantizer + "; its input " + quote(in.name) +
                              " is not on a fixed uniform power-of-two grid, so the sums are not tracked." + fix);
  if (!lin.bound)
    return floatResult(c, noQuantizer + "; " + lin.missing + ", so the sums are not tracked." + fix);
  const AccumulatorBound& b = *lin.bound;
  if (!b.fitsFloat32()) {
    TensorAnalysis t = floatResult(
        c, noQuantizer + ". Its input " + quote(in.name) + " is on the " + formatStep(in.grid->step) +
               " grid, but the exact sums with these weights need " + std::to_string(b.mantissaBits) +
               " bits, more than float32's 24-bit mantissa, so float32 rounding may move values off the grid." + fix);
    t.accumulatorBits = b.accumulatorBits;
    return t;
  }
  GridSummary g = gridFromBound(b);
  std::string reason = cls + ": input " + quote(in.name) + " is on the " + formatStep(in.grid->step) +
                       " grid and every effective weight is dyadic, so the sums are exact on the " +
                       kernelStepsText(b, in.grid->step) + " grid (accumulator " + std::to_string(b.accumulatorBits) +
                       " bits" + (g.steps.empty() ? "" : " per output channel, each at its own step") +
                       "); no output quantizer re-quantizes them";
  if (floatActivation) {
    if (!reluLike)
      return floatResult(c, cls + "'s activation '" + actName +
                                "' is a float function applied to the exact sums, so the output is float." + fix);
    std::optional<GridSummary> r =
        reluOfGrid(g, actKind == ActivationFunction::Kind::Relu6 ? std::optional<double>(6.0) : std::nullopt);
    if (!r) return floatResult(c, cls + "'s activation '" + actName + "' leaves the exact grid of the sums." + fix);
    g = *r;
    reason += ", then its float activation '" + actName + "' keeps that grid";
  }
  TensorAnalysis t = exactResult(c, g, reason + " (add activation='quantized_bits(...)' to quantize)", c.info.name);
  t.accumulatorBits = b.accumulatorBits;
  return t;
}

// ---- Batch normalization ----

TensorAnalysis batchNormRule(const LayerCase& c) {
  const std::string& cls = c.info.className;
  const std::string formula = "x\u00b7\u03b3/\u221a(\u03c3\u00b2+\u03b5)+\u03b2\u2032";
  if (cls == "QBatchNormalization") {
    std::vector<QuantizerSlot> slots = c.layer ? c.layer->quantizers() : c.info.quantizers;
    const std::string params = quantizerSlotsText(slots, false);
    std::string reason = "QBatchNormalization has no output quantizer: its parameters are " +
                         (params.empty() ? std::string("float (no parameter quantizers)") : "quantized (" + params + ")") +
                         ", its output " + formula +
                         " is not. Add QActivation('quantized_relu(4)') after it, or fold it into the conv with "
                         "QConv2DBatchnorm.";
    const json* act = configValue(c.config, "activation");
    if (act && !(act->is_string() && (act->get<std::string>() == "linear" || act->get<std::string>().empty())))
      reason += " Its activation=" + (act->is_string() ? quote(act->get<std::string>()) : act->dump()) +
                " argument is ignored by QKeras (stored, never applied).";
    return floatResult(c, reason);
  }
  return floatResult(c, "BatchNormalization (Keras) computes " + formula +
                            " in float: its output is on no grid. Add QActivation('quantized_relu(4)') after it, "
                            "or fold it into the conv with QConv2DBatchnorm.");
}

// ---- Activation layers with float functions ----

TensorAnalysis activationRule(const LayerCase& c) {
  const auto* ql = dynamic_cast<const QuantizedLayer*>(c.layer);
  const std::string& cls = c.info.className;
  if (!ql) return floatResult(c, cls + ": activation unknown to the analysis; treated as float");
  const ActivationFunction& f = ql->activation();
  const std::string call = cls + "('" + f.display() + "')";
  switch (f.kind()) {
    case ActivationFunction::Kind::Identity: return carry(c, call + " is the identity", true);
    case ActivationFunction::Kind::Relu: return reluRule(c, call, std::nullopt);
    case ActivationFunction::Kind::Relu6: return reluRule(c, call, 6.0);
    default: break;
  }
  std::string reason = call + " is a float function, not a quantizer: its output is on no grid.";
  if (cls == "QActivation")
    reason += " Use a quantizer such as QActivation('quantized_relu(4)') or 'quantized_bits(8,0)'.";
  else if (f.kind() == ActivationFunction::Kind::Softmax)
    reason += " (A final float softmax is normal; to quantize it use QActivation('quantized_bits(8,0)') after it.)";
  else
    reason += " Use QActivation with a quantizer (e.g. 'quantized_tanh(8)', 'quantized_sigmoid(8)') instead.";
  return floatResult(c, reason);
}

TensorAnalysis kerasReluRule(const LayerCase& c) {
  const std::string& cls = c.info.className;
  const TensorAnalysis& in = *c.inputs.at(0);
  if (in.status == Status::Float) return floatBecauseInput(c, in, cls + " keeps the values of its input");
  if (cls == "LeakyReLU") {
    if (in.grid && in.grid->min >= 0) return carry(c, "LeakyReLU of non-negative values is the identity", true);
    return floatResult(c, "LeakyReLU multiplies negative values by alpha: not tracked. Use "
                          "QActivation('quantized_relu(4,0,negative_slope=0.125)') for a quantized leaky ReLU.");
  }
  if (!c.config) return floatResult(c, "ReLU: the layer config is not available to the analysis; treated as float");
  const double slope = configNumber(c.config, "negative_slope").value_or(0.0);
  const double threshold = configNumber(c.config, "threshold").value_or(0.0);
  const std::optional<double> maxValue = configNumber(c.config, "max_value");
  if (slope != 0 && !(in.grid && in.grid->min >= 0))
    return floatResult(c, "ReLU with negative_slope multiplies negative values: not tracked. Use "
                          "QActivation('quantized_relu(...,negative_slope=...)').");
  if (threshold != 0) {
    if (!in.grid || in.grid->kind != Grid::Kind::Uniform)
      return floatResult(c, "ReLU with threshold on a non-uniform grid: not tracked");
    std::optional<GridSummary> g = reluOfGrid(*in.grid, maxValue);
    if (!g) return floatResult(c, "ReLU(threshold, max_value) leaves the input grid");
    TensorAnalysis t = exactResult(c, *g, "ReLU keeps values above its threshold and sets the rest to 0", sourceOf(in));
    if (in.status == Status::Quantized) t.status = Status::Quantized, t.quantizer = in.quantizer;
    return t;
  }
  return reluRule(c, "ReLU", maxValue);
}

// ---- Pooling ----

TensorAnalysis divideByArea(const LayerCase& c, double area, const std::string& what) {
  const TensorAnalysis& in = *c.inputs.at(0);
  if (in.status == Status::Float) return floatBecauseInput(c, in, what);
  if (!isUniformDyadic(in))
    return floatResult(c, c.info.className + ": " + what + " of a non-uniform or data-dependent grid is not tracked");
  const GridSummary& g = *in.grid;
  const double maxAbs = std::max(std::fabs(g.min), std::fabs(g.max));
  const double inStep = sumStep(g);
  if (bitsForMagnitude(area * maxAbs / inStep) > kFloat32Mantissa)
    return floatResult(c, c.info.className + ": the window sums need more than float32's 24-bit mantissa");
  GridSummary out = uniformGrid(inStep / area, g.min, g.max);
  for (double s : g.steps) out.steps.push_back(s / area);
  return exactResult(c, out,
                     c.info.className + " divides sums of the " + formatStep(g.step) + " grid of " + quote(in.name) +
                         " by " + formatNumber(area) + " (a power of two), which float32 does exactly",
                     sourceOf(in));
}

// The averaging windows: every divisor the op can use is a power of two.
std::optional<double> poolArea(const LayerCase& c, size_t rank, std::string* why) {
  std::vector<int64_t> pool = configSizes(c.config, "pool_size", rank);
  if (pool.empty()) {
    if (!c.config) {
      *why = "the layer config (pool_size) is not available to the analysis";
      return std::nullopt;
    }
    pool.assign(rank, 2);  // Keras default pool_size
  }
  const bool same = configPaddingName(c.config) == "same";
  double area = 1;
  for (int64_t p : pool) {
    if (p <= 0 || !isPowerOfTwo(static_cast<double>(p))) {
      *why = "its pool area is not a power of two, so dividing by it rounds";
      return std::nullopt;
    }
    if (same && p > 2) {
      *why = "padding='same' makes border windows divide by counts that are not powers of two";
      return std::nullopt;
    }
    area *= static_cast<double>(p);
  }
  return area;
}

TensorAnalysis averagePoolingRule(const LayerCase& c, size_t rank) {
  const TensorAnalysis& in = *c.inputs.at(0);
  if (in.status == Status::Float) return floatBecauseInput(c, in, "averaging float values");
  std::string why;
  std::optional<double> area = poolArea(c, rank, &why);
  if (!area) return floatResult(c, c.info.className + " averages its input and " + why + ": the output is float. Add a QActivation after it to quantize.");
  return divideByArea(c, *area, "average pooling");
}

TensorAnalysis globalAveragePoolingRule(const LayerCase& c) {
  const TensorAnalysis& in = *c.inputs.at(0);
  if (in.status == Status::Float) return floatBecauseInput(c, in, "averaging float values");
  const Shape& s = c.inputShapes.at(0);
  double n = 1;
  for (size_t d = 0; d + 1 < s.size(); ++d) n *= static_cast<double>(s[d]);
  if (!isPowerOfTwo(n))
    return floatResult(c, c.info.className + " divides by " + formatNumber(n) +
                              " positions, not a power of two, so the mean is rounded: float. Add a QActivation after it to quantize.");
  return divideByArea(c, n, "global average pooling");
}

// QAveragePooling2D / QGlobalAveragePooling2D (semantics §4.6) without an output quantizer.
TensorAnalysis qAveragePoolingRule(const LayerCase& c) {
  std::vector<QuantizerSlot> slots = c.layer ? c.layer->quantizers() : c.info.quantizers;
  QuantizerPtr avgQ;
  for (const QuantizerSlot& s : slots)
    if (s.slot == "average_quantizer") avgQ = s.quantizer;
  const bool global = c.info.className == "QGlobalAveragePooling2D";
  if (!avgQ) return global ? globalAveragePoolingRule(c) : averagePoolingRule(c, 2);
  const TensorAnalysis& in = *c.inputs.at(0);
  if (in.status == Status::Float) return floatBecauseInput(c, in, "averaging float values");
  if (!isUniformDyadic(in))
    return floatResult(c, c.info.className + ": pooling a non-uniform or data-dependent grid is not tracked");
  double area = 1;
  if (global) {
    const Shape& s = c.inputShapes.at(0);
    for (size_t d = 0; d + 1 < s.size(); ++d) area *= static_cast<double>(s[d]);
  } else {
    std::string why;
    std::optional<double> a = poolArea(c, 2, &why);
    if (!a) return floatResult(c, c.info.className + " averages its input and " + why + ": float. Add activation='quantized_bits(...)'.");
    area = *a;
  }
  float multiplier = static_cast<float>(1.0 / area);
  avgQ->apply(&multiplier, &multiplier, Shape{1});
  const GridSummary& g = *in.grid;
  // Both forms compute (sum of the window) * q(1/A): the sum on the input step, then one product.
  const double inStep = sumStep(g);
  const double sumBits = bitsForMagnitude(area * std::max(std::fabs(g.min), std::fabs(g.max)) / inStep);
  if (!std::isfinite(multiplier) || sumBits + significandBits(multiplier) > kFloat32Mantissa)
    return floatResult(c, c.info.className + ": the window sum times average_quantizer(1/" + formatNumber(area) +
                              ") = " + formatNumber(multiplier) + " needs more than float32's 24-bit mantissa: float. "
                              "Add activation='quantized_bits(...)'.");
  const double m = multiplier;
  const double lo = std::min(area * g.min * m, area * g.max * m), hi = std::max(area * g.min * m, area * g.max * m);
  const double step = m == 0 ? inStep : inStep * dyadicStep(m);
  return exactResult(c, uniformGrid(step, lo, hi),
                     c.info.className + " multiplies window sums of the " + formatStep(g.step) + " grid of " +
                         quote(in.name) + " by average_quantizer(1/" + formatNumber(area) + ") = " + formatNumber(m) +
                         ", exactly in float32; no output quantizer",
                     sourceOf(in));
}

// ---- Merges ----

TensorAnalysis mergeRule(const LayerCase& c) {
  const std::string& cls = c.info.className;
  if (c.inputs.empty()) return floatResult(c, cls + " has no inputs");
  if (const TensorAnalysis* f = firstFloat(c)) return floatBecauseInput(c, *f, cls + " of float values");
  bool allSame = true;
  for (const TensorAnalysis* in : c.inputs) {
    const auto& a = in->grid;
    const auto& b = c.inputs[0]->grid;
    if (!a || !b || in->status != c.inputs[0]->status || a->kind != b->kind || a->step != b->step || a->min != b->min ||
        a->max != b->max || a->steps != b->steps || in->quantizer != c.inputs[0]->quantizer)
      allSame = false;
  }
  const bool selecting = cls == "Concatenate" || cls == "Maximum" || cls == "Minimum";
  if (allSame && selecting) return carry(c, cls + " of inputs that share one grid", cls != "Concatenate");
  for (const TensorAnalysis* in : c.inputs)
    if (!isUniformDyadic(*in))
      return floatResult(c, cls + ": input " + quote(in->name) +
                                " is not on a fixed uniform power-of-two grid, so the result is not tracked. Add a "
                                "QActivation after it to quantize.");
  double step = kInf, lo = 0, hi = 0;
  for (size_t k = 0; k < c.inputs.size(); ++k) {
    const GridSummary& g = *c.inputs[k]->grid;
    if (cls == "Multiply") {
      if (k == 0) {
        step = sumStep(g), lo = g.min, hi = g.max;
        continue;
      }
      const double p[] = {lo * g.min, lo * g.max, hi * g.min, hi * g.max};
      lo = *std::min_element(p, p + 4);
      hi = *std::max_element(p, p + 4);
      step *= sumStep(g);
      continue;
    }
    step = std::min(step, sumStep(g));
    if (k == 0) {
      lo = g.min, hi = g.max;
    } else if (cls == "Add" || cls == "Average") {
      lo += g.min, hi += g.max;
    } else if (cls == "Subtract") {
      lo -= g.max, hi -= g.min;
    } else if (cls == "Maximum") {
      lo = std::max(lo, g.min), hi = std::max(hi, g.max);
    } else if (cls == "Minimum") {
      lo = std::min(lo, g.min), hi = std::min(hi, g.max);
    } else {  // Concatenate
      lo = std::min(lo, g.min), hi = std::max(hi, g.max);
    }
  }
  std::string how = "the finest common step of its inputs";
  if (cls == "Average") {
    const double n = static_cast<double>(c.inputs.size());
    if (!isPowerOfTwo(n))
      return floatResult(c, "Average of " + formatNumber(n) + " inputs divides by a non-power of two: float");
    lo /= n, hi /= n, step /= n;
    how = "the sum of its inputs divided by " + formatNumber(n);
  } else if (cls == "Multiply") {
    how = "the product of its inputs' grids";
  } else if (cls == "Add" || cls == "Subtract") {
    how = "the finest step of its inputs, ranges " + std::string(cls == "Add" ? "added" : "subtracted");
  }
  double partial = 0;  // bound of partial sums for Add/Average, of the result otherwise
  if (cls == "Add" || cls == "Average")
    for (const TensorAnalysis* in : c.inputs) partial += std::max(std::fabs(in->grid->min), std::fabs(in->grid->max));
  partial = std::max({partial, std::fabs(lo), std::fabs(hi)}) * (cls == "Average" ? static_cast<double>(c.inputs.size()) : 1.0);
  if (bitsForMagnitude(partial / (cls == "Average" ? step * static_cast<double>(c.inputs.size()) : step)) > kFloat32Mantissa)
    return floatResult(c, cls + ": the exact result needs more than float32's 24-bit mantissa, so float32 rounding "
                                "may move values off the grid. Add a QActivation after it to quantize.");
  return exactResult(c, uniformGrid(step, lo, hi), cls + " of dyadic grids stays on " + how,
                     sourceOf(*c.inputs[0]));
}

TensorAnalysis zeroPaddingRule(const LayerCase& c) {
  const TensorAnalysis& in = *c.inputs.at(0);
  if (in.status == Status::Float) return floatBecauseInput(c, in, "ZeroPadding keeps the values of its input");
  if (!in.grid) return carry(c, "ZeroPadding adds zeros", true);
  const GridSummary& g = *in.grid;
  if (g.min <= 0 && g.max >= 0 &&
      (g.kind != Grid::Kind::Uniform || std::fabs(std::remainder(g.min, g.step)) == 0))
    return carry(c, "ZeroPadding adds zeros, and 0 is on the grid", true);
  if (g.kind == Grid::Kind::Uniform && std::fabs(std::remainder(g.min, g.step)) == 0) {
    GridSummary out = uniformGrid(g.step, std::min(0.0, g.min), std::max(0.0, g.max));
    out.steps = g.steps;
    return exactResult(c, out, "ZeroPadding adds zeros to the grid of " + quote(in.name) + " (0 is on its lattice)",
                       sourceOf(in));
  }
  return floatResult(c, "ZeroPadding inserts 0, which is not on the grid of its input " + quote(in.name));
}

TensorAnalysis rescalingRule(const LayerCase& c) {
  const TensorAnalysis& in = *c.inputs.at(0);
  if (in.status == Status::Float) return floatBecauseInput(c, in, "Rescaling of float values");
  if (!c.config) return floatResult(c, "Rescaling: the layer config is not available to the analysis; treated as float");
  const std::optional<double> scale = configNumber(c.config, "scale");
  const double offset = configNumber(c.config, "offset").value_or(0.0);
  if (!scale) return floatResult(c, "Rescaling with a per-channel or missing scale is not tracked");
  const float s = static_cast<float>(*scale), o = static_cast<float>(offset);
  if (!isUniformDyadic(in))
    return floatResult(c, "Rescaling of a non-uniform or data-dependent grid is not tracked");
  const GridSummary& g = *in.grid;
  const double maxAbs = std::max(std::fabs(g.min), std::fabs(g.max));
  double step = s == 0 ? sumStep(g) : sumStep(g) * dyadicStep(s);
  const bool productExact = s == 0 || bitsForMagnitude(maxAbs / sumStep(g)) + significandBits(s) <= kFloat32Mantissa;
  double lo = std::min(g.min * s, g.max * s) + o, hi = std::max(g.min * s, g.max * s) + o;
  if (o != 0) step = std::min(step, dyadicStep(o));
  if (!productExact || bitsForMagnitude(std::max(std::fabs(lo), std::fabs(hi)) / step) > kFloat32Mantissa)
    return floatResult(c, "Rescaling(scale=" + formatNumber(s) + ", offset=" + formatNumber(o) +
                              ") multiplies by a scale that is not a short dyadic number (e.g. 1/255): the products "
                              "need more than float32's 24-bit mantissa, so the output is float");
  return exactResult(c, uniformGrid(step, lo, hi),
                     "Rescaling(scale=" + formatNumber(s) + ", offset=" + formatNumber(o) + ") maps the grid of " +
                         quote(in.name) + " exactly",
                     sourceOf(in));
}

TensorAnalysis analyzeLayer(const LayerCase& c) {
  const std::string& cls = c.info.className;
  if (cls == "InputLayer")
    return floatResult(c, "model input: float unless the data you feed is on a grid (the observed check will tell)");
  for (const TensorAnalysis* in : c.inputs)
    if (!in) return floatResult(c, cls + ": an input was not analyzed");
  if (c.inputs.empty()) return floatResult(c, cls + " has no inputs known to the analysis");

  if (isLinearFamily(cls)) return linearRule(c);

  const QuantizerPtr outQ =
      c.info.outputQuantizer ? c.info.outputQuantizer : (c.layer ? c.layer->outputQuantizer() : nullptr);
  if (outQ) return quantizedBy(c, outQ, cls == "QActivation" ? "" : "activation ");

  if (cls == "QBatchNormalization" || cls == "BatchNormalization") return batchNormRule(c);
  if (cls == "Activation" || cls == "QActivation") return activationRule(c);
  if (cls == "ReLU" || cls == "LeakyReLU") return kerasReluRule(c);
  if (cls == "MaxPooling1D" || cls == "MaxPooling2D" || cls == "MaxPool1D" || cls == "MaxPool2D")
    return carry(c, "the max of grid values is a grid value", true);
  if (cls == "GlobalMaxPooling1D" || cls == "GlobalMaxPooling2D" || cls == "GlobalMaxPool1D" ||
      cls == "GlobalMaxPool2D")
    return carry(c, "the max of grid values is a grid value", true);
  if (cls == "Cropping1D" || cls == "Cropping2D") return carry(c, "cropping keeps a subset of the values", true);
  if (cls == "UpSampling1D" || cls == "UpSampling2D") return carry(c, "nearest upsampling repeats values", true);
  if (cls == "ZeroPadding1D" || cls == "ZeroPadding2D") return zeroPaddingRule(c);
  if (cls == "AveragePooling1D" || cls == "AvgPool1D") return averagePoolingRule(c, 1);
  if (cls == "AveragePooling2D" || cls == "AvgPool2D") return averagePoolingRule(c, 2);
  if (cls == "GlobalAveragePooling1D" || cls == "GlobalAveragePooling2D" || cls == "GlobalAvgPool1D" ||
      cls == "GlobalAvgPool2D")
    return globalAveragePoolingRule(c);
  if (cls == "QAveragePooling2D" || cls == "QGlobalAveragePooling2D") return qAveragePoolingRule(c);
  if (cls == "Add" || cls == "Subtract" || cls == "Maximum" || cls == "Minimum" || cls == "Average" ||
      cls == "Multiply" || cls == "Concatenate")
    return mergeRule(c);
  if (cls == "Rescaling") return rescalingRule(c);
  if (cls == "Flatten" || cls == "Reshape" || cls == "Permute")
    return carry(c, cls + " only moves values", false);
  if (c.info.identityOnValues || (c.layer && c.layer->isIdentityOnValues()))
    return carry(c, cls + " is the identity at inference", true);
  if (cls == "Softmax")
    return floatResult(c, "Softmax is a float function: its output is on no grid (a final float softmax is normal)");
  return floatResult(c, cls + " computes in float and has no output quantizer: its output is on no grid. Add a "
                            "QActivation after it to quantize.");
}

json gridJson(const GridSummary& g) {
  json j;
  switch (g.kind) {
    case Grid::Kind::PowerOfTwo: j["kind"] = "powerOfTwo"; break;
    case Grid::Kind::Custom: j["kind"] = "custom"; break;
    default: j["kind"] = "uniform"; break;
  }
  j["bits"] = g.bits;
  j["integer"] = g.integer;
  j["signed"] = g.isSigned;
  j["step"] = g.kind == Grid::Kind::Uniform ? json(g.step) : json(nullptr);
  if (!g.steps.empty()) j["steps"] = g.steps;
  j["min"] = g.min;
  j["max"] = g.max;
  if (!g.values.empty()) j["values"] = g.values;
  return j;
}

}  // namespace

const char* statusName(Status status) {
  switch (status) {
    case Status::Quantized: return "quantized";
    case Status::Exact: return "exact";
    default: return "float";
  }
}

double dyadicStep(double v) {
  if (!std::isfinite(v)) return std::numeric_limits<double>::quiet_NaN();
  if (v == 0) return kInf;
  int e = 0;
  const double f = std::frexp(std::fabs(v), &e);  // |v| = f * 2^e, f in [0.5, 1)
  auto m = static_cast<uint64_t>(std::ldexp(f, 53));
  int trailing = 0;
  while ((m & 1u) == 0) m >>= 1, ++trailing;
  return std::ldexp(1.0, e - 53 + trailing);
}

bool isPowerOfTwo(double step) {
  if (!(step > 0) || !std::isfinite(step)) return false;
  int e = 0;
  return std::frexp(step, &e) == 0.5;
}

std::string formatStep(double step) {
  if (isPowerOfTwo(step)) {
    int e = 0;
    std::frexp(step, &e);
    const int p = e - 1;  // step = 2^p
    if (p >= 0) return formatNumber(step);
    if (p >= -20) return "1/" + std::to_string(int64_t{1} << -p);
    return "2^" + std::to_string(p);
  }
  return formatNumber(step);
}

GridSummary uniformGrid(double step, double min, double max) {
  GridSummary g;
  g.kind = Grid::Kind::Uniform;
  g.step = step;
  g.min = min;
  g.max = max;
  g.isSigned = min < 0;
  if (!(step > 0)) return g;
  const double loInt = std::round(min / step), hiInt = std::round(max / step);
  if (g.isSigned) {
    // Two's complement: [-2^(b-1), 2^(b-1) - 1].
    int b = 1;
    while (-std::ldexp(1.0, b - 1) > loInt || std::ldexp(1.0, b - 1) - 1 < hiInt) ++b;
    g.bits = b;
  } else {
    g.bits = std::max(1, bitsForMagnitude(hiInt));
  }
  if (isPowerOfTwo(step)) {
    int e = 0;
    std::frexp(step, &e);
    g.integer = (e - 1) + g.bits - (g.isSigned ? 1 : 0);
  }
  return g;
}

GridSummary gridFromQuantizer(const Grid& grid, const Quantizer* quantizer) {
  GridSummary g;
  g.kind = grid.kind;
  g.bits = grid.bits;
  g.integer = grid.integer;
  g.isSigned = grid.isSigned;
  g.step = grid.kind == Grid::Kind::Uniform ? grid.step : 0;
  g.min = grid.min;
  g.max = grid.max;
  if (grid.kind == Grid::Kind::Custom && quantizer) {
    std::vector<float> values;
    try {
      values = quantizer->range();
    } catch (const Error&) {
      // Too many values to list (range() refuses past 2^20): the summary keeps min/max only.
    }
    for (float v : values) g.values.push_back(v);
    std::sort(g.values.begin(), g.values.end());
    g.values.erase(std::unique(g.values.begin(), g.values.end()), g.values.end());
  }
  return g;
}

AccumulatorBound boundLinear(const KernelView& view, const Tensor* bias, double inStep, double inMin, double inMax,
                             bool zeroTerms) {
  AccumulatorBound b;
  const int64_t channels = view.channels;
  b.lo.assign(channels, 0.0);
  b.hi.assign(channels, 0.0);
  b.absBound.assign(channels, 0.0);
  std::vector<double> kernelStep(channels, kInf), biasStep(channels, kInf);
  const double inAbs = std::max(std::fabs(inMin), std::fabs(inMax));
  bool finite = std::isfinite(inMin) && std::isfinite(inMax);
  const float* w = view.kernel->data.data();
  const int64_t n = view.kernel->size();
  for (int64_t i = 0; i < n; ++i) {
    const double v = w[i];
    if (v == 0) continue;
    if (!std::isfinite(v)) {
      finite = false;
      continue;
    }
    const int64_t c = (i / view.innerStride) % channels;
    double tlo = std::min(v * inMin, v * inMax), thi = std::max(v * inMin, v * inMax);
    if (zeroTerms) tlo = std::min(tlo, 0.0), thi = std::max(thi, 0.0);
    b.lo[c] += tlo;
    b.hi[c] += thi;
    b.absBound[c] += std::fabs(v) * inAbs;
    kernelStep[c] = std::min(kernelStep[c], dyadicStep(v));
  }
  if (bias && bias->size() == channels) {
    for (int64_t c = 0; c < channels; ++c) {
      const double v = bias->data[c];
      if (!std::isfinite(v)) finite = false;
      if (v == 0 || !std::isfinite(v)) continue;
      b.lo[c] += v;
      b.hi[c] += v;
      b.absBound[c] += std::fabs(v);
      biasStep[c] = dyadicStep(v);
    }
  }
  b.step.resize(channels);
  for (int64_t c = 0; c < channels; ++c) {
    double s = std::min(inStep * kernelStep[c], biasStep[c]);
    if (std::isinf(s)) s = inStep;  // the channel is constant 0
    b.step[c] = s;
    const double peak = std::max(std::fabs(b.lo[c]), std::fabs(b.hi[c]));
    b.accumulatorBits = std::max(b.accumulatorBits, bitsForMagnitude(peak / s) + 1);
    b.mantissaBits = std::max(b.mantissaBits, bitsForMagnitude(b.absBound[c] / s));
  }
  if (!finite) b.mantissaBits = std::numeric_limits<int>::max();
  return b;
}

AccumulatorBound boundSeparable(const KernelView& depthwise, const Tensor& pointwise, const Tensor* bias,
                                double inStep, double inMin, double inMax) {
  const AccumulatorBound mid = boundLinear(depthwise, nullptr, inStep, inMin, inMax, true);
  const int64_t m = depthwise.channels;
  const int64_t filters = pointwise.shape.back();
  AccumulatorBound b;
  b.lo.assign(filters, 0.0);
  b.hi.assign(filters, 0.0);
  b.absBound.assign(filters, 0.0);
  std::vector<double> step(filters, kInf);
  bool finite = mid.mantissaBits != std::numeric_limits<int>::max();
  if (pointwise.size() != m * filters) finite = false;
  for (int64_t k = 0; finite && k < m; ++k) {
    const double midAbs = std::max(std::fabs(mid.lo[k]), std::fabs(mid.hi[k]));
    for (int64_t f = 0; f < filters; ++f) {
      const double v = pointwise.data[k * filters + f];
      if (v == 0) continue;
      if (!std::isfinite(v)) {
        finite = false;
        break;
      }
      b.lo[f] += std::min(v * mid.lo[k], v * mid.hi[k]);
      b.hi[f] += std::max(v * mid.lo[k], v * mid.hi[k]);
      b.absBound[f] += std::fabs(v) * midAbs;
      step[f] = std::min(step[f], mid.step[k] * dyadicStep(v));
    }
  }
  if (finite && bias && bias->size() == filters)
    for (int64_t f = 0; f < filters; ++f) {
      const double v = bias->data[f];
      if (!std::isfinite(v)) finite = false;
      if (v == 0 || !std::isfinite(v)) continue;
      b.lo[f] += v;
      b.hi[f] += v;
      b.absBound[f] += std::fabs(v);
      step[f] = std::min(step[f], dyadicStep(v));
    }
  b.step.resize(filters);
  b.mantissaBits = mid.mantissaBits;
  for (int64_t f = 0; f < filters; ++f) {
    b.step[f] = std::isinf(step[f]) ? inStep : step[f];
    const double peak = std::max(std::fabs(b.lo[f]), std::fabs(b.hi[f]));
    b.accumulatorBits = std::max(b.accumulatorBits, bitsForMagnitude(peak / b.step[f]) + 1);
    b.mantissaBits = std::max(b.mantissaBits, bitsForMagnitude(b.absBound[f] / b.step[f]));
  }
  if (!finite) b.mantissaBits = std::numeric_limits<int>::max();
  return b;
}

std::vector<TensorAnalysis> analyzeModel(const Model& model, const json* graph) {
  std::map<std::string, const json*> configs;
  if (graph && graph->is_object() && graph->contains("layers") && (*graph)["layers"].is_array())
    for (const json& l : (*graph)["layers"]) {
      if (!l.is_object() || !l.contains("name") || !l["name"].is_string()) continue;
      auto it = l.find("config");
      if (it != l.end() && it->is_object()) configs[l["name"].get<std::string>()] = &*it;
    }

  const std::vector<LayerInfo>& layers = model.layers();
  std::vector<TensorAnalysis> results;
  results.reserve(layers.size());
  std::map<std::string, size_t> indexByName;
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerInfo& info = layers[i];
    const Layer* layer = info.layer ? info.layer : &model.layer(i);
    auto cfg = configs.find(info.name);
    LayerCase c{info, layer, cfg == configs.end() ? nullptr : cfg->second, {}, {}};
    for (const std::string& in : info.inbound) {
      auto it = indexByName.find(in);
      c.inputs.push_back(it == indexByName.end() ? nullptr : &results[it->second]);
      c.inputShapes.push_back(it == indexByName.end() ? Shape{} : layers[it->second].outputShape);
    }
    results.push_back(analyzeLayer(c));
    indexByName[info.name] = i;
  }
  return results;
}

json toJson(const TensorAnalysis& a) {
  json j;
  j["name"] = a.name;
  j["className"] = a.className;
  j["status"] = statusName(a.status);
  j["quantizer"] = a.quantizer ? json(*a.quantizer) : json(nullptr);
  j["grid"] = a.grid ? gridJson(*a.grid) : json(nullptr);
  j["accumulatorBits"] = a.accumulatorBits ? json(*a.accumulatorBits) : json(nullptr);
  j["reason"] = a.reason;
  j["source"] = a.source ? json(*a.source) : json(nullptr);
  j["inputs"] = a.inputs;
  return j;
}

json toJson(const std::vector<TensorAnalysis>& analyses) {
  json j = json::array();
  for (const TensorAnalysis& a : analyses) j.push_back(toJson(a));
  return j;
}

}  // namespace qkw
