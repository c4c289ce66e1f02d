#include "layers/keras_cropping.h"

#include "layers/keras_pad_crop_layer.h"

namespace qkw {

void registerKerasCroppingLayers(LayerRegistry& registry) {
  registry.add("Cropping1D", [](const LayerContext& ctx) -> LayerPtr {
    return std::make_unique<PadCropLayer>(ctx, PadCropLayer::Mode::Crop, configPadPairs(ctx, "cropping", 1, {{1, 1}}));
  });
  registry.add("Cropping2D", [](const LayerContext& ctx) -> LayerPtr {
    requireChannelsLast(ctx);
    return std::make_unique<PadCropLayer>(ctx, PadCropLayer::Mode::Crop,
                                          configPadPairs(ctx, "cropping", 2, {{0, 0}, {0, 0}}));
  });
}

}  // namespace qkw
