// Element-wise merging of one tensor into an accumulator with Keras's merge broadcasting, the
// step Keras's merge layers repeat left to right (output = op(output, inputs[i])).
#pragma once
#include <cstddef>

#include "core/tensor.h"

namespace qkw::kernels {

enum class MergeOp { Add, Subtract, Multiply, Maximum, Minimum };

// Largest rank (batch axis included) the merge kernels handle; they keep their index state on
// the stack so forward() does not allocate.
constexpr size_t kMaxMergeRank = 8;

// Shapes include the batch axis. An input of lower rank gets size-1 axes right after its batch
// axis (Keras's _Merge expands with expand_dims(x, axis=1)); then each input axis equals the
// output's or is 1 (stretched).
// copy: output = broadcast(input).
void broadcastCopyF32Reference(const Shape& outShape, float* output, const Shape& inShape, const float* input);
// merge: output = op(output, broadcast(input)), in float32. Maximum/Minimum propagate NaN
// (TF's Maximum/Minimum kernels do).
void broadcastMergeF32Reference(MergeOp op, const Shape& outShape, float* output, const Shape& inShape,
                                const float* input);

}  // namespace qkw::kernels
