// Keras MaxPooling1D/2D, AveragePooling1D/2D, GlobalMax/GlobalAveragePooling1D/2D
// (channels_last only). Registered under Keras's class names and their Pool aliases.
#pragma once
#include "layers/layer.h"

namespace qkw {

void registerKerasPoolingLayers(LayerRegistry& registry);

}  // namespace qkw
