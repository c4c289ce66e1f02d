// quantized_bits (semantics §2.1), also the base of quantized_hswish (§2.9).
#pragma once
#include "quant/quantizer_base.h"
#include "quant/scale.h"

namespace qkw::quant {

class QuantizedBits : public QuantizerBase {
 public:
  QuantizedBits(const Args& args, const QuantizerOptions& options);

  std::string str() const override;
  double min() const override;
  double max() const override;
  int bits() const override { return bits_; }
  bool isSigned() const override { return alpha_.isAuto() || keepNegative_; }
  std::optional<Grid> grid() const override;
  std::vector<float> range() const override;
  void apply(const float* x, float* y, const Shape& shape, ScaleInfo* scale = nullptr) const override;

 protected:
  // The flags after bits, integer, symmetric that quantized_bits and quantized_hswish share.
  std::vector<std::string> optionalFlags() const;
  void applyBits(const float* x, float* y, const Shape& shape, ScaleInfo* scale) const;

  int bits_;
  int integer_;
  bool symmetric_;
  bool keepNegative_;
  AlphaArg alpha_;
  AxisSpec scaleAxis_;
  AxisSpec elementsPerScale_;
  std::optional<int> minPo2_, maxPo2_;
  float qnoise_;
  bool useSte_;
  bool frozenScale_ = false;
  ScaleInfo postTrainingScale_;

 private:
  void applyFixed(const float* x, float* y, const Shape& shape, ScaleInfo* scale) const;
  void applyAuto(const float* x, float* y, const Shape& shape, ScaleInfo* scale) const;
};

}  // namespace qkw::quant
