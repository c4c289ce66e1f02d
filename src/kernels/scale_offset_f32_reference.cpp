#include "kernels/scale_offset_f32_reference.h"

namespace qkw::kernels {

void scaleOffsetF32Reference(int64_t count, int64_t channels, const float* input, const std::vector<float>& scale,
                             const std::vector<float>& offset, float* output) {
  const bool scalePerChannel = scale.size() > 1;
  const bool offsetPerChannel = offset.size() > 1;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t c = channels > 0 ? i % channels : 0;
    const float scaled = input[i] * scale[scalePerChannel ? c : 0];
    output[i] = scaled + offset[offsetPerChannel ? c : 0];
  }
}

}  // namespace qkw::kernels
