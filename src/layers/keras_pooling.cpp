#include "layers/keras_pooling.h"

#include <algorithm>
#include <cmath>

#include "kernels/pool2d_f32_reference.h"
#include "layers/analysis_rules.h"
#include "layers/keras_common.h"

namespace qkw {

namespace {

enum class PoolKind { Max, Average };

// 1D pooling runs as 2D with a height of 1 (Keras itself expands the input to 4D).
class WindowPooling : public KerasLayer {
 public:
  WindowPooling(const LayerContext& ctx, PoolKind kind, size_t spatialAxes)
      : KerasLayer(ctx), kind_(kind), spatialAxes_(spatialAxes) {
    requireChannelsLast(ctx);
    pool_ = configIntTuple(ctx, "pool_size", spatialAxes, std::vector<int>(spatialAxes, 2));
    strides_ = configIntTuple(ctx, "strides", spatialAxes, pool_);  // Keras: strides=None means pool_size
    padding_ = configPadding(ctx, {Padding::Valid, Padding::Same});
    for (size_t i = 0; i < spatialAxes; ++i) {
      if (pool_[i] <= 0) fail("pool_size must be positive, got " + std::to_string(pool_[i]));
      if (strides_[i] <= 0) fail("strides must be positive, got " + std::to_string(strides_[i]));
    }
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    requireInputCount(inputShapes.size(), 1);
    const Shape& in = inputShapes[0];
    requireRank(in, spatialAxes_ + 1, spatialAxes_ == 1 ? "(steps, channels)" : "(height, width, channels)");
    Shape out = in;
    for (size_t i = 0; i < spatialAxes_; ++i) {
      out[i] = pooledLength(in[i], pool_[i], strides_[i], padding_);
      if (out[i] <= 0)
        fail("pool_size " + std::to_string(pool_[i]) + " does not fit input shape " + shapeToString(in) +
             " with padding 'valid'");
    }
    return out;
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    Conv2DGeometry g;
    g.batch = x.shape[0];
    g.inC = x.shape.back();
    if (spatialAxes_ == 1) {
      g.inH = 1;
      g.inW = x.shape[1];
      g.kW = pool_[0];
      g.strideW = strides_[0];
    } else {
      g.inH = x.shape[1];
      g.inW = x.shape[2];
      g.kH = pool_[0];
      g.kW = pool_[1];
      g.strideH = strides_[0];
      g.strideW = strides_[1];
    }
    g.outH = pooledLength(g.inH, g.kH, g.strideH, padding_);
    g.outW = pooledLength(g.inW, g.kW, g.strideW, padding_);
    if (padding_ == Padding::Same) {
      g.padTop = samePaddingBefore(g.inH, g.kH, g.strideH, g.outH);
      g.padLeft = samePaddingBefore(g.inW, g.kW, g.strideW, g.outW);
    }
    if (kind_ == PoolKind::Max)
      max_pool2d_f32_reference(x.data.data(), g, output.data.data());
    else
      avg_pool2d_f32_reference(x.data.data(), g, 1.0f, output.data.data());
  }

  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    if (kind_ == PoolKind::Max) return ctx.carry("the max of grid values is a grid value", true);
    return analyzeAveragePooling(ctx, std::vector<int64_t>(pool_.begin(), pool_.end()), padding_);
  }

 private:
  PoolKind kind_;
  size_t spatialAxes_;
  std::vector<int> pool_;
  std::vector<int> strides_;
  Padding padding_ = Padding::Valid;
};

class GlobalPooling : public KerasLayer {
 public:
  GlobalPooling(const LayerContext& ctx, PoolKind kind, size_t spatialAxes)
      : KerasLayer(ctx), kind_(kind), spatialAxes_(spatialAxes) {
    requireChannelsLast(ctx);
    keepdims_ = configBool(ctx, "keepdims", false);
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    requireInputCount(inputShapes.size(), 1);
    const Shape& in = inputShapes[0];
    requireRank(in, spatialAxes_ + 1, spatialAxes_ == 1 ? "(steps, channels)" : "(height, width, channels)");
    if (!keepdims_) return {in.back()};
    Shape out(spatialAxes_ + 1, 1);
    out.back() = in.back();
    return out;
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    const int64_t batch = x.shape[0];
    const int64_t channels = x.shape.back();
    int64_t positions = 1;
    for (size_t i = 1; i + 1 < x.shape.size(); ++i) positions *= x.shape[i];
    if (kind_ == PoolKind::Max)
      global_max_pool_f32_reference(x.data.data(), batch, positions, channels, output.data.data());
    else
      global_avg_pool_f32_reference(x.data.data(), batch, positions, channels, output.data.data());
  }

  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    if (kind_ == PoolKind::Max) return ctx.carry("the max of grid values is a grid value", true);
    return analyzeGlobalAveragePooling(ctx);
  }

 private:
  PoolKind kind_;
  size_t spatialAxes_;
  bool keepdims_ = false;
};

