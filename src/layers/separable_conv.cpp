// QSeparableConv1D/2D and Keras SeparableConv1D/2D (semantics §4.2): depthwise conv with the
// quantized depthwise kernel, then a 1x1 pointwise conv with the quantized pointwise kernel,
// no intermediate quantization or bias; then + quantized bias, then activation. The 1D form runs
// as a 2D conv of height 1 (as backend.separable_conv1d does); causal pads the left.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/limits.h"
#include "kernels/conv2d_f32_simd.h"
#include "kernels/dense_f32_simd.h"
#include "layers/analysis_rules.h"
#include "layers/conv_common.h"
#include "layers/integer_path.h"
#include "layers/layer_factories.h"
#include "layers/layer_weights.h"
#include "layers/quantized_layer.h"

namespace qkw {

namespace {

class SeparableConvLayer : public QuantizedLayer {
 public:
  SeparableConvLayer(const std::string& name, const std::string& className, ConvParams params, Tensor depthwise,
                     Tensor pointwise, Tensor bias, ActivationFunction activation, std::vector<QuantizerSlot> slots)
      : QuantizedLayer(name, className), params_(params), depthwise_(std::move(depthwise)),
        pointwise_(std::move(pointwise)), bias_(std::move(bias)) {
    activation_ = std::move(activation);
    weightSlots_ = std::move(slots);
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (inputShapes.size() != 1) throw Error(prefix() + "expects exactly one input");
    Conv2DGeometry g = params_.geometry(prefix(), inputShapes[0]);
    if (g.inC != inChannels())
      throw Error(prefix() + "input has " + std::to_string(g.inC) + " channels, the depthwise kernel expects " +
                  std::to_string(inChannels()));
    return params_.outputShape(g, filters());
  }

  // Integer path: the depthwise stage on input codes (its float32 output, exact), that output as
  // codes on the finest depthwise grid unit (s_in * min s_dw), then the pointwise stage on codes.
  // The analysis' separable bound makes both stages' float32 sums exact; the int16 range of the
  // intermediate codes and the pointwise int32 sums (< 2^24 in this finer unit, so the epilogue is
  // exact) are checked here from the codes.
  KernelChoice prepare(const PrepareContext& ctx) override {
    const std::string floatKernel = depthMultiplier() == 1 ? "f32_separable_conv2d_simd" : "f32_separable_conv2d_reference";
    IntegerInput input;
    WeightCodes dw, pw;
    const int64_t mid = inChannels() * depthMultiplier();
    std::optional<std::string> problem;
    if (depthMultiplier() != 1) problem = "depth_multiplier > 1 has no integer kernel";
    if (!problem) problem = integerInputProblem(ctx, &input);
    if (!problem) problem = weightCodesProblem(depthwise_, mid, &dw);
    if (!problem) problem = weightCodesProblem(pointwise_, filters(), &pw);
    Conv2DGeometry g;
    if (!problem) {
      g = params_.geometry(prefix(), ctx.inputShapes.at(0));
      if ((g.inH * g.inW + 1) * g.inC > (int64_t(1) << 30)) problem = "input image too large for int32 offsets";
    }
    if (!problem) problem = finishPlan(ctx, depthwise_, mid, /*zeroTerms=*/true, input, dw, &dwPlan_);
    if (!problem && !ctx.separableBound) problem = "no accumulator bound for the input grid";
    if (!problem) {
      const AccumulatorFacts b = ctx.separableBound(depthwise_, mid, pointwise_);
      if (b.mantissaBits > 24) problem = "accumulator needs " + std::to_string(b.mantissaBits) + " bits > 24 (float32 rounds the sums)";
    }
    if (!problem) problem = midCodes(input, dw, pw, g);
    if (problem) {
      dwPlan_ = IntegerPlan{};
      return {floatKernel, *problem};
    }
    dwCodes_ = std::move(dw.codes);
    offsets_ = qs16_conv_indirection(g, g.inC);
    pwPacked_ = qs16_pack_igemm_weights(pw.codes.data(), 1, mid, filters());
    integer_ = true;
    return {integerTypeName(input, dw) + "_dwconv2d_8c_" + qs16KernelIsa() + "_extmul+" + integerTypeName(midInput_, pw) +
                "_pointwise_igemm_4x8c2_" + qs16KernelIsa() + "_dot16x2",
            ""};
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    Conv2DGeometry g = batchedGeometry(params_, prefix(), x);
    const int64_t mid = inChannels() * depthMultiplier();
    const size_t needed = toSizeT(checkedMul(g.batch, scratchPerSample(g), prefix()), sizeof(float), prefix() + "depthwise result");
    // Grows only when a larger batch arrives (the graph re-plans then too).
    if (scratch_.size() < needed) scratch_.resize(needed);
    if (integer_ && forwardInteger(x, g, output)) {
      activation_.applyInPlace(output);
      return;
    }
    // The SIMD kernels are bit-identical to the references (same per-output summation order).
    depthwise_conv2d_f32_simd(x.data.data(), g, depthwise_.data.data(), depthMultiplier(), nullptr, scratch_.data());
    // The 1x1 pointwise conv is a matmul of the (pixels, in*dm) scratch with the (in*dm, filters) kernel.
    dense_f32_simd(scratch_.data(), g.batch * g.outH * g.outW, mid, pointwise_.data.data(), filters(),
                   bias_.data.empty() ? nullptr : bias_.data.data(), output.data.data());
    activation_.applyInPlace(output);
  }

