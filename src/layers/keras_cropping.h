// Keras Cropping1D/2D (channels_last).
#pragma once
#include "layers/layer.h"

namespace qkw {

void registerKerasCroppingLayers(LayerRegistry& registry);

}  // namespace qkw
