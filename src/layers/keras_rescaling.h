// Keras Rescaling: y = x * scale + offset in float32.
#pragma once
#include "layers/layer.h"

namespace qkw {

void registerKerasRescalingLayers(LayerRegistry& registry);

}  // namespace qkw
