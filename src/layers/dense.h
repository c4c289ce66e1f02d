// The Dense layer object, shared by QDense/Dense and QDenseBatchnorm (whose factory folds the
// batch norm into the kernel and bias, then builds the same layer).
#pragma once
#include "layers/integer_path.h"
#include "layers/quantized_layer.h"

namespace qkw {

class DenseLayer : public QuantizedLayer {
 public:
  // kernel (in, units) and bias (units) or empty: already quantized / folded.
  DenseLayer(const std::string& name, const std::string& className, Tensor kernel, Tensor bias,
             ActivationFunction activation, std::vector<QuantizerSlot> slots);

  Shape outputShape(const std::vector<Shape>& inputShapes) const override;
  KernelChoice prepare(const PrepareContext& context) override;
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override;

  std::vector<WeightInput> effectiveWeights() const override;
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override;

  const Tensor& kernel() const { return kernel_; }
  const Tensor& bias() const { return bias_; }
  int64_t inputDim() const { return kernel_.shape[0]; }
  int64_t units() const { return kernel_.shape[1]; }

 private:
  bool forwardInteger(const Tensor& x, Tensor& output) const;

  Tensor kernel_;
  Tensor bias_;
  // Integer path (prepare): packed weight codes; input rows of paddedIn_ codes.
  IntegerPlan plan_;
  Qs16PackedWeights packed_;
  int64_t paddedIn_ = 0;
  mutable std::vector<int16_t> codes_;
  mutable std::vector<int32_t> rowOffsets_;
  // Popcount path (codes in {-1, 0, 1}): bit-plane weights; paddedIn_ is then the plane bytes per row.
  bool popcount_ = false;
  Qt2PackedWeights bitWeights_;
  mutable std::vector<uint8_t> planes_;
};

}  // namespace qkw
