// Keras ReLU and LeakyReLU layers, computed as tf-keras backend.relu does:
//   alpha != 0, no max_value, threshold 0: leaky_relu: x > 0 ? x : x * alpha
//   otherwise: neg = relu(-x + threshold) (or relu(-x)); x = threshold != 0 ? x * (x > threshold)
//              : relu(x) (relu6 when max_value == 6); clip to [0, max_value]; x -= alpha * neg
#include <algorithm>
#include <cmath>
#include <optional>

#include "layers/analysis_rules.h"
#include "layers/layer_config.h"
#include "layers/layer_factories.h"

namespace qkw {

namespace {

class ReLULayer : public Layer {
 public:
  ReLULayer(const std::string& name, const std::string& className, std::optional<float> maxValue, float alpha,
            float threshold)
      : Layer(name, className), maxValue_(maxValue), alpha_(alpha), threshold_(threshold) {}

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (inputShapes.size() != 1)
      throw Error("layer '" + name() + "' (" + className() + "): expects exactly one input");
    return inputShapes[0];
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    run(inputs[0]->data.data(), output.data.data(), inputs[0]->size());
  }

  // Each y[i] reads only x[i] (before writing it), so in place is forward().
  std::string elementwiseFusionTag(const Shape& inputShape) const override {
    (void)inputShape;
    return className() == "LeakyReLU" ? "leaky_relu" : "relu";
  }
  void applyElementwiseInPlace(float* data, int64_t count, int64_t channels) const override {
    (void)channels;
    run(data, data, count);
  }

  // Clipping at 0 (and max_value) keeps a grid that has 0 (and max_value) on its lattice; a
  // negative slope multiplies by alpha, which is not tracked.
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    const TensorAnalysis& in = ctx.input(0);
    const std::string& cls = className();
    if (in.status == TensorAnalysis::Status::Float)
      return ctx.floatBecauseInput(in, cls + " keeps the values of its input");
    const bool nonNegative = in.grid && in.grid->min >= 0;
    if (cls == "LeakyReLU") {
      if (nonNegative) return ctx.carry("LeakyReLU of non-negative values is the identity", true);
      return ctx.floatResult("LeakyReLU multiplies negative values by alpha: not tracked. Use "
                             "QActivation('quantized_relu(4,0,negative_slope=0.125)') for a quantized leaky ReLU.");
    }
    const std::optional<double> maxValue = maxValue_ ? std::optional<double>(*maxValue_) : std::nullopt;
    if (alpha_ != 0 && !nonNegative)
      return ctx.floatResult("ReLU with negative_slope multiplies negative values: not tracked. Use "
                             "QActivation('quantized_relu(...,negative_slope=...)').");
    if (threshold_ != 0) {
      if (!in.grid || in.grid->kind != Grid::Kind::Uniform)
        return ctx.floatResult("ReLU with threshold on a non-uniform grid: not tracked");
      std::optional<GridSummary> g = reluOfGrid(*in.grid, maxValue);
      if (!g) return ctx.floatResult("ReLU(threshold, max_value) leaves the input grid");
      // A negative threshold without max_value keeps the values in (threshold, 0): the output
      // reaches down to the smallest grid value above the threshold (max_value clips them to 0).
      const GridSummary& ig = *in.grid;
      if (threshold_ < 0 && !maxValue_ && ig.min < 0) {
        const double above = ig.min + (std::floor((double(threshold_) - ig.min) / ig.step) + 1) * ig.step;
        const double lo = std::max(ig.min, above);
        if (lo < 0) {
          GridSummary widened = uniformGrid(ig.step, lo, g->max);
          widened.steps = ig.steps;
          g = widened;
        }
      }
      TensorAnalysis t =
          ctx.exactResult(*g, "ReLU keeps values above its threshold and sets the rest to 0", sourceOf(in));
      if (in.status == TensorAnalysis::Status::Quantized) t.status = in.status, t.quantizer = in.quantizer;
      return t;
    }
    return ctx.relu("ReLU", maxValue);
  }

 private:
  void run(const float* x, float* y, int64_t n) const {
    if (alpha_ != 0.0f && !maxValue_ && threshold_ == 0.0f) {
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : x[i] * alpha_;
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      float r;
      bool clip = maxValue_.has_value();
      if (threshold_ != 0.0f) {
        r = v * (v > threshold_ ? 1.0f : 0.0f);
      } else if (maxValue_ && *maxValue_ == 6.0f) {
        r = std::min(std::max(v, 0.0f), 6.0f);
        clip = false;
      } else {
        r = v > 0.0f ? v : 0.0f;
      }
      if (clip) r = std::min(std::max(r, 0.0f), *maxValue_);
      if (alpha_ != 0.0f) {
        const float shifted = threshold_ != 0.0f ? -v + threshold_ : -v;
        const float negative = shifted > 0.0f ? shifted : 0.0f;
        r = r - alpha_ * negative;
      }
      y[i] = r;
    }
  }

  std::optional<float> maxValue_;
  float alpha_;
  float threshold_;
};

}  // namespace

LayerPtr makeReLULayer(const LayerContext& ctx) {
  if (ctx.className == "LeakyReLU") {
    // Keras 2 writes `alpha` (default 0.3); Keras 3 writes `negative_slope` (default 0.3).
    const float alpha = ctx.find("alpha") ? configFloat(ctx, "alpha", 0.3f) : configFloat(ctx, "negative_slope", 0.3f);
    return std::make_unique<ReLULayer>(ctx.name, ctx.className, std::nullopt, alpha, 0.0f);
  }
  std::optional<float> maxValue;
  const qkw::Json* mv = ctx.find("max_value");
  if (mv && !mv->is_null()) {
    maxValue = configFloat(ctx, "max_value", 0.0f);
    if (*maxValue < 0.0f) throw Error(ctx.errorPrefix() + "max_value must be >= 0");
  }
  const float slope = configFloat(ctx, "negative_slope", 0.0f);
  const float threshold = configFloat(ctx, "threshold", 0.0f);
  return std::make_unique<ReLULayer>(ctx.name, ctx.className, maxValue, slope, threshold);
}

}  // namespace qkw
