#include <gtest/gtest.h>

#include "core/tensor.h"

namespace qkw {
namespace {

TEST(CoreTensor, ShapeToStringMatchesPythonTuples) {
  EXPECT_EQ(shapeToString({}), "()");
  EXPECT_EQ(shapeToString({5}), "(5,)");
  EXPECT_EQ(shapeToString({2, 3}), "(2, 3)");
}

TEST(CoreTensor, SizedConstructorZeroFills) {
  Tensor t({2, 3, 4});
  EXPECT_EQ(t.size(), 24);
  EXPECT_EQ(t.rank(), 3);
  for (float v : t.data) EXPECT_EQ(v, 0.0f);
}

TEST(CoreTensor, NumElementsOfScalarIsOne) { EXPECT_EQ(numElements({}), 1); }

}  // namespace
}  // namespace qkw
