// Masking, Embedding and TimeDistributed (tf-keras layers/core/masking.py, embedding.py,
// layers/rnn/time_distributed.py) at inference.
//   Masking:   keep_t = any(x[t, :] != mask_value) ; y[t, :] = x[t, :] * float(keep_t)
//              (a multiplication, as Keras does: -x gives -0, inf gives NaN on masked steps).
//              The mask itself reaches the recurrent layers through the graph (model.cpp wires the
//              Masking layer's input to them as a mask source).
//   Embedding: y[..., :] = embeddings[int32(x[...]), :]; the cast truncates toward zero as
//              tf.cast does; an id outside [0, input_dim) is an error (TF's CPU gather fails too).
//              mask_zero=True gives the mask x != 0 to following recurrent layers.
//   TimeDistributed(inner): the inner layer over (batch*time, ...), reshaped back to
//              (batch, time, ...). The inner layer's weights are the wrapper's.
#include "layers/keras_sequence.h"

#include <cmath>

#include "layers/analysis_rules.h"
#include "layers/keras_common.h"

namespace qkw {

namespace {

class MaskingLayer : public KerasLayer {
 public:
  explicit MaskingLayer(const LayerContext& ctx) : KerasLayer(ctx), maskValue_(configFloat(ctx, "mask_value", 0.0f)) {}

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    requireInputCount(inputShapes.size(), 1);
    if (inputShapes[0].empty()) fail("expects an input with a time axis, got " + shapeToString(inputShapes[0]));
    return inputShapes[0];
  }
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    const int64_t last = x.shape.back();
    const int64_t rows = last == 0 ? 0 : x.size() / last;
    for (int64_t r = 0; r < rows; ++r) {
      const float* v = x.data.data() + r * last;
      bool keep = false;
      for (int64_t k = 0; k < last && !keep; ++k) keep = v[k] != maskValue_;
      const float m = keep ? 1.0f : 0.0f;
      for (int64_t k = 0; k < last; ++k) output.data[r * last + k] = v[k] * m;
    }
  }
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    return ctx.carry("masked steps become 0, the others are kept", true);
  }

 private:
  float maskValue_;
};

class EmbeddingLayer : public KerasLayer {
 public:
  explicit EmbeddingLayer(const LayerContext& ctx) : KerasLayer(ctx) {
    const int inputDim = requiredInt(ctx, "input_dim");
    const int outputDim = requiredInt(ctx, "output_dim");
    embeddings_ = ctx.weight("embeddings", {"embeddings"});
    checkWeightShape(ctx, "embeddings", embeddings_, Shape{inputDim, outputDim});
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    requireInputCount(inputShapes.size(), 1);
    Shape out = inputShapes[0];
    out.push_back(embeddings_.shape[1]);
    return out;
  }
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    const int64_t n = embeddings_.shape[0], d = embeddings_.shape[1];
    for (int64_t i = 0; i < x.size(); ++i) {
      const float v = x.data[i];
      // tf.cast(float -> int32) truncates toward zero.
      if (!(std::fabs(v) < 2147483648.0f)) fail("input id " + std::to_string(v) + " is not a valid index");
      const int64_t id = static_cast<int64_t>(std::trunc(v));
      if (id < 0 || id >= n)
        fail("input id " + std::to_string(id) + " (from " + std::to_string(v) + ") is outside [0, " +
             std::to_string(n) + ")");
      std::copy_n(embeddings_.data.data() + id * d, d, output.data.data() + i * d);
    }
  }
  std::vector<WeightInput> effectiveWeights() const override { return {{"embeddings", 0, embeddings_}}; }
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    return ctx.floatResult("Embedding looks up rows of its float table: on no grid (quantize the table or add a "
                           "QActivation after it)");
  }

 private:
  Tensor embeddings_;
};

class TimeDistributedLayer : public KerasLayer {
 public:
  TimeDistributedLayer(const LayerContext& ctx, LayerPtr inner) : KerasLayer(ctx), inner_(std::move(inner)) {}

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    requireInputCount(inputShapes.size(), 1);
    const Shape& in = inputShapes[0];
    if (in.size() < 2) fail("expects (time, ...) inputs, got " + shapeToString(in));
    Shape inner = inner_->outputShape({Shape(in.begin() + 1, in.end())});
    Shape out{in[0]};
    out.insert(out.end(), inner.begin(), inner.end());
    return out;
  }
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    Tensor merged;
    merged.shape = Shape(x.shape.begin() + 1, x.shape.end());
    merged.shape[0] = x.shape[0] * x.shape[1];
    merged.data = x.data;
    Tensor out;
    out.shape = Shape(output.shape.begin() + 1, output.shape.end());
    out.shape[0] = output.shape[0] * output.shape[1];
    out.data.resize(output.data.size());
    inner_->forward({&merged}, out);
    std::copy(out.data.begin(), out.data.end(), output.data.begin());
  }
  std::vector<QuantizerSlot> quantizers() const override { return inner_->quantizers(); }
  QuantizerPtr outputQuantizer() const override { return inner_->outputQuantizer(); }
  bool isIdentityOnValues() const override { return inner_->isIdentityOnValues(); }
  std::vector<WeightInput> effectiveWeights() const override { return inner_->effectiveWeights(); }
  const Layer& inner() const { return *inner_; }

 private:
  LayerPtr inner_;
};

LayerPtr makeTimeDistributed(const LayerContext& ctx) {
  const qkw::Json* layer = ctx.find("layer");
  if (!layer || !layer->is_object() || !layer->contains("config") || !(*layer)["config"].is_object() ||
      !(*layer)["class_name"].is_string())
    throw Error(ctx.errorPrefix() + "config has no wrapped 'layer' with class_name and config");
  std::string cls = (*layer)["class_name"].get<std::string>();
  if (cls.rfind('>') != std::string::npos) cls = cls.substr(cls.rfind('>') + 1);
  if (cls == "TimeDistributed" || cls == "Bidirectional" || cls == "QBidirectional")
    throw Unsupported(ctx.errorPrefix() + "TimeDistributed over " + cls + " is not supported");
  const LayerFactory* factory = LayerRegistry::instance().find(cls);
  if (!factory) throw Unsupported(ctx.errorPrefix() + "wraps an unsupported layer class " + cls);
  qkw::Json innerConfig = (*layer)["config"];
  if (ctx.config.value("qkw_effective_weights", false)) innerConfig["qkw_effective_weights"] = true;
  LayerContext inner{ctx.name, cls, innerConfig, ctx.weights, ctx.quantizerOptions};
  LayerPtr built = (*factory)(inner);
  ctx.adoptUsage(inner);
  return std::make_unique<TimeDistributedLayer>(ctx, std::move(built));
}

}  // namespace

void registerKerasSequenceLayers(LayerRegistry& registry) {
  registry.add("Masking", [](const LayerContext& ctx) -> LayerPtr { return std::make_unique<MaskingLayer>(ctx); });
  registry.add("Embedding", [](const LayerContext& ctx) -> LayerPtr { return std::make_unique<EmbeddingLayer>(ctx); });
  registry.add("TimeDistributed", makeTimeDistributed);
}

}  // namespace qkw
