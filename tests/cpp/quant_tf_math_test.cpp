#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "quant/quantizer.h"
#include "quant/tf_math.h"

namespace qkw {
namespace {

TEST(QuantTfMath, EigenLogIsWithinTwoUlpOfLibm) {
  for (float x = 1e-6f; x < 1e6f; x *= 1.0137f) {
    const float a = quant::eigenLogf(x);
    const float b = std::log(x);
    EXPECT_LE(std::fabs(a - b), 2.0f * std::fabs(std::nextafter(b, 0.0f) - b) + 1e-12f) << x;
  }
}

TEST(QuantTfMath, EigenLogSpecialValues) {
  EXPECT_TRUE(std::isinf(quant::eigenLogf(0.0f)) && quant::eigenLogf(0.0f) < 0);
  EXPECT_TRUE(std::isnan(quant::eigenLogf(-1.0f)));
  EXPECT_TRUE(std::isinf(quant::eigenLogf(INFINITY)));
  EXPECT_EQ(quant::eigenLogf(1.0f), 0.0f);
}

// sqrt(0.5) sits on the quadratic-approximation tie: Eigen's log lands on -0.5 exactly (-> 2^0),
// the correctly rounded logf just below (-> 2^-2). Whole packets of 8 use Eigen, the tail libm.
TEST(QuantTfMath, QuadraticVarianceTieFollowsTensorFlowsLogPath) {
  EXPECT_EQ(quant::eigenLogf(std::sqrt(0.5f)) / quant::kLog2f, -0.5f);
  const QuantizerPtr q = makeQuantizer("quantized_relu_po2(6, quadratic_approximation=True)");
  std::vector<float> variance(9, 0.5f);
  std::vector<float> out(9);
  q->apply(variance.data(), out.data(), {9});
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], 1.0f) << "packet element " << i;
  EXPECT_EQ(out[8], 0.25f) << "tail element (libm logf)";
}

}  // namespace
}  // namespace qkw
