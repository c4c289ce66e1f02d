// Nearest-neighbour upsampling of an NHWC tensor by integer factors: every input cell is
// repeated sizeHeight x sizeWidth times (Keras UpSampling1D/2D with interpolation 'nearest').
#pragma once
#include <cstdint>

namespace qkw::kernels {

void upsampleNearest2dF32Reference(int64_t batch, int64_t inHeight, int64_t inWidth, int64_t channels,
                                   int64_t sizeHeight, int64_t sizeWidth, const float* input, float* output);

}  // namespace qkw::kernels
