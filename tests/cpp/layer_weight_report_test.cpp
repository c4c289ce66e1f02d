// quantizeWeightReporting: the weights come out exactly as Quantizer::apply gives them, with
// QKeras's scale and the count of float weights beyond the grid's ends by more than half a step.
#include <gtest/gtest.h>

#include <cstring>

#include "layers/weight_report.h"

namespace qkw {
namespace {

void expectSameAsApply(const QuantizerPtr& q, const Tensor& x) {
  Tensor viaReport = x;
  quantizeWeightReporting(*q, viaReport);
  Tensor viaApply = x;
  q->apply(viaApply.data.data(), viaApply.data.data(), viaApply.shape);
  ASSERT_EQ(0, std::memcmp(viaReport.data.data(), viaApply.data.data(), x.data.size() * sizeof(float)));
}

TEST(WeightReport, FixedGridCountsValuesTheClipMoved) {
  // quantized_bits(4,0,0,alpha=1): grid -1 .. 7/8, step 1/8. 0.9 rounds to 7/8 without the clip
  // (within half a step of the end); 0.95 and -1.07 are moved by it.
  QuantizerPtr q = makeQuantizer(json("quantized_bits(4,0,0,alpha=1)"));
  Tensor w({5}, {0.9f, 0.95f, -1.0f, -1.07f, 0.1f});
  expectSameAsApply(q, w);
  WeightQuantizationReport r = quantizeWeightReporting(*q, w);
  EXPECT_EQ(r.clipped, 2);
  EXPECT_FLOAT_EQ(w.data[1], 0.875f);
}

TEST(WeightReport, AutoPo2UsesThePerChannelScale) {
  // Two channels whose magnitudes differ by 2^4: auto_po2 picks a scale per channel, and the
  // alpha=1 grid times that scale decides what was clipped.
  QuantizerOptions weightSlot;
  weightSlot.weightSlot = true;
  QuantizerPtr q = makeQuantizer(json("quantized_bits(4,0,alpha='auto_po2')"), weightSlot);
  Tensor w({4, 2}, {0.5f, 0.03f, -0.25f, -0.02f, 0.125f, 0.01f, 4.0f, 0.015f});
  expectSameAsApply(q, w);
  WeightQuantizationReport r = quantizeWeightReporting(*q, w);
  ASSERT_EQ(r.scale.values.size(), 2u);
  EXPECT_NE(r.scale.values[0], r.scale.values[1]);
  EXPECT_GE(r.clipped, 0);
}

TEST(WeightReport, Po2CountsMagnitudesBeyondTheLargestPowerBySqrt2) {
  QuantizerPtr q = makeQuantizer(json("quantized_po2(4,1)"));
  Tensor w({4}, {1.4f, 1.42f, -3.0f, 0.3f});
  expectSameAsApply(q, w);
  EXPECT_EQ(quantizeWeightReporting(*q, w).clipped, 2);
}

TEST(WeightReport, NoGridMeansUnknown) {
  QuantizerPtr q = makeQuantizer(json("quantized_ulaw(8,0,1)"));
  Tensor w({3}, {0.1f, -0.5f, 2.0f});
  EXPECT_EQ(quantizeWeightReporting(*q, w).clipped, -1);
}

}  // namespace
}  // namespace qkw
