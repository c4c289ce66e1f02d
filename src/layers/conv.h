// Conv1D/Conv2D layer objects, shared by QConv1D/Conv1D/QConv2D/Conv2D and QConv2DBatchnorm
// (whose factory folds the batch norm in first).
#pragma once
#include "kernels/f32_conv2d_igemm.h"
#include "layers/conv_common.h"
#include "layers/integer_path.h"
#include "layers/quantized_layer.h"

namespace qkw {

class ConvLayer : public QuantizedLayer {
 public:
  // kernel: (kH, kW, in/groups, filters) for rank 2, (k, in/groups, filters) for rank 1; already
  // quantized / masked / folded. bias: (filters) or empty.
  ConvLayer(const std::string& name, const std::string& className, ConvParams params, int64_t groups, Tensor kernel,
            Tensor bias, ActivationFunction activation, std::vector<QuantizerSlot> slots);

  Shape outputShape(const std::vector<Shape>& inputShapes) const override;
  KernelChoice prepare(const PrepareContext& context) override;
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override;

  std::vector<WeightInput> effectiveWeights() const override;
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override;

  const Tensor& kernel() const { return kernel_; }
  const Tensor& bias() const { return bias_; }
  int64_t filters() const { return kernel_.shape.back(); }

 private:
  // Conv, bias and activation on the float path.
  void forwardFloat(const Tensor& x, Tensor& output) const;
  // False when an input value is off the proven grid (the caller then runs the float path).
  bool forwardInteger(const Tensor& x, Tensor& output) const;

  ConvParams params_;
  int64_t groups_;
  Tensor kernel_;
  Tensor bias_;
  // Integer path (prepare): packed weight codes, per-image indirection, input rows of paddedC_ codes.
  IntegerPlan plan_;
  Qs16PackedWeights packed_;
  std::vector<int32_t> offsets_;
  int64_t paddedC_ = 0;
  mutable std::vector<int16_t> codes_;
  // Popcount path (codes in {-1, 0, 1}): bit-plane weights; offsets_ then count plane bytes.
  bool popcount_ = false;
  Qt2PackedWeights bitWeights_;
  mutable std::vector<uint8_t> planes_;
  bool forwardPopcount(const Tensor& x, Tensor& output) const;
  // Float path (prepare): the packed kernel of f32_conv2d_igemm_4x8 where it is exact (empty:
  // conv2d_f32_reference runs), the padded-input scratch it needs.
  F32ConvPackedWeights f32Packed_;
  mutable std::vector<float> f32Scratch_;
  bool activationPerChunk_ = false;  // the activation runs in the kernel's per-chunk epilogue
};

class DepthwiseConvLayer : public QuantizedLayer {
 public:
  // kernel: (kH, kW, in, depthMultiplier); bias: (in*depthMultiplier) or empty.
  DepthwiseConvLayer(const std::string& name, const std::string& className, ConvParams params, Tensor kernel,
                     Tensor bias, ActivationFunction activation, std::vector<QuantizerSlot> slots);

  Shape outputShape(const std::vector<Shape>& inputShapes) const override;
  KernelChoice prepare(const PrepareContext& context) override;
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override;

  std::vector<WeightInput> effectiveWeights() const override;
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override;

  const Tensor& kernel() const { return kernel_; }
  const Tensor& bias() const { return bias_; }

 private:
  int64_t depthMultiplier() const { return kernel_.shape.back(); }
  bool forwardInteger(const Tensor& x, Tensor& output) const;

  ConvParams params_;
  Tensor kernel_;
  Tensor bias_;
  // Integer path (prepare): (taps, channels) weight codes and the per-image indirection.
  IntegerPlan plan_;
  std::vector<int16_t> codes16_;
  std::vector<int32_t> offsets_;
  mutable std::vector<int16_t> inputCodes_;
};

// Reads a QConv2D `mask` (nested list of shape (h, w) or (h, w, 1, 1)) into h*w values.
std::vector<float> readConvMask(const LayerContext& ctx, int64_t kH, int64_t kW);

}  // namespace qkw