  std::vector<WeightInput> effectiveWeights() const override {
    return withOptionalBias({{"depthwise_kernel", 0, depthwise_}, {"pointwise_kernel", 1, pointwise_}}, bias_);
  }

  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override;

  int64_t scratchElementsPerSample(const std::vector<Shape>& inputShapes) const override {
    return scratchPerSample(params_.geometry(prefix(), inputShapes.at(0)));
  }

 private:
  // The depthwise result (outH, outW, in * depth_multiplier) forward() keeps per sample.
  int64_t scratchPerSample(const Conv2DGeometry& g) const {
    return checkedMul(checkedMul(g.outH, g.outW, prefix()), checkedMul(inChannels(), depthMultiplier(), prefix()), prefix());
  }

  // The intermediate codes' range and the pointwise sums in the unit s_mid * s_pw[f]; fills the
  // pointwise epilogue scales. Returns why the integer path cannot run, or nothing.
  std::optional<std::string> midCodes(const IntegerInput& input, const WeightCodes& dw, const WeightCodes& pw,
                                      const Conv2DGeometry& g) {
    const int64_t mid = inChannels(), taps = g.kH * g.kW;
    double finest = dw.steps[0];
    for (double s : dw.steps) finest = std::min(finest, s);
    const double inAbs = std::max(std::abs(double(input.lo)), std::abs(double(input.hi)));
    std::vector<double> midAbs(static_cast<size_t>(mid), 0.0);  // in units s_in * finest
    double midMax = 0;
    for (int64_t c = 0; c < mid; ++c) {
      for (int64_t t = 0; t < taps; ++t) midAbs[c] += std::abs(double(dw.codes[t * mid + c]));
      midAbs[c] *= inAbs * (dw.steps[c] / finest);
      midMax = std::max(midMax, midAbs[c]);
    }
    if (midMax > 32767) return std::string("the depthwise output needs more than 16-bit codes");
    midInput_.step = static_cast<float>(double(input.step) * finest);
    if (!(midInput_.step >= std::numeric_limits<float>::min())) return std::string("depthwise grid unit underflows");
    midInput_.invStep = 1.0f / midInput_.step;
    midInput_.lo = -static_cast<int32_t>(midMax);
    midInput_.hi = static_cast<int32_t>(midMax);
    midInput_.fitsInt8 = midMax <= 127;
    pwScale_.resize(static_cast<size_t>(filters()));
    for (int64_t f = 0; f < filters(); ++f) {
      double sum = 0;
      for (int64_t c = 0; c < mid; ++c) sum += std::abs(double(pw.codes[c * filters() + f])) * midAbs[c];
      if (sum >= 16777216.0) return std::string("the pointwise sums need more than 24 bits of the finest depthwise unit");
      const double s = double(midInput_.step) * pw.steps[f];
      if (!(s >= std::numeric_limits<float>::min()) || s > 0x1p100) return std::string("pointwise grid unit out of range");
      pwScale_[f] = static_cast<float>(s);
    }
    paddedMid_ = (mid + 1) / 2 * 2;
    return std::nullopt;
  }

  bool forwardInteger(const Tensor& x, const Conv2DGeometry& g, Tensor& output) const {
    const int64_t pixels = g.inH * g.inW, perImage = (pixels + 1) * g.inC, mid = inChannels();
    const int64_t outPixels = g.outH * g.outW;
    if (codes_.size() < static_cast<size_t>(g.batch * perImage)) codes_.resize(static_cast<size_t>(g.batch * perImage));
    const IntegerInput& in = dwPlan_.input;
    for (int64_t n = 0; n < g.batch; ++n) {
      int16_t* image = codes_.data() + n * perImage;
      if (!f32_to_qs16_codes__simd(x.data.data() + n * pixels * g.inC, pixels, g.inC, g.inC, in.step, in.invStep, in.lo,
                                   in.hi, image))
        return false;
      std::fill(image + pixels * g.inC, image + perImage, int16_t(0));
    }
    for (int64_t n = 0; n < g.batch; ++n)
      qs16_dwconv2d_8c__extmul(outPixels, codes_.data() + n * perImage, offsets_.data(), g.kH * g.kW, dwCodes_.data(),
                               mid, dwPlan_.scale.data(), nullptr, scratch_.data() + n * outPixels * mid);
    const int64_t rows = g.batch * outPixels;
    if (midCodes_.size() < static_cast<size_t>(rows * paddedMid_)) midCodes_.resize(static_cast<size_t>(rows * paddedMid_));
    if (!f32_to_qs16_codes__simd(scratch_.data(), rows, mid, paddedMid_, midInput_.step, midInput_.invStep,
                                 midInput_.lo, midInput_.hi, midCodes_.data()))
      return false;
    if (rowOffsets_.size() < static_cast<size_t>(rows)) {
      rowOffsets_.resize(static_cast<size_t>(rows));
      for (int64_t r = 0; r < rows; ++r) rowOffsets_[r] = static_cast<int32_t>(r * paddedMid_);
    }
    qs16_igemm_4x8c2__dot16x2(rows, midCodes_.data(), rowOffsets_.data(), pwPacked_, pwScale_.data(),
                              bias_.data.empty() ? nullptr : bias_.data.data(), output.data.data(), filters());
    return true;
  }

