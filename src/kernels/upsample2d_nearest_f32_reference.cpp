#include "kernels/upsample2d_nearest_f32_reference.h"

#include <algorithm>

namespace qkw::kernels {

void upsampleNearest2dF32Reference(int64_t batch, int64_t inHeight, int64_t inWidth, int64_t channels,
                                   int64_t sizeHeight, int64_t sizeWidth, const float* input, float* output) {
  const int64_t outHeight = inHeight * sizeHeight;
  const int64_t outWidth = inWidth * sizeWidth;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t oh = 0; oh < outHeight; ++oh) {
      const float* inRow = input + (n * inHeight + oh / sizeHeight) * inWidth * channels;
      float* outRow = output + (n * outHeight + oh) * outWidth * channels;
      for (int64_t ow = 0; ow < outWidth; ++ow) {
        const float* in = inRow + (ow / sizeWidth) * channels;
        std::copy(in, in + channels, outRow + ow * channels);
      }
    }
  }
}

}  // namespace qkw::kernels
