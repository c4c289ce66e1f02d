// QAveragePooling2D and QGlobalAveragePooling2D (semantics §4.6).
#include "layer_test_helpers.h"

namespace qkw {
namespace {

using namespace layer_test;
using json = qkw::Json;

TEST(LayerQAveragePooling2D, WithoutQuantizerIsAveragePooling) {
  auto layer = build("QAveragePooling2D", {{"pool_size", {2, 2}}, {"padding", "valid"}});
  expectValues(run(*layer, counting({1, 2, 2, 1})), {1, 1, 1, 1}, {2.5f});
}

TEST(LayerQAveragePooling2D, QuantizedReciprocalOfTheArea) {
  // A = 3: avg(x*3) = (3+6+9)/3 = 6; 1/3 -> quantized_bits(4,0,1,alpha=1) = 3/8; y = 2.25.
  json c = {{"pool_size", {3, 1}}, {"strides", {3, 1}}, {"padding", "valid"},
            {"average_quantizer", "quantized_bits(4,0,1,alpha=1)"}};
  auto layer = build("QAveragePooling2D", c);
  expectValues(run(*layer, counting({1, 3, 1, 1})), {1, 1, 1, 1}, {2.25f});
  ASSERT_EQ(layer->quantizers().size(), 1u);
  EXPECT_EQ(layer->quantizers()[0].slot, "average_quantizer");
}

TEST(LayerQAveragePooling2D, SamePaddingDividesByValidCells) {
  json c = {{"pool_size", {2, 2}}, {"strides", {2, 2}}, {"padding", "same"},
            {"average_quantizer", "quantized_bits(8,0,1,alpha=1)"}, {"activation", "quantized_relu(8,4)"}};
  auto layer = build("QAveragePooling2D", c);
  // avg(4x) over the valid cells, times q(1/4) = 0.25: [3, 4.5, 7.5, 9] on a 1/16 grid.
  expectValues(run(*layer, counting({1, 3, 3, 1})), {1, 2, 2, 1}, {3, 4.5f, 7.5f, 9});
  ASSERT_NE(layer->outputQuantizer(), nullptr);
}

TEST(LayerQGlobalAveragePooling2D, SumTimesQuantizedReciprocal) {
  // H*W = 3: sums [21, 210]... per channel; 1/3 -> 3/8.
  json c = {{"average_quantizer", "quantized_bits(4,0,1,alpha=1)"}};
  auto layer = build("QGlobalAveragePooling2D", c);
  Tensor x({1, 1, 3, 2}, {1, 10, 2, 20, 3, 30});
  expectValues(run(*layer, x), {1, 2}, {6 * 0.375f, 60 * 0.375f});
  auto plain = build("QGlobalAveragePooling2D", {{"keepdims", true}});
  expectValues(run(*plain, x), {1, 1, 1, 2}, {2, 20});
}

}  // namespace
}  // namespace qkw
