// Keras layers of sequence models around the recurrent layers: Masking, Embedding and
// TimeDistributed (keras_sequence.cpp).
#pragma once
#include "layers/layer.h"

namespace qkw {

void registerKerasSequenceLayers(LayerRegistry& registry);

}  // namespace qkw
