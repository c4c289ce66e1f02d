#include <gtest/gtest.h>

#include <algorithm>

#include "layers/layer.h"

namespace qkw {
namespace {

TEST(KerasLayers, RegistersEveryUtilityLayer) {
  LayerRegistry registry;
  registerKerasLayers(registry);
  for (const char* name :
       {"MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "GlobalMaxPooling1D",
        "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "Flatten", "Reshape", "Permute",
        "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
        "ActivityRegularization", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D",
        "UpSampling2D", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Rescaling"}) {
    EXPECT_NE(registry.find(name), nullptr) << name;
  }
  EXPECT_EQ(registry.find("Conv2D"), nullptr);  // not ours
}

}  // namespace
}  // namespace qkw
