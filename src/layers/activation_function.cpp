#include "layers/activation_function.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "quant/keras_batch.h"

namespace qkw {

namespace {

using Kind = ActivationFunction::Kind;

const std::map<std::string, Kind>& kerasActivations() {
  static const std::map<std::string, Kind> m = {
      {"linear", Kind::Identity},       {"relu", Kind::Relu},
      {"relu6", Kind::Relu6},           {"sigmoid", Kind::Sigmoid},
      {"hard_sigmoid", Kind::KerasHardSigmoid}, {"tanh", Kind::Tanh},
      {"softmax", Kind::Softmax},       {"swish", Kind::Swish},
      {"silu", Kind::Swish},            {"elu", Kind::Elu},
      {"selu", Kind::Selu},             {"softplus", Kind::Softplus},
      {"softsign", Kind::Softsign},     {"exponential", Kind::Exponential},
      {"gelu", Kind::Gelu},
  };
  return m;
}

// Functions defined in qkeras/quantizers.py's namespace, which get_quantizer finds before
// Keras's activations.
const std::map<std::string, Kind>& qkerasFunctions() {
  static const std::map<std::string, Kind> m = {
      {"hard_sigmoid", Kind::QKerasHardSigmoid}, {"smooth_sigmoid", Kind::SmoothSigmoid},
      {"binary_sigmoid", Kind::BinarySigmoid},   {"hard_tanh", Kind::HardTanh},
      {"smooth_tanh", Kind::SmoothTanh},         {"binary_tanh", Kind::BinaryTanh},
  };
  return m;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\n");
  return s.substr(b, e - b + 1);
}

inline float clip01(float v) { return std::min(std::max(v, 0.0f), 1.0f); }
inline float qkerasHardSigmoid(float x) { return clip01(0.5f * x + 0.5f); }
inline float smoothSigmoid(float x) { return clip01(0.1875f * x + 0.5f); }
// _round_through: x + (-x + round(x)), round half to even.
inline float roundThrough(float x) { return x + (-x + std::nearbyint(x)); }

float applyScalar(Kind kind, float x) {
  switch (kind) {
    case Kind::Identity: return x;
    case Kind::Relu: return x > 0.0f ? x : 0.0f;
    case Kind::Relu6: return std::min(std::max(x, 0.0f), 6.0f);
    case Kind::Sigmoid: return quant::eigenSigmoidScalarf(x);
    case Kind::KerasHardSigmoid: {
      // tf-keras backend.hard_sigmoid: x * 0.2 + 0.5, clipped.
      float v = x * 0.2f;
      v = v + 0.5f;
      return clip01(v);
    }
    case Kind::Tanh: return quant::eigenTanhf(x);  // tf.tanh: same rational on packets and scalars
    case Kind::Swish: return x * quant::eigenSigmoidScalarf(x);
    case Kind::Elu: return x < 0.0f ? std::exp(x) - 1.0f : x;
    case Kind::Selu: {
      const float scale = 1.05070098735548049342f;
      const float scaleAlpha = 1.75809934084737685994f;
      return x < 0.0f ? scaleAlpha * (std::exp(x) - 1.0f) : scale * x;
    }
    case Kind::Softplus: {
      // TF's SoftplusOp thresholds (log(eps) + 2) avoid overflow and keep exp(x) for tiny x.
      const float threshold = std::log(std::numeric_limits<float>::epsilon()) + 2.0f;
      if (x > -threshold) return x;
      float e = std::exp(x);
      if (x < threshold) return e;
      return std::log(e + 1.0f);
    }
    case Kind::Softsign: return x / (1.0f + std::fabs(x));
    case Kind::Exponential: return std::exp(x);
    case Kind::Gelu: return (0.5f * x) * (1.0f + std::erf(x / 1.41421356237309504880f));
    case Kind::QKerasHardSigmoid: return qkerasHardSigmoid(x);
    case Kind::SmoothSigmoid: return smoothSigmoid(x);
    case Kind::BinarySigmoid: return roundThrough(qkerasHardSigmoid(x));
    case Kind::HardTanh: return 2.0f * qkerasHardSigmoid(x) - 1.0f;
    case Kind::SmoothTanh: return 2.0f * smoothSigmoid(x) - 1.0f;
    case Kind::BinaryTanh: return 2.0f * roundThrough(qkerasHardSigmoid(x)) - 1.0f;
    case Kind::Softmax:
    case Kind::Quantizer: break;
  }
  return x;
}

// The functions whose TF kernel differs between packets and the scalar tail.
float applyIndexed(Kind kind, float x, int64_t index, int64_t count) {
  switch (kind) {
    case Kind::Sigmoid: return quant::tfSigmoidf(x, index, count);
    case Kind::Swish: return x * quant::tfSigmoidf(x, index, count);
    case Kind::Exponential: return quant::tfExpf(x, index, count);
    case Kind::Elu: return x < 0.0f ? quant::tfExpf(x, index, count) - 1.0f : x;
    case Kind::Selu: {
      const float scale = 1.05070098735548049342f;
      const float scaleAlpha = 1.75809934084737685994f;
      return x < 0.0f ? scaleAlpha * (quant::tfExpf(x, index, count) - 1.0f) : scale * x;
    }
    default: return applyScalar(kind, x);
  }
}

std::string displayFor(Kind kind, const std::string& name) {
  if (kind == Kind::QKerasHardSigmoid) return "hard_sigmoid (QKeras, slope 0.5)";
  if (kind == Kind::KerasHardSigmoid) return "hard_sigmoid (Keras, slope 0.2)";
  return name;
}

// The quantizer's class name from a string spec ("quantized_bits(4,0,1)") or a dict.
std::string specClassName(const qkw::Json& spec) {
  if (spec.is_string()) {
    std::string s = spec.get<std::string>();
    return trim(s.substr(0, s.find('(')));
  }
  if (spec.is_object() && spec.contains("class_name") && spec["class_name"].is_string())
    return spec["class_name"].get<std::string>();
  return "";
}

QuantizerPtr buildQuantizer(const LayerContext& ctx, const std::string& key, const qkw::Json& spec,
                            bool weightSlot) {
  QuantizerOptions options = ctx.quantizerOptions;
  options.weightSlot = weightSlot;
  try {
    return makeQuantizer(spec, options);
  } catch (const Unsupported& e) {
    throw Unsupported(ctx.errorPrefix() + "'" + key + "': " + e.what());
  } catch (const Error& e) {
    throw Error(ctx.errorPrefix() + "'" + key + "': " + e.what());
  }
}

}  // namespace

ActivationFunction ActivationFunction::keras(Kind kind, const std::string& name) {
  ActivationFunction f;
  f.kind_ = kind;
  f.display_ = displayFor(kind, name);
  return f;
}

namespace {

Error unknownActivation(const LayerContext& ctx, const std::string& slot, ActivationFlavor flavor,
                        const qkw::Json& v) {
  return Error(ctx.errorPrefix() + "'" + slot + "' is not a known " +
               (flavor == ActivationFlavor::QKeras ? "quantizer or activation" : "Keras activation") + ": " +
               v.dump());
}

}  // namespace

ActivationFunction ActivationFunction::resolve(const qkw::Json* value, const LayerContext& ctx,
                                               ActivationFlavor flavor, const std::string& slot) {
  ActivationFunction f = resolveKind(value, ctx, flavor, slot);
  f.kernels_ = ctx.quantizerOptions.oneDnnKernels ? quant::TfCpuKernels::OneDnn : quant::TfCpuKernels::Eigen;
  return f;
}

ActivationFunction ActivationFunction::resolveKind(const qkw::Json* value, const LayerContext& ctx,
                                                   ActivationFlavor flavor, const std::string& slot) {
  if (!value || value->is_null()) return ActivationFunction();
  const qkw::Json& v = *value;

  // Keras 3 serializes plain functions as {"class_name": "function", "config": "relu", ...}.
  if (v.is_object() && v.value("class_name", "") == "function" && v.contains("config") && v["config"].is_string())
    return resolveKind(&v["config"], ctx, flavor, slot);

  if (v.is_string()) {
    const std::string text = trim(v.get<std::string>());
    const bool hasArgs = text.find('(') != std::string::npos;
    const std::string name = trim(text.substr(0, text.find('(')));
    if (text.empty()) return ActivationFunction();
    if (flavor == ActivationFlavor::QKeras) {
      auto q = qkerasFunctions().find(name);
      if (q != qkerasFunctions().end() && !hasArgs) return keras(q->second, name);
      if (isQuantizerName(name)) return quantizerActivation(ctx, slot, v);
    }
    auto k = kerasActivations().find(name);
    if (k != kerasActivations().end() && !hasArgs) return keras(k->second, name);
    throw unknownActivation(ctx, slot, flavor, v);
  }

  if (v.is_object() && flavor == ActivationFlavor::QKeras) {
    const std::string name = specClassName(v);
    if (isQuantizerName(name)) return quantizerActivation(ctx, slot, v);
  }
  throw unknownActivation(ctx, slot, flavor, v);
}

ActivationFunction ActivationFunction::quantizerActivation(const LayerContext& ctx, const std::string& slot,
                                                           const qkw::Json& spec) {
  ActivationFunction f;
  f.kind_ = Kind::Quantizer;
  f.quantizer_ = buildQuantizer(ctx, slot, spec, false);
  f.perKerasBatch_ = runsPerKerasBatch(*f.quantizer_);
  f.display_ = f.quantizer_->str();
  return f;
}

bool ActivationFunction::isRowwiseSafe() const {
  switch (kind_) {
    case Kind::Quantizer: {
      // A fixed grid, and apply() reads each element alone: quantized_po2/ulaw/tanh/sigmoid have
      // grids but go through TF's position-dependent log / sigmoid (src/quant/keras_batch.h);
      // binary's stochastic rounding checks the tensor's shape; a grid-less (alpha='auto')
      // quantizer takes its scale from the whole batch.
      if (!quantizer_ || !quantizer_->grid()) return false;
      const std::string cls = quantizer_->className();
      return cls == "quantized_bits" || cls == "quantized_relu" || cls == "quantized_linear" || cls == "ternary";
    }
    case Kind::Softmax:
    case Kind::Sigmoid:
    case Kind::Swish:
    case Kind::Exponential:
    case Kind::Elu:
    case Kind::Selu: return false;
    default: return true;
  }
}

void ActivationFunction::apply(const float* in, float* out, const Shape& shape) const {
  const int64_t n = numElements(shape);
  switch (kind_) {
    case Kind::Identity:
      if (in != out) std::copy(in, in + n, out);
      return;
    case Kind::Quantizer:
      if (perKerasBatch_) applyPerKerasBatch(*quantizer_, in, out, shape);
      else quantizer_->apply(in, out, shape);
      return;
    case Kind::Softmax: {
      // keras.activations.softmax: tf.nn.softmax over the last axis.
      const int64_t last = shape.empty() ? 1 : shape.back();
      const int64_t samples = shape.size() > 1 ? shape.front() : 1;
      softmaxAxis(in, out, last == 0 ? 0 : n / last, last, 1, samples, kernels_);
      return;
    }
    case Kind::Sigmoid:
    case Kind::Swish:
    case Kind::Exponential:
    case Kind::Elu:
    case Kind::Selu: {
      // TF's element-wise kernels run Eigen's packet function on whole 8-float packets of each
      // model.predict batch of kKerasPredictBatch samples and the scalar functor on the rest:
      // tf.sigmoid (swish: x * sigmoid(1.0 * x)), tf.exp, and elu/selu's exp(x) - 1 branch.
      // Positions count in the user's whole predict call (kerasBatchPart, quant/keras_batch.h).
      int64_t samples = shape.size() > 1 ? shape.front() : 1;
      if (samples < 1 || n % samples != 0) samples = 1;
      const int64_t perSample = samples == 0 ? 0 : n / samples;
      KerasBatchPart part{};
      for (int64_t first = 0; first < samples; first += part.count) {
        part = kerasBatchPart(first, samples);
        const int64_t base = first * perSample, skip = part.offset * perSample, count = part.batchSamples * perSample;
        for (int64_t j = 0; j < part.count * perSample; ++j) out[base + j] = applyIndexed(kind_, in[base + j], skip + j, count);
      }
      return;
    }
    default:
      for (int64_t i = 0; i < n; ++i) out[i] = applyScalar(kind_, in[i]);
  }
}

void ActivationFunction::apply(const Tensor& in, Tensor& out) const {
  if (out.data.size() != in.data.size()) throw Error("activation '" + display_ + "': output size mismatch");
  apply(in.data.data(), out.data.data(), in.shape);
}

void softmaxAxis(const float* in, float* out, int64_t outer, int64_t n, int64_t inner, int64_t samples,
                 quant::TfCpuKernels kernels) {
  // tf.nn.softmax moves `axis` last, so TF sees a (outer * inner) x n matrix whose rows are in
  // (outer, inner) order; model.predict runs it per batch of kKerasPredictBatch samples, and the
  // position in that batch's matrix decides packet or scalar paths (quant::tfSoftmaxRows); positions
  // count in the user's whole predict call (kerasBatchPart, quant/keras_batch.h).
  const int64_t rows = outer * inner;
  if (rows <= 0 || n <= 0) return;
  if (samples < 1 || rows % samples != 0) samples = 1;
  const int64_t rowsPerSample = rows / samples;
  std::vector<float> x, y;
  KerasBatchPart part{};
  for (int64_t first = 0; first < samples; first += part.count) {
    part = kerasBatchPart(first, samples);
    const int64_t chunkRows = part.count * rowsPerSample;
    const int64_t row0 = first * rowsPerSample;
    x.resize(static_cast<size_t>(chunkRows * n));
    y.resize(x.size());
    for (int64_t r = 0; r < chunkRows; ++r) {
      const int64_t o = (row0 + r) / inner, i = (row0 + r) % inner;
      for (int64_t k = 0; k < n; ++k) x[static_cast<size_t>(r * n + k)] = in[(o * n + k) * inner + i];
    }
    quant::tfSoftmaxRows(x.data(), y.data(), chunkRows, n, kernels, part.offset * rowsPerSample, part.batchSamples * rowsPerSample);
    for (int64_t r = 0; r < chunkRows; ++r) {
      const int64_t o = (row0 + r) / inner, i = (row0 + r) % inner;
      for (int64_t k = 0; k < n; ++k) out[(o * n + k) * inner + i] = y[static_cast<size_t>(r * n + k)];
    }
  }
}

QuantizerPtr makeSlotQuantizer(const LayerContext& ctx, const std::string& key, const qkw::Json& spec,
                               bool weightSlot) {
  if (spec.is_null()) return nullptr;
  if (spec.is_string() && trim(spec.get<std::string>()).empty()) return nullptr;
  return buildQuantizer(ctx, key, spec, weightSlot);
}

QuantizerPtr makeSlotQuantizer(const LayerContext& ctx, const std::string& key, bool weightSlot) {
  const qkw::Json* v = ctx.find(key);
  if (!v) return nullptr;
  return makeSlotQuantizer(ctx, key, *v, weightSlot);
}

}  // namespace qkw
