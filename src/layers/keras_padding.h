// Keras ZeroPadding1D/2D (channels_last).
#pragma once
#include "layers/layer.h"

namespace qkw {

void registerKerasPaddingLayers(LayerRegistry& registry);

}  // namespace qkw
