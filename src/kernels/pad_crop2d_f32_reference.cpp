#include "kernels/pad_crop2d_f32_reference.h"

#include <algorithm>

namespace qkw::kernels {

void padCrop2dF32Reference(const PadCrop2dGeometry& g, const float* input, float* output) {
  const int64_t c = g.channels;
  const int64_t firstCol = std::max<int64_t>(g.offsetLeft, 0);
  const int64_t endCol = std::min<int64_t>(g.offsetLeft + g.inWidth, g.outWidth);
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t h = 0; h < g.outHeight; ++h) {
      float* outRow = output + ((n * g.outHeight + h) * g.outWidth) * c;
      const int64_t inRow = h - g.offsetTop;
      if (inRow < 0 || inRow >= g.inHeight || firstCol >= endCol) {
        std::fill(outRow, outRow + g.outWidth * c, 0.0f);
        continue;
      }
      std::fill(outRow, outRow + firstCol * c, 0.0f);
      const float* in = input + ((n * g.inHeight + inRow) * g.inWidth + (firstCol - g.offsetLeft)) * c;
      std::copy(in, in + (endCol - firstCol) * c, outRow + firstCol * c);
      std::fill(outRow + endCol * c, outRow + g.outWidth * c, 0.0f);
    }
  }
}

}  // namespace qkw::kernels
