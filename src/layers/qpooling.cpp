// QAveragePooling2D and QGlobalAveragePooling2D (semantics §4.6, qpooling.py).
//   QAveragePooling2D with average_quantizer: y = AvgPool(x * A) * q(1/A), A = pool_h * pool_w;
//     without: y = AvgPool(x). TF's "same" average pool divides by the number of valid cells.
//   QGlobalAveragePooling2D with average_quantizer: y = sum_{h,w}(x) * q(1/(H*W));
//     without: y = mean_{h,w}(x) = sum / (H*W).
// Then activation (get_quantizer). 1/A is computed in double and rounded to float32, as the
// Python scalar is when TF converts it.
#include <algorithm>
#include <cmath>

#include "kernels/pool2d_f32_reference.h"
#include "layers/analysis_rules.h"
#include "layers/conv_common.h"
#include "layers/keras_pooling.h"
#include "layers/layer_factories.h"
#include "layers/quantized_layer.h"

namespace qkw {

namespace {

float quantizedReciprocal(const QuantizerPtr& q, int64_t area) {
  float value = static_cast<float>(1.0 / static_cast<double>(area));
  if (q) q->apply(&value, &value, Shape{1});
  return value;
}

// With average_quantizer both layers compute (window sum) * q(1/area): the sum on the input's
// step, then one product, exact while both fit float32's mantissa.
TensorAnalysis analyzeQuantizedAverage(const AnalysisContext& ctx, double area, float multiplier) {
  const TensorAnalysis& in = ctx.input(0);
  const std::string& cls = ctx.className();
  const GridSummary& g = *in.grid;
  const double inStep = sumStep(g);
  const double sumBits = bitsForMagnitude(area * std::max(std::fabs(g.min), std::fabs(g.max)) / inStep);
  if (!std::isfinite(multiplier) || sumBits + significandBits(multiplier) > kFloat32Mantissa)
    return ctx.floatResult(cls + ": the window sum times average_quantizer(1/" + formatNumber(area) + ") = " +
                           formatNumber(multiplier) + " needs more than float32's 24-bit mantissa: float. "
                           "Add activation='quantized_bits(...)'.");
  const double m = multiplier;
  const double lo = std::min(area * g.min * m, area * g.max * m), hi = std::max(area * g.min * m, area * g.max * m);
  const double step = m == 0 ? inStep : inStep * dyadicStep(m);
  return ctx.exactResult(uniformGrid(step, lo, hi),
                         cls + " multiplies window sums of the " + formatStep(g.step) + " grid of " + quote(in.name) +
                             " by average_quantizer(1/" + formatNumber(area) + ") = " + formatNumber(m) +
                             ", exactly in float32; no output quantizer",
                         sourceOf(in));
}

// The input checks both layers make before averaging with average_quantizer; nullopt to go on.
std::optional<TensorAnalysis> unsupportedAverageInput(const AnalysisContext& ctx) {
  const TensorAnalysis& in = ctx.input(0);
  if (in.status == TensorAnalysis::Status::Float) return ctx.floatBecauseInput(in, "averaging float values");
  if (!isUniformDyadic(in))
    return ctx.floatResult(ctx.className() + ": pooling a non-uniform or data-dependent grid is not tracked");
  return std::nullopt;
}

class QAveragePoolingLayer : public QuantizedLayer {
 public:
  QAveragePoolingLayer(const std::string& name, ConvParams params, QuantizerPtr averageQuantizer,
                       ActivationFunction activation)
      : QuantizedLayer(name, "QAveragePooling2D"), params_(params), averageQuantizer_(std::move(averageQuantizer)) {
    activation_ = std::move(activation);
    addSlot("average_quantizer", averageQuantizer_);
    multiplier_ = quantizedReciprocal(averageQuantizer_, params_.kH * params_.kW);
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (inputShapes.size() != 1) throw Error(prefix() + "expects exactly one input");
    Conv2DGeometry g = params_.geometry(prefix(), inputShapes[0]);
    return params_.outputShape(g, g.inC);
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    Conv2DGeometry g = batchedGeometry(params_, prefix(), x);
    if (averageQuantizer_) {
      const float area = static_cast<float>(params_.kH * params_.kW);
      avg_pool2d_f32_reference(x.data.data(), g, area, output.data.data());
      for (float& v : output.data) v = v * multiplier_;
    } else {
      avg_pool2d_f32_reference(x.data.data(), g, 1.0f, output.data.data());
    }
    activation_.applyInPlace(output);
  }

  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    if (QuantizerPtr q = outputQuantizer()) return ctx.quantizedBy(q, "activation ");
    const std::vector<int64_t> pool = {params_.kH, params_.kW};
    if (!averageQuantizer_) return analyzeAveragePooling(ctx, pool, params_.padding);
    if (std::optional<TensorAnalysis> t = unsupportedAverageInput(ctx)) return *t;
    std::string why;
    const std::optional<double> area = exactAverageArea(pool, params_.padding, &why);
    if (!area)
      return ctx.floatResult(className() + " averages its input and " + why +
                             ": float. Add activation='quantized_bits(...)'.");
    return analyzeQuantizedAverage(ctx, *area, multiplier_);
  }

