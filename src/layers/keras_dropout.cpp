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
    registry.add(name, [](const LayerContext& ctx) -> LayerPtr {
      // At inference Dropout passes its input through whatever the rate says; a rate outside
      // [0, 1) is only rejected by training (or, for > 1, by newer Keras constructors).
      const qkw::Json* rate = ctx.find("rate");
      if (rate && rate->is_number() && !(rate->get<double>() >= 0.0 && rate->get<double>() < 1.0))
        ctx.warn("dropout-rate", ctx.className + " rate " + rate->dump() +
                                     " is outside [0, 1): predict passes the input through unchanged, as Keras does at "
                                     "inference, but the rate is invalid for training");
      return std::make_unique<InferenceIdentity>(ctx);
    });
  }
}

}  // namespace qkw
