// Keras layers that only act in training (Dropout, SpatialDropout1D/2D/3D, GaussianNoise,
// GaussianDropout, AlphaDropout, ActivityRegularization): identity at inference.
#pragma once
#include "layers/layer.h"

namespace qkw {

void registerKerasDropoutLayers(LayerRegistry& registry);

}  // namespace qkw
