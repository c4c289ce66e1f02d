// Keras Flatten, Reshape and Permute: layout-only layers (channels_last).
#pragma once
#include "layers/layer.h"

namespace qkw {

void registerKerasReshapeLayers(LayerRegistry& registry);

}  // namespace qkw
