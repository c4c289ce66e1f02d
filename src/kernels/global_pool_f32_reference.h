// Reductions over all spatial positions of a (batch, positions, channels) float32 tensor:
// Keras's GlobalMax/GlobalAveragePooling (tf.reduce_max / tf.reduce_mean over the spatial axes).
#pragma once
#include <cstdint>

namespace qkw::kernels {

// output[n, c] = max over positions (starting from -inf, TF's reduce_max identity).
void globalMaxPoolF32Reference(int64_t batch, int64_t positions, int64_t channels, const float* input,
                               float* output);

// output[n, c] = (sum over positions in row-major order, from 0.0f) / float(positions):
// TF's reduce_mean is a sum followed by a division by the element count.
void globalAvgPoolF32Reference(int64_t batch, int64_t positions, int64_t channels, const float* input,
                               float* output);

}  // namespace qkw::kernels
