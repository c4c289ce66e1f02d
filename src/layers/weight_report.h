// Load-time quantization of one weight tensor that also reports what the quantizer did
// (QKeras's scale, how many float weights it clipped), for model.weights().
#pragma once
#include "layers/layer.h"

namespace qkw {

// Applies `q` to `w` in place exactly as q.apply() does, and reports QKeras's scale and the
// clipped count. A weight is clipped when it lies beyond the channel's first or last grid value
// by more than half a step (more than rounding alone can move it): for auto/auto_po2 alphas
// the grid is the alpha=1 grid times the channel's scale; for po2 grids, when its magnitude
// exceeds the largest one by more than half a step in log2 (a factor sqrt(2)).
WeightQuantizationReport quantizeWeightReporting(const Quantizer& q, Tensor& w);

}  // namespace qkw
