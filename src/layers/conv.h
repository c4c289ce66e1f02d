// Conv1D/Conv2D layer objects, shared by QConv1D/Conv1D/QConv2D/Conv2D and QConv2DBatchnorm
// (whose factory folds the batch norm in first).
#pragma once
#include "layers/conv_common.h"
#include "layers/quantized_layer.h"

namespace qkw {

class ConvLayer : public QuantizedLayer {
 public:
  // kernel: (kH, kW, in/groups, filters) for rank 2, (k, in/groups, filters) for rank 1; already
  // quantized / masked / folded. bias: (filters) or empty.
  ConvLayer(const std::string& name, const std::string& className, ConvParams params, int64_t groups, Tensor kernel,
            Tensor bias, ActivationFunction activation, std::vector<QuantizerSlot> slots);

  Shape outputShape(const std::vector<Shape>& inputShapes) const override;
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override;

  std::vector<WeightInput> effectiveWeights() const override;
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override;

  const Tensor& kernel() const { return kernel_; }
  const Tensor& bias() const { return bias_; }
  int64_t filters() const { return kernel_.shape.back(); }

 private:
  ConvParams params_;
  int64_t groups_;
  Tensor kernel_;
  Tensor bias_;
};

class DepthwiseConvLayer : public QuantizedLayer {
 public:
  // kernel: (kH, kW, in, depthMultiplier); bias: (in*depthMultiplier) or empty.
  DepthwiseConvLayer(const std::string& name, const std::string& className, ConvParams params, Tensor kernel,
                     Tensor bias, ActivationFunction activation, std::vector<QuantizerSlot> slots);

  Shape outputShape(const std::vector<Shape>& inputShapes) const override;
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override;

  std::vector<WeightInput> effectiveWeights() const override;
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override;

  const Tensor& kernel() const { return kernel_; }
  const Tensor& bias() const { return bias_; }

 private:
  int64_t depthMultiplier() const { return kernel_.shape.back(); }
  ConvParams params_;
  Tensor kernel_;
  Tensor bias_;
};

// Reads a QConv2D `mask` (nested list of shape (h, w) or (h, w, 1, 1)) into h*w values.
std::vector<float> readConvMask(const LayerContext& ctx, int64_t kH, int64_t kW);

}  // namespace qkw
