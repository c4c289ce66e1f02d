#include "layers/keras_dropout.h"

#include <algorithm>

#include "layers/keras_common.h"

namespace qkw {

namespace {

// model.predict runs with training=False, where every one of these returns its input.
class InferenceIdentity : public KerasLayer {
 public:
  explicit InferenceIdentity(const LayerContext& ctx) : KerasLayer(ctx) {}

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    requireInputCount(inputShapes.size(), 1);
    return inputShapes[0];
  }
  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    if (x.data.data() != output.data.data()) std::copy(x.data.begin(), x.data.end(), output.data.begin());
  }
  bool isIdentityOnValues() const override { return true; }
};

}  // namespace

void registerKerasDropoutLayers(LayerRegistry& registry) {
  for (const char* name : {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
                           "GaussianDropout", "AlphaDropout", "ActivityRegularization"}) {
    registry.add(name, [](const LayerContext& ctx) -> LayerPtr { return std::make_unique<InferenceIdentity>(ctx); });
  }
}

}  // namespace qkw
