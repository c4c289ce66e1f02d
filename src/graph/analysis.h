// Static quantization analysis: for every layer output, is it on a grid, which one, and why
// (semantics §0, §5). Answers "I quantized every layer to 4 bits; why are only the QConv2D
// outputs quantized?" without running the model; tensor_stats.h checks it against real data.
//
// This is the model-wide pass: it walks the layers in execution order and asks each one for its
// output rule (Layer::analyzeOutput, stated in the layer's own file in src/layers/), given its
// inputs' results. The result type (TensorAnalysis) and the rules' context live in
// layers/analysis_rules.h; the grid arithmetic (GridSummary, AccumulatorBound, KernelView,
// dyadicStep, uniformGrid, boundLinear, boundSeparable, ...) in layers/grid_arithmetic.h. Both
// are included here, so this header keeps offering the whole API.
#pragma once
#include <vector>

#include "core/json.h"

#include "graph/model.h"
#include "layers/analysis_rules.h"
#include "layers/grid_arithmetic.h"

namespace qkw {

// One entry per layer output, in execution order. Every rule reads its layer's own config from
// the built layer (pool sizes, padding, ReLU/Rescaling parameters, QBatchNormalization's ignored
// activation=), so `graph` is not needed; it is accepted, and ignored, for existing callers.
std::vector<TensorAnalysis> analyzeModel(const Model& model, const qkw::Json* graph = nullptr);

// {name, className, status, quantizer, grid: {kind, bits, integer, signed, step, steps?, min, max,
//  values?} | null, accumulatorBits, reason, source, inputs}
qkw::Json toJson(const TensorAnalysis& analysis);
qkw::Json toJson(const std::vector<TensorAnalysis>& analyses);
// {kind, bits, integer, signed, step, steps?, min, max, values?}, as in toJson(TensorAnalysis).
qkw::Json toJson(const GridSummary& grid);

}  // namespace qkw