template <typename L>
LayerFactory factory(PoolKind kind, size_t spatialAxes) {
  return [kind, spatialAxes](const LayerContext& ctx) -> LayerPtr {
    return std::make_unique<L>(ctx, kind, spatialAxes);
  };
}

}  // namespace

void registerKerasPoolingLayers(LayerRegistry& registry) {
  for (const char* name : {"MaxPooling1D", "MaxPool1D"}) registry.add(name, factory<WindowPooling>(PoolKind::Max, 1));
  for (const char* name : {"MaxPooling2D", "MaxPool2D"}) registry.add(name, factory<WindowPooling>(PoolKind::Max, 2));
  for (const char* name : {"AveragePooling1D", "AvgPool1D"})
    registry.add(name, factory<WindowPooling>(PoolKind::Average, 1));
  for (const char* name : {"AveragePooling2D", "AvgPool2D"})
    registry.add(name, factory<WindowPooling>(PoolKind::Average, 2));
  for (const char* name : {"GlobalMaxPooling1D", "GlobalMaxPool1D"})
    registry.add(name, factory<GlobalPooling>(PoolKind::Max, 1));
  for (const char* name : {"GlobalMaxPooling2D", "GlobalMaxPool2D"})
    registry.add(name, factory<GlobalPooling>(PoolKind::Max, 2));
  for (const char* name : {"GlobalAveragePooling1D", "GlobalAvgPool1D"})
    registry.add(name, factory<GlobalPooling>(PoolKind::Average, 1));
  for (const char* name : {"GlobalAveragePooling2D", "GlobalAvgPool2D"})
    registry.add(name, factory<GlobalPooling>(PoolKind::Average, 2));
}

// ---- Static analysis of averaging (analysis_rules.h) ----

namespace {

// Sums of the input's grid divided by `area`, a power of two: exact while the sums fit float32.
TensorAnalysis divideByArea(const AnalysisContext& ctx, double area, const std::string& what) {
  const TensorAnalysis& in = ctx.input(0);
  if (in.status == TensorAnalysis::Status::Float) return ctx.floatBecauseInput(in, what);
  if (!isUniformDyadic(in))
    return ctx.floatResult(ctx.className() + ": " + what + " of a non-uniform or data-dependent grid is not tracked");
  const GridSummary& g = *in.grid;
  const double maxAbs = std::max(std::fabs(g.min), std::fabs(g.max));
  const double inStep = sumStep(g);
  if (bitsForMagnitude(area * maxAbs / inStep) > kFloat32Mantissa)
    return ctx.floatResult(ctx.className() + ": the window sums need more than float32's 24-bit mantissa");
  GridSummary out = uniformGrid(inStep / area, g.min, g.max);
  for (double s : g.steps) out.steps.push_back(s / area);
  return ctx.exactResult(out,
                         ctx.className() + " divides sums of the " + formatStep(g.step) + " grid of " +
                             quote(in.name) + " by " + formatNumber(area) +
                             " (a power of two), which float32 does exactly",
                         sourceOf(in));
}

}  // namespace

std::optional<double> exactAverageArea(const std::vector<int64_t>& pool, Padding padding, std::string* why) {
  const bool same = padding == Padding::Same;
  double area = 1;
  for (int64_t p : pool) {
    if (p <= 0 || !isPowerOfTwo(static_cast<double>(p))) {
      *why = "its pool area is not a power of two, so dividing by it rounds";
      return std::nullopt;
    }
    if (same && p > 2) {
      *why = "padding='same' makes border windows divide by counts that are not powers of two";
      return std::nullopt;
    }
    area *= static_cast<double>(p);
  }
  return area;
}

TensorAnalysis analyzeAveragePooling(const AnalysisContext& ctx, const std::vector<int64_t>& pool, Padding padding) {
  const TensorAnalysis& in = ctx.input(0);
  if (in.status == TensorAnalysis::Status::Float) return ctx.floatBecauseInput(in, "averaging float values");
  std::string why;
  std::optional<double> area = exactAverageArea(pool, padding, &why);
  if (!area)
    return ctx.floatResult(ctx.className() + " averages its input and " + why +
                           ": the output is float. Add a QActivation after it to quantize.");
  return divideByArea(ctx, *area, "average pooling");
}

TensorAnalysis analyzeGlobalAveragePooling(const AnalysisContext& ctx) {
  const TensorAnalysis& in = ctx.input(0);
  if (in.status == TensorAnalysis::Status::Float) return ctx.floatBecauseInput(in, "averaging float values");
  const Shape& s = ctx.inputShape(0);
  double n = 1;
  for (size_t d = 0; d + 1 < s.size(); ++d) n *= static_cast<double>(s[d]);
  if (!isPowerOfTwo(n))
    return ctx.floatResult(ctx.className() + " divides by " + formatNumber(n) +
                           " positions, not a power of two, so the mean is rounded: float. Add a QActivation after "
                           "it to quantize.");
  return divideByArea(ctx, n, "global average pooling");
}

}  // namespace qkw