  int64_t inChannels() const { return depthwise_.shape[depthwise_.rank() - 2]; }
  int64_t depthMultiplier() const { return depthwise_.shape.back(); }
  int64_t filters() const { return pointwise_.shape.back(); }

  ConvParams params_;
  Tensor depthwise_;  // (kH, kW, in, dm) or (k, in, dm)
  Tensor pointwise_;  // (1, 1, in*dm, filters) or (1, in*dm, filters): row-major (in*dm, filters)
  Tensor bias_;
  mutable std::vector<float> scratch_;
  // Integer path (prepare).
  bool integer_ = false;
  IntegerPlan dwPlan_;
  std::vector<int16_t> dwCodes_;
  std::vector<int32_t> offsets_;
  IntegerInput midInput_;
  int64_t paddedMid_ = 0;
  Qs16PackedWeights pwPacked_;
  std::vector<float> pwScale_;
  mutable std::vector<int16_t> codes_, midCodes_;
  mutable std::vector<int32_t> rowOffsets_;
};

}  // namespace

LayerPtr makeSeparableConvLayer(const LayerContext& ctx) {
  const std::string& cls = ctx.className;
  const bool quantized = cls[0] == 'Q';
  const int rank = (cls == "QSeparableConv1D" || cls == "SeparableConv1D") ? 1 : 2;
  requireChannelsLast(ctx);
  std::vector<Padding> allowed = {Padding::Valid, Padding::Same};
  if (rank == 1) allowed.push_back(Padding::Causal);
  ConvParams params = ConvParams::read(ctx, rank, allowed);
  const int filters = requiredInt(ctx, "filters");
  const int dm = configInt(ctx, "depth_multiplier", 1);
  const bool useBias = configBool(ctx, "use_bias", true);
  const std::vector<std::string> order = weightOrder({"depthwise_kernel", "pointwise_kernel"}, useBias);

  Tensor depthwise = ctx.weight("depthwise_kernel", order);
  Tensor pointwise = ctx.weight("pointwise_kernel", order);
  const bool dwOk = depthwise.rank() == rank + 2 && depthwise.shape.back() == dm &&
                    (rank == 1 ? depthwise.shape[0] == params.kW
                               : depthwise.shape[0] == params.kH && depthwise.shape[1] == params.kW);
  if (!dwOk)
    throw Error(ctx.errorPrefix() + "weight 'depthwise_kernel' has shape " + shapeToString(depthwise.shape) +
                ", which does not match kernel_size and depth_multiplier=" + std::to_string(dm));
  const int64_t mid = depthwise.shape[rank] * dm;
  Shape pwShape = rank == 2 ? Shape{1, 1, mid, filters} : Shape{1, mid, filters};
  checkWeightShape(ctx, "pointwise_kernel", pointwise, pwShape);
  Tensor bias = readOptionalBias(ctx, useBias, order, filters);

  std::vector<QuantizerSlot> slots;
  if (quantized) {
    WeightSlotQuantization weights(ctx);
    weights.add("depthwise_quantizer", true, &depthwise);
    weights.add("pointwise_quantizer", true, &pointwise);
    weights.add("bias_quantizer", false, useBias ? &bias : nullptr);
    slots = weights.quantize();
  }
  ActivationFunction activation = resolveLayerActivation(ctx, quantized);
  return std::make_unique<SeparableConvLayer>(ctx.name, cls, params, std::move(depthwise), std::move(pointwise),
                                              std::move(bias), std::move(activation), std::move(slots));
}

// ---- Static analysis: the exact sums of depthwise then pointwise (analysis_rules.h) ----

namespace {

TensorAnalysis SeparableConvLayer::analyzeOutput(const AnalysisContext& ctx) const {
  return linearOutputRule(ctx, *this, "convolution", [this](double step, double min, double max) {
    // The depthwise stage's channels (c*dm + j) are the pointwise kernel's rows.
    const KernelView depthwise{&depthwise_, inChannels() * depthMultiplier(), 1};
    return boundSeparable(depthwise, pointwise_, bias_.size() > 0 ? &bias_ : nullptr, step, min, max);
  });
}

}  // namespace

}  // namespace qkw
