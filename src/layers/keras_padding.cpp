#include "layers/keras_padding.h"

#include "layers/keras_pad_crop_layer.h"

namespace qkw {

void registerKerasPaddingLayers(LayerRegistry& registry) {
  registry.add("ZeroPadding1D", [](const LayerContext& ctx) -> LayerPtr {
    return std::make_unique<PadCropLayer>(ctx, PadCropLayer::Mode::ZeroPad, configPadPairs(ctx, "padding", 1, {{1, 1}}));
  });
  registry.add("ZeroPadding2D", [](const LayerContext& ctx) -> LayerPtr {
    requireChannelsLast(ctx);
    return std::make_unique<PadCropLayer>(ctx, PadCropLayer::Mode::ZeroPad,
                                          configPadPairs(ctx, "padding", 2, {{1, 1}, {1, 1}}));
  });
}

}  // namespace qkw
