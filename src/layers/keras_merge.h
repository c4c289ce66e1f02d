// Keras merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum (element-wise with
// Keras's broadcasting) and Concatenate.
#pragma once
#include "layers/layer.h"

namespace qkw {

void registerKerasMergeLayers(LayerRegistry& registry);

}  // namespace qkw
