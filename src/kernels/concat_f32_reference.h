// Concatenation of row-major float32 tensors along one axis.
#pragma once
#include <vector>

#include "core/tensor.h"

namespace qkw::kernels {

// `axis` counts from 0 over the full shapes (batch included); the inputs agree on every other
// axis. Copies, for each index of the axes before `axis`, each input's trailing block in order.
void concatF32Reference(const std::vector<const Tensor*>& inputs, int axis, float* output);

}  // namespace qkw::kernels
