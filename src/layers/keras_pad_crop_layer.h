// ZeroPadding and Cropping are one operation with opposite signs: both place the input at an
// offset in an output of another size. This layer class serves keras_padding and keras_cropping.
#pragma once
#include <array>
#include <vector>

#include "layers/keras_common.h"

namespace qkw {

class PadCropLayer : public KerasLayer {
 public:
  enum class Mode { ZeroPad, Crop };
  // `pairs` holds (before, after) amounts per spatial axis, already validated as >= 0.
  PadCropLayer(const LayerContext& ctx, Mode mode, std::vector<std::array<int64_t, 2>> pairs);

  Shape outputShape(const std::vector<Shape>& inputShapes) const override;
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override;
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override;

 private:
  Shape spatialOutput(const Shape& in) const;

  Mode mode_;
  std::vector<std::array<int64_t, 2>> pairs_;
};

}  // namespace qkw
