#include <gtest/gtest.h>

#include "layer_test_helpers.h"

namespace qkw {
namespace {

using json = qkw::Json;
using namespace layer_test;

TEST(KerasDropout, TrainingOnlyLayersAreIdentityAtInference) {
  const json configs[] = {
      json{{"rate", 0.5}},
      json{{"rate", 0.3}, {"noise_shape", nullptr}, {"seed", 7}},
      json{{"stddev", 0.1}},
      json{{"l1", 0.01}, {"l2", 0.0}},
  };
  for (const char* name : {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
                           "GaussianDropout", "AlphaDropout", "ActivityRegularization"}) {
    for (const json& config : configs) {
      auto layer = makeLayer(name, config);
      Tensor in({2, 3, 2}, {-1.5f, 0.0f, 2.0f, 3.25f, -0.0f, 1e-30f, 7, 8, 9, 10, 11, -12});
      Tensor out = run(*layer, in);
      EXPECT_EQ(out.shape, in.shape) << name;
      EXPECT_EQ(out.data, in.data) << name;
      EXPECT_TRUE(layer->isIdentityOnValues()) << name;
    }
  }
}

TEST(KerasDropout, SingleInputOnly) {
  auto layer = makeLayer("Dropout", json{{"rate", 0.5}}, "drop");
  expectThrowsWith([&] { layer->outputShape({{3}, {3}}); }, {"drop", "Dropout", "1 input"});
}

}  // namespace
}  // namespace qkw
