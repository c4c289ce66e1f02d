// QConv1D/Conv1D and QConv2D/Conv2D (semantics §4.1):
//   qk = kernel_quantizer(kernel); [QConv2D] qk = qk * mask (after quantization)
//   y = activation(conv(x, qk) + bias_quantizer(bias))
// QConv1D calls backend.conv1d, which has no groups: groups > 1 is rejected there.
#include "layers/conv.h"

#include "kernels/conv2d_f32_reference.h"
#include "layers/analysis_rules.h"
#include "layers/layer_factories.h"
#include "layers/layer_weights.h"

namespace qkw {

ConvLayer::ConvLayer(const std::string& name, const std::string& className, ConvParams params, int64_t groups,
                     Tensor kernel, Tensor bias, ActivationFunction activation, std::vector<QuantizerSlot> slots)
    : QuantizedLayer(name, className), params_(params), groups_(groups), kernel_(std::move(kernel)),
      bias_(std::move(bias)) {
  activation_ = std::move(activation);
  weightSlots_ = std::move(slots);
}

Shape ConvLayer::outputShape(const std::vector<Shape>& inputShapes) const {
  if (inputShapes.size() != 1) throw Error(prefix() + "expects exactly one input");
  Conv2DGeometry g = params_.geometry(prefix(), inputShapes[0]);
  const int64_t inPerGroup = kernel_.shape[kernel_.rank() - 2];
  if (g.inC != inPerGroup * groups_)
    throw Error(prefix() + "input has " + std::to_string(g.inC) + " channels, the kernel expects " +
                std::to_string(inPerGroup * groups_) + " (" + std::to_string(inPerGroup) + " per group x " +
                std::to_string(groups_) + " groups)");
  return params_.outputShape(g, filters());
}

KernelChoice ConvLayer::prepare(const PrepareContext& ctx) {
  // Float path. The implicit GEMM over a zero-padded input copy (f32_conv2d_igemm_4x8) measured
  // faster than the direct kernel (conv2d_f32_simd) on every conv2d shape tried in Node 20: 1.1-1.2x
  // on the CIFAR CNN's 3x3 layers (21.5-22 against 17.5-19 GMAC/s), up to 5x with few filters or
  // one input channel, 1x1 and strided convs included. So the rule is static: it runs wherever it
  // is exact, i.e. groups 1 and either no padding or finite weights (a padded tap then adds +-0,
  // which leaves the sum unchanged), and its padded input copy is not huge; otherwise the
  // reference kernel runs.
  f32Packed_ = F32ConvPackedWeights{};
  activationPerChunk_ = false;
  std::string floatKernel = "f32_conv2d_reference";
  if (groups_ == 1) {
    const Conv2DGeometry fg = params_.geometry(prefix(), ctx.inputShapes.at(0));
    const int64_t scratch = f32_conv2d_igemm_scratch(fg), inputElements = fg.inH * fg.inW * fg.inC;
    // The padded copy stays within a small multiple of the input (huge dilations with 'same'
    // padding would make it arbitrarily large: those run the reference kernel).
    const bool scratchOk = scratch <= 16 * inputElements + (int64_t(1) << 16);
    if (scratchOk && (scratch == 0 || f32_conv2d_weights_finite(kernel_.data.data(),
                                                                static_cast<int64_t>(kernel_.data.size())))) {
      f32Packed_ = f32_conv2d_pack_weights(kernel_.data.data(), fg.kH, fg.kW, fg.inC, filters());
      floatKernel = std::string("f32_conv2d_igemm_4x8_") + kF32ConvIsa;
      // The activation then runs on each chunk of finished output pixels while they are in cache.
      activationPerChunk_ = !activation_.isIdentity() && activation_.isRowwiseSafe();
    }
  }
  IntegerInput input;
  WeightCodes weights;
  std::optional<std::string> problem;
  if (groups_ != 1) problem = "groups > 1 has no integer kernel";
  if (!problem) problem = integerInputProblem(ctx, &input);
  if (!problem) problem = weightCodesProblem(kernel_, filters(), &weights);
  Conv2DGeometry g;
  if (!problem) {
    g = params_.geometry(prefix(), ctx.inputShapes.at(0));
    paddedC_ = (g.inC + 1) / 2 * 2;
    if ((g.inH * g.inW + 1) * paddedC_ > (int64_t(1) << 30)) problem = "input image too large for int32 offsets";
  }
  if (!problem) problem = finishPlan(ctx, kernel_, filters(), /*zeroTerms=*/true, input, weights, &plan_);
  if (problem) {
    plan_ = IntegerPlan{};
    return {floatKernel, *problem};
  }
  popcount_ = popcountCodes(input, weights);
  if (popcount_) {
    bitWeights_ = qt2_pack_igemm_weights(weights.codes.data(), g.kH * g.kW, g.inC, filters());
    offsets_ = qs16_conv_indirection(g, 2 * bitWeights_.kcb);
    return {popcountKernelName("conv2d", bitWeights_.binary, input), ""};
  }
  packed_ = qs16_pack_igemm_weights(weights.codes.data(), g.kH * g.kW, g.inC, filters());
  offsets_ = qs16_conv_indirection(g, paddedC_);
  return {integerTypeName(input, weights) + "_conv2d_igemm_4x8c2_" + qs16KernelIsa() + "_dot16x2", ""};
}

void ConvLayer::forwardFloat(const Tensor& x, Tensor& output) const {
  Conv2DGeometry g = batchedGeometry(params_, prefix(), x);
  if (!f32Packed_.data.empty()) {
    f32Scratch_.resize(static_cast<size_t>(f32_conv2d_igemm_scratch(g)));
    F32ConvEpilogue epilogue;
    if (activationPerChunk_) {
      epilogue.context = const_cast<ConvLayer*>(this);
      epilogue.fn = [](void* self, float* rows, int64_t count) {
        const ConvLayer& layer = *static_cast<const ConvLayer*>(self);
        layer.activation_.apply(rows, rows, Shape{count, layer.filters()});
      };
    }
    f32_conv2d_igemm_4x8__simd(x.data.data(), g, f32Packed_, bias_.data.empty() ? nullptr : bias_.data.data(),
                               output.data.data(), f32Scratch_.data(), epilogue);
    if (!activationPerChunk_) activation_.applyInPlace(output);
    return;
  }
  conv2d_f32_reference(x.data.data(), g, kernel_.data.data(), filters(), groups_,
                       bias_.data.empty() ? nullptr : bias_.data.data(), output.data.data());
  activation_.applyInPlace(output);
}

bool ConvLayer::forwardPopcount(const Tensor& x, Tensor& output) const {
  const Conv2DGeometry g = batchedGeometry(params_, prefix(), x);
  const int64_t pixels = g.inH * g.inW, rowBytes = 2 * bitWeights_.kcb, perImage = (pixels + 1) * rowBytes;
  if (planes_.size() < static_cast<size_t>(perImage)) planes_.resize(static_cast<size_t>(perImage));
  const IntegerInput& in = plan_.input;
  const int64_t outPixels = g.outH * g.outW;
  // Image by image: a later image off the grid sends the whole call to the float path, which
  // rewrites every output.
  for (int64_t n = 0; n < g.batch; ++n) {
    bool anyZero = true;
    if (!f32_to_qt2_planes(x.data.data() + n * pixels * g.inC, pixels, g.inC, in.step, in.lo, in.hi, planes_.data(),
                           &anyZero))
      return false;
    std::fill(planes_.data() + pixels * rowBytes, planes_.data() + perImage, uint8_t(0));  // the zero pixel
    qt2_igemm_4x16c8__popcnt(outPixels, planes_.data(), offsets_.data(), static_cast<int32_t>(pixels * rowBytes),
                             !anyZero, bitWeights_, plan_.scale.data(), bias_.data.empty() ? nullptr : bias_.data.data(),
                             output.data.data() + n * outPixels * filters(), filters());
  }
  return true;
}

bool ConvLayer::forwardInteger(const Tensor& x, Tensor& output) const {
  if (popcount_) return forwardPopcount(x, output);
  const Conv2DGeometry g = batchedGeometry(params_, prefix(), x);
  const int64_t pixels = g.inH * g.inW, perImage = (pixels + 1) * paddedC_;
  if (codes_.size() < static_cast<size_t>(g.batch * perImage)) codes_.resize(static_cast<size_t>(g.batch * perImage));
  const IntegerInput& in = plan_.input;
  for (int64_t n = 0; n < g.batch; ++n) {
    int16_t* image = codes_.data() + n * perImage;
    if (!f32_to_qs16_codes__simd(x.data.data() + n * pixels * g.inC, pixels, g.inC, paddedC_, in.step, in.invStep,
                                 in.lo, in.hi, image))
      return false;
    std::fill(image + pixels * paddedC_, image + perImage, int16_t(0));  // the zero pixel padded taps read
  }
  const int64_t outPixels = g.outH * g.outW;
  for (int64_t n = 0; n < g.batch; ++n)
    qs16_igemm_4x8c2__dot16x2(outPixels, codes_.data() + n * perImage, offsets_.data(), packed_, plan_.scale.data(),
                              bias_.data.empty() ? nullptr : bias_.data.data(),
                              output.data.data() + n * outPixels * filters(), filters());
  return true;
}

void ConvLayer::forward(const std::vector<const Tensor*>& inputs, Tensor& output) const {
  const Tensor& x = *inputs[0];
  if (plan_.active && forwardInteger(x, output)) {
    activation_.applyInPlace(output);
    return;
  }
  forwardFloat(x, output);  // applies the activation
}

std::vector<WeightInput> ConvLayer::effectiveWeights() const { return withOptionalBias({{"kernel", 0, kernel_}}, bias_); }

namespace {

void flattenNumbers(const qkw::Json& v, std::vector<float>& out) {
  if (v.is_array()) {
    for (const auto& e : v) flattenNumbers(e, out);
  } else if (v.is_number()) {
    out.push_back(static_cast<float>(v.get<double>()));
  } else if (v.is_boolean()) {
    out.push_back(v.get<bool>() ? 1.0f : 0.0f);
  } else {
    throw Error("non-numeric value " + v.dump());
  }
}

}  // namespace

std::vector<float> readConvMask(const LayerContext& ctx, int64_t kH, int64_t kW) {
  const qkw::Json* m = ctx.find("mask");
  if (!m || m->is_null()) return {};
  if (!m->is_array() || m->empty() || !(*m)[0].is_array())
    throw Error(ctx.errorPrefix() + "'mask' must be a nested list of rank >= 2");
  if (static_cast<int64_t>(m->size()) != kH || static_cast<int64_t>((*m)[0].size()) != kW)
    throw Error(ctx.errorPrefix() + "'mask' is " + std::to_string(m->size()) + "x" +
                std::to_string((*m)[0].size()) + ", the kernel window is " + std::to_string(kH) + "x" +
                std::to_string(kW));
  std::vector<float> values;
  try {
    flattenNumbers(*m, values);
  } catch (const Error& e) {
    throw Error(ctx.errorPrefix() + "'mask': " + e.what());
  }
  if (static_cast<int64_t>(values.size()) != kH * kW)
    throw Error(ctx.errorPrefix() + "'mask' must hold one value per kernel position (h, w, 1, 1)");
  return values;
}

LayerPtr makeConvLayer(const LayerContext& ctx) {
  const std::string& cls = ctx.className;
  const bool quantized = cls[0] == 'Q';
  const int rank = (cls == "QConv1D" || cls == "Conv1D") ? 1 : 2;
  requireChannelsLast(ctx);
  std::vector<Padding> allowed = {Padding::Valid, Padding::Same};
  if (rank == 1) allowed.push_back(Padding::Causal);
  ConvParams params = ConvParams::read(ctx, rank, allowed);
  const int filters = requiredInt(ctx, "filters");
  const int groups = configInt(ctx, "groups", 1);
  if (groups <= 0 || filters % groups != 0)
    throw Error(ctx.errorPrefix() + "groups=" + std::to_string(groups) + " must divide filters=" +
                std::to_string(filters));
  if (groups > 1 && cls == "QConv1D")
    throw Unsupported(ctx.errorPrefix() + "groups > 1 (QConv1D's call() ignores groups; the layer fails in QKeras)");
  const bool useBias = configBool(ctx, "use_bias", true);
  const std::vector<std::string> order = weightOrder({"kernel"}, useBias);

  Tensor kernel = ctx.weight("kernel", order);
  const bool kernelOk = kernel.rank() == rank + 2 && kernel.shape.back() == filters &&
                        (rank == 1 ? kernel.shape[0] == params.kW
                                   : kernel.shape[0] == params.kH && kernel.shape[1] == params.kW);
  if (!kernelOk)
    throw Error(ctx.errorPrefix() + "weight 'kernel' has shape " + shapeToString(kernel.shape) +
                ", which does not match kernel_size and filters=" + std::to_string(filters));
  Tensor bias = readOptionalBias(ctx, useBias, order, filters);

  std::vector<QuantizerSlot> slots;
  if (quantized) {
    WeightSlotQuantization weights(ctx);
    weights.add("kernel_quantizer", true, &kernel);
    weights.add("bias_quantizer", false, useBias ? &bias : nullptr);
    slots = weights.quantize();
    // QConv2D masks the already quantized kernel; effective weights have the mask applied.
    if (cls == "QConv2D" && !usesEffectiveWeights(ctx)) {
      std::vector<float> mask = readConvMask(ctx, params.kH, params.kW);
      if (!mask.empty()) {
        const int64_t perTap = kernel.shape[2] * kernel.shape[3];
        for (int64_t t = 0; t < params.kH * params.kW; ++t)
          for (int64_t i = 0; i < perTap; ++i) kernel.data[t * perTap + i] = kernel.data[t * perTap + i] * mask[t];
      }
    }
  }
  ActivationFunction activation = resolveLayerActivation(ctx, quantized);
  return std::make_unique<ConvLayer>(ctx.name, cls, params, groups, std::move(kernel), std::move(bias),
                                     std::move(activation), std::move(slots));
}

// ---- Static analysis: the exact sums of the convolution (analysis_rules.h) ----

TensorAnalysis ConvLayer::analyzeOutput(const AnalysisContext& ctx) const {
  return linearOutputRule(ctx, *this, "convolution", [this](double step, double min, double max) {
    // Output channel = the kernel's last axis; padding may make any term 0.
    return boundLinear({&kernel_, filters(), 1}, bias_.size() > 0 ? &bias_ : nullptr, step, min, max, true);
  });
}

}  // namespace qkw
