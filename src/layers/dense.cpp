// QDense and Keras Dense (semantics §4.1): y = activation(dot(x, q_k(kernel)) + q_b(bias)) on
// the last axis. Dense is QDense without quantizers and with Keras activation lookup.
#include "layers/dense.h"

#include "kernels/dense_f32_simd.h"
#include "layers/analysis_rules.h"
#include "layers/layer_config.h"
#include "layers/layer_factories.h"
#include "layers/layer_weights.h"

namespace qkw {

DenseLayer::DenseLayer(const std::string& name, const std::string& className, Tensor kernel, Tensor bias,
                       ActivationFunction activation, std::vector<QuantizerSlot> slots)
    : QuantizedLayer(name, className), kernel_(std::move(kernel)), bias_(std::move(bias)) {
  activation_ = std::move(activation);
  weightSlots_ = std::move(slots);
}

Shape DenseLayer::outputShape(const std::vector<Shape>& inputShapes) const {
  const std::string prefix = this->prefix();
  if (inputShapes.size() != 1) throw Error(prefix + "expects exactly one input");
  const Shape& in = inputShapes[0];
  if (in.empty() || in.back() != inputDim())
    throw Error(prefix + "input shape " + shapeToString(in) + " does not end in the kernel's input size " +
                std::to_string(inputDim()));
  Shape out = in;
  out.back() = units();
  return out;
}

KernelChoice DenseLayer::prepare(const PrepareContext& ctx) {
  IntegerInput input;
  WeightCodes weights;
  std::optional<std::string> problem = integerInputProblem(ctx, &input);
  if (!problem) problem = weightCodesProblem(kernel_, units(), &weights);
  if (!problem) problem = finishPlan(ctx, kernel_, units(), /*zeroTerms=*/false, input, weights, &plan_);
  if (problem) {
    plan_ = IntegerPlan{};
    return {"f32_dense_simd", *problem};
  }
  popcount_ = popcountCodes(input, weights);
  if (popcount_) {
    bitWeights_ = qt2_pack_igemm_weights(weights.codes.data(), 1, inputDim(), units());
    paddedIn_ = 2 * bitWeights_.kcb;
    return {popcountKernelName("dense", bitWeights_.binary, input), ""};
  }
  paddedIn_ = (inputDim() + 1) / 2 * 2;
  packed_ = qs16_pack_igemm_weights(weights.codes.data(), 1, inputDim(), units());
  return {integerTypeName(input, weights) + "_dense_igemm_4x8c2_" + qs16KernelIsa() + "_dot16x2", ""};
}

bool DenseLayer::forwardInteger(const Tensor& x, Tensor& output) const {
  const int64_t rows = x.size() / inputDim();
  if (rows * paddedIn_ > (int64_t(1) << 30)) return false;  // int32 offsets
  const IntegerInput& in = plan_.input;
  if (popcount_) {
    if (planes_.size() < static_cast<size_t>(rows * paddedIn_)) planes_.resize(static_cast<size_t>(rows * paddedIn_));
    bool anyZero = true;
    if (!f32_to_qt2_planes(x.data.data(), rows, inputDim(), in.step, in.lo, in.hi, planes_.data(), &anyZero))
      return false;
    if (rowOffsets_.size() < static_cast<size_t>(rows)) {
      rowOffsets_.resize(static_cast<size_t>(rows));
      for (int64_t r = 0; r < rows; ++r) rowOffsets_[r] = static_cast<int32_t>(r * paddedIn_);
    }
    qt2_igemm_4x16c8__popcnt(rows, planes_.data(), rowOffsets_.data(), -1, !anyZero, bitWeights_, plan_.scale.data(),
                             bias_.data.empty() ? nullptr : bias_.data.data(), output.data.data(), units());
    return true;
  }
  if (codes_.size() < static_cast<size_t>(rows * paddedIn_)) codes_.resize(static_cast<size_t>(rows * paddedIn_));
  if (!f32_to_qs16_codes__simd(x.data.data(), rows, inputDim(), paddedIn_, in.step, in.invStep, in.lo, in.hi,
                               codes_.data()))
    return false;
  if (rowOffsets_.size() < static_cast<size_t>(rows)) {
    rowOffsets_.resize(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) rowOffsets_[r] = static_cast<int32_t>(r * paddedIn_);
  }
  qs16_igemm_4x8c2__dot16x2(rows, codes_.data(), rowOffsets_.data(), packed_, plan_.scale.data(),
                            bias_.data.empty() ? nullptr : bias_.data.data(), output.data.data(), units());
  return true;
}

void DenseLayer::forward(const std::vector<const Tensor*>& inputs, Tensor& output) const {
  const Tensor& x = *inputs[0];
  const int64_t rows = x.size() / inputDim();
  if (plan_.active && forwardInteger(x, output)) {
    activation_.applyInPlace(output);
    return;
  }
  dense_f32_simd(x.data.data(), rows, inputDim(), kernel_.data.data(), units(),
                 bias_.data.empty() ? nullptr : bias_.data.data(), output.data.data());
  activation_.applyInPlace(output);
}

std::vector<WeightInput> DenseLayer::effectiveWeights() const { return withOptionalBias({{"kernel", 0, kernel_}}, bias_); }

LayerPtr makeDenseLayer(const LayerContext& ctx) {
  const bool quantized = ctx.className == "QDense";
  const int units = requiredInt(ctx, "units");
  const bool useBias = configBool(ctx, "use_bias", true);
  const std::vector<std::string> order = weightOrder({"kernel"}, useBias);

  Tensor kernel = ctx.weight("kernel", order);
  if (kernel.rank() != 2 || kernel.shape[1] != units)
    throw Error(ctx.errorPrefix() + "weight 'kernel' has shape " + shapeToString(kernel.shape) + ", expected (in, " +
                std::to_string(units) + ")");
  Tensor bias = readOptionalBias(ctx, useBias, order, units);

  std::vector<QuantizerSlot> slots;
  if (quantized) {
    WeightSlotQuantization weights(ctx);
    weights.add("kernel_quantizer", /*weightSlot=*/true, &kernel);
    weights.add("bias_quantizer", /*weightSlot=*/false, useBias ? &bias : nullptr);
    slots = weights.quantize();
  }
  ActivationFunction activation = resolveLayerActivation(ctx, quantized);
  return std::make_unique<DenseLayer>(ctx.name, ctx.className, std::move(kernel), std::move(bias),
                                      std::move(activation), std::move(slots));
}

// ---- Static analysis: the exact sums of the dot product (analysis_rules.h) ----

TensorAnalysis DenseLayer::analyzeOutput(const AnalysisContext& ctx) const {
  return linearOutputRule(ctx, *this, "dot product", [this](double step, double min, double max) {
    // No padding: every term is a weight times an input value.
    return boundLinear({&kernel_, units(), 1}, bias_.size() > 0 ? &bias_ : nullptr, step, min, max, false);
  });
}

}  // namespace qkw
