// The Dense layer object, shared by QDense/Dense and QDenseBatchnorm (whose factory folds the
// batch norm into the kernel and bias, then builds the same layer).
#pragma once
#include "layers/quantized_layer.h"

namespace qkw {

class DenseLayer : public QuantizedLayer {
 public:
  // kernel (in, units) and bias (units) or empty: already quantized / folded.
  DenseLayer(const std::string& name, const std::string& className, Tensor kernel, Tensor bias,
             ActivationFunction activation, std::vector<QuantizerSlot> slots);

  Shape outputShape(const std::vector<Shape>& inputShapes) const override;
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override;

  std::vector<WeightInput> effectiveWeights() const override;
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override;

  const Tensor& kernel() const { return kernel_; }
  const Tensor& bias() const { return bias_; }
  int64_t inputDim() const { return kernel_.shape[0]; }
  int64_t units() const { return kernel_.shape[1]; }

 private:
  Tensor kernel_;
  Tensor bias_;
};

}  // namespace qkw
