// QConv2DTranspose / Conv2DTranspose (semantics §4.1). QConv2DTranspose sizes its output with
// QKeras's deconv_output_length and always passes output_padding=None (the config value is
// ignored): valid -> in*s + max(k_eff - s, 0), same -> in*s. Keras's Conv2DTranspose honours
// output_padding: (in-1)*s + k_eff - 2*pad + output_padding, pad = k_eff//2 for same, else 0.
// The op's padding is then TF's "SAME"/"VALID" rule applied to the forward conv from the
// output back to the input. Kernel layout (kh, kw, filters, in).
#include "kernels/conv2d_f32_reference.h"
#include "layers/analysis_rules.h"
#include "layers/conv_common.h"
#include "layers/layer_factories.h"
#include "layers/layer_weights.h"
#include "layers/quantized_layer.h"

namespace qkw {

namespace {

class Conv2DTransposeLayer : public QuantizedLayer {
 public:
  Conv2DTransposeLayer(const std::string& name, const std::string& className, ConvParams params,
                       std::vector<int> outputPadding, Tensor kernel, Tensor bias, ActivationFunction activation,
                       std::vector<QuantizerSlot> slots)
      : QuantizedLayer(name, className), params_(params), outputPadding_(std::move(outputPadding)),
        kernel_(std::move(kernel)), bias_(std::move(bias)) {
    activation_ = std::move(activation);
    weightSlots_ = std::move(slots);
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (inputShapes.size() != 1) throw Error(prefix() + "expects exactly one input");
    Conv2DGeometry g = geometry(inputShapes[0]);
    return {g.outH, g.outW, filters()};
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    Conv2DGeometry g = geometry(Shape(x.shape.begin() + 1, x.shape.end()));
    g.batch = x.shape[0];
    conv2d_transpose_f32_reference(x.data.data(), g, kernel_.data.data(), filters(),
                                   bias_.data.empty() ? nullptr : bias_.data.data(), output.data.data());
    activation_.applyInPlace(output);
  }

  std::vector<WeightInput> effectiveWeights() const override {
    return withOptionalBias({{"kernel", 0, kernel_}}, bias_);
  }

  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    return linearOutputRule(ctx, *this, "convolution", [this](double step, double min, double max) {
      // Kernel (kh, kw, filters, in): element i feeds filter (i / in) % filters; cropping and
      // strides leave some terms out (0).
      const KernelView view{&kernel_, filters(), kernel_.shape[3]};
      return boundLinear(view, bias_.size() > 0 ? &bias_ : nullptr, step, min, max, true);
    });
  }

 private:
  int64_t filters() const { return kernel_.shape[2]; }

  Conv2DGeometry geometry(const Shape& in) const {
    return params_.transposedGeometry(prefix(), in, outputPadding_, kernel_.shape[3], "kernel");
  }

  ConvParams params_;
  std::vector<int> outputPadding_;  // empty: inferred
  Tensor kernel_;
  Tensor bias_;
};

}  // namespace

LayerPtr makeConv2DTransposeLayer(const LayerContext& ctx) {
  const bool quantized = ctx.className[0] == 'Q';
  requireChannelsLast(ctx);
  ConvParams params = ConvParams::read(ctx, 2, {Padding::Valid, Padding::Same});
  const int filters = requiredInt(ctx, "filters");
  const bool useBias = configBool(ctx, "use_bias", true);
  if (configInt(ctx, "groups", 1) != 1) throw Unsupported(ctx.errorPrefix() + "groups > 1");
  std::vector<int> outputPadding;
  if (!quantized) outputPadding = configIntTuple(ctx, "output_padding", 2, {});
  const std::vector<std::string> order = weightOrder({"kernel"}, useBias);

  Tensor kernel = ctx.weight("kernel", order);
  if (kernel.rank() != 4 || kernel.shape[0] != params.kH || kernel.shape[1] != params.kW || kernel.shape[2] != filters)
    throw Error(ctx.errorPrefix() + "weight 'kernel' has shape " + shapeToString(kernel.shape) + ", expected (" +
                std::to_string(params.kH) + ", " + std::to_string(params.kW) + ", " + std::to_string(filters) +
                ", in)");
  Tensor bias = readOptionalBias(ctx, useBias, order, filters);

  std::vector<QuantizerSlot> slots;
  if (quantized) {
    WeightSlotQuantization weights(ctx);
    weights.add("kernel_quantizer", true, &kernel);
    weights.add("bias_quantizer", false, useBias ? &bias : nullptr);
    slots = weights.quantize();
  }
  ActivationFunction activation = resolveLayerActivation(ctx, quantized);
  return std::make_unique<Conv2DTransposeLayer>(ctx.name, ctx.className, params, std::move(outputPadding),
                                                std::move(kernel), std::move(bias), std::move(activation),
                                                std::move(slots));
}

}  // namespace qkw
