// Axis permutation of a row-major float32 tensor (Keras Permute, tf.transpose).
#pragma once
#include <cstddef>
#include <vector>

#include "core/tensor.h"

namespace qkw::kernels {

// Largest rank handled; index state lives on the stack so forward() does not allocate.
constexpr size_t kMaxTransposeRank = 8;

// Output axis i is input axis permutation[i]; the output has shape inShape[permutation[i]].
void transposeF32Reference(const Shape& inShape, const std::vector<int>& permutation, const float* input,
                           float* output);

}  // namespace qkw::kernels
