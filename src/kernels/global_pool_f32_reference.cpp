#include "kernels/global_pool_f32_reference.h"

#include <algorithm>
#include <limits>

namespace qkw::kernels {

void globalMaxPoolF32Reference(int64_t batch, int64_t positions, int64_t channels, const float* input,
                               float* output) {
  for (int64_t n = 0; n < batch; ++n) {
    float* out = output + n * channels;
    std::fill(out, out + channels, -std::numeric_limits<float>::infinity());
    for (int64_t p = 0; p < positions; ++p) {
      const float* in = input + (n * positions + p) * channels;
      for (int64_t c = 0; c < channels; ++c) out[c] = (out[c] < in[c]) ? in[c] : out[c];
    }
  }
}

void globalAvgPoolF32Reference(int64_t batch, int64_t positions, int64_t channels, const float* input,
                               float* output) {
  const float count = static_cast<float>(positions);
  for (int64_t n = 0; n < batch; ++n) {
    float* out = output + n * channels;
    std::fill(out, out + channels, 0.0f);
    for (int64_t p = 0; p < positions; ++p) {
      const float* in = input + (n * positions + p) * channels;
      for (int64_t c = 0; c < channels; ++c) out[c] += in[c];
    }
    for (int64_t c = 0; c < channels; ++c) out[c] = out[c] / count;
  }
}

}  // namespace qkw::kernels
