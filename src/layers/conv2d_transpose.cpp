// QConv2DTranspose / Conv2DTranspose (semantics §4.1). QConv2DTranspose sizes its output with
// QKeras's deconv_output_length and always passes output_padding=None (the config value is
// ignored): valid -> in*s + max(k_eff - s, 0), same -> in*s. Keras's Conv2DTranspose honours
// output_padding: (in-1)*s + k_eff - 2*pad + output_padding, pad = k_eff//2 for same, else 0.
// The op's padding is then TF's "SAME"/"VALID" rule applied to the forward conv from the
// output back to the input. Kernel layout (kh, kw, filters, in).
#include "kernels/conv2d_f32_reference.h"
#include "layers/conv_common.h"
#include "layers/layer_factories.h"
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
    std::vector<WeightInput> w = {{"kernel", 0, kernel_}};
    if (!bias_.data.empty()) w.push_back({"bias", 1, bias_});
    return w;
  }

 private:
  std::string prefix() const { return "layer '" + name() + "' (" + className() + "): "; }
  int64_t filters() const { return kernel_.shape[2]; }

  int64_t outputLength(int64_t in, int64_t k, int64_t s, int64_t d, int axis) const {
    const int64_t keff = k + (k - 1) * (d - 1);
    if (outputPadding_.empty()) {
      if (params_.padding == Padding::Same) return in * s;
      return in * s + std::max<int64_t>(keff - s, 0);
    }
    const int64_t pad = params_.padding == Padding::Same ? keff / 2 : 0;
    return (in - 1) * s + keff - 2 * pad + outputPadding_[axis];
  }

  Conv2DGeometry geometry(const Shape& in) const {
    if (in.size() != 3)
      throw Error(prefix() + "expects an input of rank 4 (batch included), got " + shapeToString(in) +
                  " without batch");
    if (in[2] != kernel_.shape[3])
      throw Error(prefix() + "input has " + std::to_string(in[2]) + " channels, the kernel expects " +
                  std::to_string(kernel_.shape[3]));
    Conv2DGeometry g;
    g.inH = in[0];
    g.inW = in[1];
    g.inC = in[2];
    g.kH = params_.kH; g.kW = params_.kW;
    g.strideH = params_.strideH; g.strideW = params_.strideW;
    g.dilationH = params_.dilationH; g.dilationW = params_.dilationW;
    g.outH = outputLength(g.inH, g.kH, g.strideH, g.dilationH, 0);
    g.outW = outputLength(g.inW, g.kW, g.strideW, g.dilationW, 1);
    if (g.outH <= 0 || g.outW <= 0) throw Error(prefix() + "output size is not positive");
    if (params_.padding == Padding::Same) {
      const int64_t effH = (g.kH - 1) * g.dilationH + 1, effW = (g.kW - 1) * g.dilationW + 1;
      g.padTop = std::max<int64_t>((g.inH - 1) * g.strideH + effH - g.outH, 0) / 2;
      g.padLeft = std::max<int64_t>((g.inW - 1) * g.strideW + effW - g.outW, 0) / 2;
    }
    return g;
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
  std::vector<std::string> order = {"kernel"};
  if (useBias) order.push_back("bias");

  Tensor kernel = ctx.weight("kernel", order);
  if (kernel.rank() != 4 || kernel.shape[0] != params.kH || kernel.shape[1] != params.kW || kernel.shape[2] != filters)
    throw Error(ctx.errorPrefix() + "weight 'kernel' has shape " + shapeToString(kernel.shape) + ", expected (" +
                std::to_string(params.kH) + ", " + std::to_string(params.kW) + ", " + std::to_string(filters) +
                ", in)");
  Tensor bias;
  if (useBias) {
    bias = ctx.weight("bias", order);
    checkWeightShape(ctx, "bias", bias, {filters});
  }

  std::vector<QuantizerSlot> slots;
  ActivationFunction activation;
  if (quantized) {
    QuantizerPtr kq = makeSlotQuantizer(ctx, "kernel_quantizer", true);
    QuantizerPtr bq = makeSlotQuantizer(ctx, "bias_quantizer", false);
    const bool effective = usesEffectiveWeights(ctx);
    if (kq && !effective) kq->apply(kernel.data.data(), kernel.data.data(), kernel.shape);
    if (bq && useBias && !effective) bq->apply(bias.data.data(), bias.data.data(), bias.shape);
    if (kq) slots.push_back({"kernel_quantizer", kq});
    if (bq) slots.push_back({"bias_quantizer", bq});
    activation = ActivationFunction::resolve(ctx.find("activation"), ctx, ActivationFlavor::QKeras);
  } else {
    activation = ActivationFunction::resolve(ctx.find("activation"), ctx, ActivationFlavor::Keras);
  }
  return std::make_unique<Conv2DTransposeLayer>(ctx.name, ctx.className, params, std::move(outputPadding),
                                                std::move(kernel), std::move(bias), std::move(activation),
                                                std::move(slots));
}

}  // namespace qkw