 private:
  std::string prefix() const { return "layer '" + name() + "' (QAveragePooling2D): "; }
  ConvParams params_;
  QuantizerPtr averageQuantizer_;
  float multiplier_ = 1.0f;
};

class QGlobalAveragePoolingLayer : public QuantizedLayer {
 public:
  QGlobalAveragePoolingLayer(const std::string& name, bool keepdims, QuantizerPtr averageQuantizer,
                             ActivationFunction activation)
      : QuantizedLayer(name, "QGlobalAveragePooling2D"), keepdims_(keepdims),
        averageQuantizer_(std::move(averageQuantizer)) {
    activation_ = std::move(activation);
    addSlot("average_quantizer", averageQuantizer_);
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (inputShapes.size() != 1 || inputShapes[0].size() != 3)
      throw Error("layer '" + name() + "' (QGlobalAveragePooling2D): expects one input of rank 4 (batch included)");
    const int64_t c = inputShapes[0][2];
    return keepdims_ ? Shape{1, 1, c} : Shape{c};
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    const int64_t h = x.shape[1], w = x.shape[2], c = x.shape[3];
    global_sum_pool2d_f32_reference(x.data.data(), x.shape[0], h, w, c, output.data.data());
    if (averageQuantizer_) {
      const float m = quantizedReciprocal(averageQuantizer_, h * w);
      for (float& v : output.data) v = v * m;
    } else {
      const float count = static_cast<float>(h * w);
      for (float& v : output.data) v = v / count;
    }
    activation_.applyInPlace(output);
  }

  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    if (QuantizerPtr q = outputQuantizer()) return ctx.quantizedBy(q, "activation ");
    if (!averageQuantizer_) return analyzeGlobalAveragePooling(ctx);
    if (std::optional<TensorAnalysis> t = unsupportedAverageInput(ctx)) return *t;
    const Shape& s = ctx.inputShape(0);
    int64_t positions = 1;
    for (size_t d = 0; d + 1 < s.size(); ++d) positions *= s[d];
    return analyzeQuantizedAverage(ctx, static_cast<double>(positions),
                                   quantizedReciprocal(averageQuantizer_, positions));
  }

 private:
  bool keepdims_;
  QuantizerPtr averageQuantizer_;
};

}  // namespace

LayerPtr makeQAveragePoolingLayer(const LayerContext& ctx) {
  requireChannelsLast(ctx);
  QuantizerPtr q = makeSlotQuantizer(ctx, "average_quantizer", false);
  ActivationFunction activation = ActivationFunction::resolve(ctx.find("activation"), ctx, ActivationFlavor::QKeras);
  if (ctx.className == "QGlobalAveragePooling2D")
    return std::make_unique<QGlobalAveragePoolingLayer>(ctx.name, configBool(ctx, "keepdims", false), q,
                                                        std::move(activation));
  ConvParams p;
  p.rank = 2;
  auto pool = configIntTuple(ctx, "pool_size", 2, {2, 2});
  auto strides = configIntTuple(ctx, "strides", 2, pool);
  p.kH = pool[0]; p.kW = pool[1]; p.strideH = strides[0]; p.strideW = strides[1];
  if (p.kH <= 0 || p.kW <= 0 || p.strideH <= 0 || p.strideW <= 0)
    throw Error(ctx.errorPrefix() + "pool_size and strides must be positive");
  p.padding = configPadding(ctx, {Padding::Valid, Padding::Same});
  return std::make_unique<QAveragePoolingLayer>(ctx.name, p, q, std::move(activation));
}

}  // namespace qkw
