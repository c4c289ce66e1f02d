// Keras UpSampling1D/2D, interpolation 'nearest' only (channels_last).
#pragma once
#include "layers/layer.h"

namespace qkw {

void registerKerasUpSamplingLayers(LayerRegistry& registry);

}  // namespace qkw
