// The plain Keras layers that appear around QKeras layers in users' models. Each family
// lives in its own keras_<family>.cpp.
#include "layers/keras_cropping.h"
#include "layers/keras_dropout.h"
#include "layers/keras_merge.h"
#include "layers/keras_padding.h"
#include "layers/keras_pooling.h"
#include "layers/keras_rescaling.h"
#include "layers/keras_reshape.h"
#include "layers/keras_sequence.h"
#include "layers/keras_upsampling.h"
#include "layers/layer.h"

namespace qkw {

void registerKerasLayers(LayerRegistry& registry) {
  registerKerasPoolingLayers(registry);
  registerKerasReshapeLayers(registry);
  registerKerasDropoutLayers(registry);
  registerKerasPaddingLayers(registry);
  registerKerasCroppingLayers(registry);
  registerKerasUpSamplingLayers(registry);
  registerKerasMergeLayers(registry);
  registerKerasRescalingLayers(registry);
  registerKerasSequenceLayers(registry);
}

}  // namespace qkw
