#include "layers/keras_upsampling.h"

#include "core/limits.h"
#include "kernels/upsample2d_nearest_f32_reference.h"
#include "layers/analysis_rules.h"
#include "layers/keras_common.h"

namespace qkw {

namespace {

class UpSampling : public KerasLayer {
 public:
  UpSampling(const LayerContext& ctx, size_t spatialAxes) : KerasLayer(ctx), spatialAxes_(spatialAxes) {
    if (spatialAxes == 2) {
      requireChannelsLast(ctx);
      const std::string interpolation = configString(ctx, "interpolation", "nearest");
      // Every other method interpolates values; we do not approximate it with 'nearest'.
      if (interpolation != "nearest")
        throw Unsupported(prefix() + "interpolation '" + interpolation + "' (only 'nearest' is supported)");
    }
    size_ = configIntTuple(ctx, "size", spatialAxes, std::vector<int>(spatialAxes, 2));
    for (int s : size_)
      if (s <= 0) fail("size must be positive, got " + std::to_string(s));
  }

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    requireInputCount(inputShapes.size(), 1);
    requireRank(inputShapes[0], spatialAxes_ + 1,
                spatialAxes_ == 1 ? "(steps, channels)" : "(height, width, channels)");
    Shape out = inputShapes[0];
    for (size_t i = 0; i < spatialAxes_; ++i) out[i] = checkedMul(out[i], size_[i], prefix() + "size");
    return out;
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    if (spatialAxes_ == 1)
      kernels::upsampleNearest2dF32Reference(x.shape[0], 1, x.shape[1], x.shape[2], 1, size_[0], x.data.data(),
                                             output.data.data());
    else
      kernels::upsampleNearest2dF32Reference(x.shape[0], x.shape[1], x.shape[2], x.shape[3], size_[0], size_[1],
                                             x.data.data(), output.data.data());
  }

  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    return ctx.carry("nearest upsampling repeats values", true);
  }

 private:
  size_t spatialAxes_;
  std::vector<int> size_;
};

}  // namespace

void registerKerasUpSamplingLayers(LayerRegistry& registry) {
  registry.add("UpSampling1D", [](const LayerContext& ctx) -> LayerPtr { return std::make_unique<UpSampling>(ctx, 1); });
  registry.add("UpSampling2D", [](const LayerContext& ctx) -> LayerPtr { return std::make_unique<UpSampling>(ctx, 2); });
}

}  // namespace qkw
