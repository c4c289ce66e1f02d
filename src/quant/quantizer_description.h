// What describeQuantizer() shows a user: QKeras's view of a quantizer plus its true grid.
#pragma once
#include "quant/quantizer.h"

namespace qkw {

// {className, config, str, min, max, bits, signed, step, grid}. `step` is null where there
// is no fixed grid (auto alphas, po2, non-uniform); `grid` is null in the same cases or the
// full Grid otherwise.
json describeQuantizer(const Quantizer& quantizer);

json gridToJson(const Grid& grid);

QuantizerOptions quantizerOptionsFromJson(const json& options);

}  // namespace qkw
