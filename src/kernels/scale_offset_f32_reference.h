// y = x * scale + offset in float32 (two roundings, never fused), with scale and offset
// broadcast on the last axis (Keras Rescaling).
#pragma once
#include <cstdint>
#include <vector>

namespace qkw::kernels {

// `scale` and `offset` hold 1 value (applied everywhere) or `channels` values (last axis).
void scaleOffsetF32Reference(int64_t count, int64_t channels, const float* input, const std::vector<float>& scale,
                             const std::vector<float>& offset, float* output);

}  // namespace qkw::kernels
