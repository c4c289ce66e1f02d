// QAveragePooling2D and QGlobalAveragePooling2D (semantics §4.6, qpooling.py).
//   QAveragePooling2D with average_quantizer: y = AvgPool(x * A) * q(1/A), A = pool_h * pool_w;
//     without: y = AvgPool(x). TF's "same" average pool divides by the number of valid cells.
//   QGlobalAveragePooling2D with average_quantizer: y = sum_{h,w}(x) * q(1/(H*W));
//     without: y = mean_{h,w}(x) = sum / (H*W).
// Then activation (get_quantizer). 1/A is computed in double and rounded to float32, as the
// Python scalar is when TF converts it.
#include "kernels/pool2d_f32_reference.h"
#include "layers/conv_common.h"
#include "layers/layer_factories.h"
#include "layers/quantized_layer.h"

namespace qkw {

namespace {

float quantizedReciprocal(const QuantizerPtr& q, int64_t area) {
  float value = static_cast<float>(1.0 / static_cast<double>(area));
  if (q) q->apply(&value, &value, Shape{1});
  return value;
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
