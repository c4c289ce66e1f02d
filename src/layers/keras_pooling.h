// Keras MaxPooling1D/2D, AveragePooling1D/2D, GlobalMax/GlobalAveragePooling1D/2D
// (channels_last only). Registered under Keras's class names and their Pool aliases.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "layers/layer.h"
#include "layers/layer_config.h"

namespace qkw {

void registerKerasPoolingLayers(LayerRegistry& registry);

// ---- Analysis rules of averaging, shared with QAveragePooling2D / QGlobalAveragePooling2D ----

// The window area when every divisor the pool uses is a power of two (so dividing is exact);
// otherwise nullopt and `why` says which divisor is not.
std::optional<double> exactAverageArea(const std::vector<int64_t>& pool, Padding padding, std::string* why);
// AvgPool(x) = window sum / area: the input's grid divided by the area, when that is exact.
TensorAnalysis analyzeAveragePooling(const AnalysisContext& ctx, const std::vector<int64_t>& pool, Padding padding);
// mean over every position but the channels: exact when the count is a power of two.
TensorAnalysis analyzeGlobalAveragePooling(const AnalysisContext& ctx);

}  // namespace qkw
