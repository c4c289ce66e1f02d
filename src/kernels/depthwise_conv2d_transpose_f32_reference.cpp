#include "kernels/depthwise_conv2d_transpose_f32_reference.h"

#include <algorithm>

#include "kernels/conv_window_taps.h"

namespace qkw {

int64_t deconvOutputLength(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same, int64_t outputPadding) {
  const int64_t effective = k + (k - 1) * (dilation - 1);
  if (outputPadding < 0) return same ? in * stride : in * stride + std::max<int64_t>(effective - stride, 0);
  const int64_t pad = same ? effective / 2 : 0;
  return (in - 1) * stride + effective - 2 * pad + outputPadding;
}

void setConv2DTransposePadding(Conv2DGeometry& g, bool same) {
  g.padTop = 0;
  g.padLeft = 0;
  if (!same) return;
  const int64_t effH = (g.kH - 1) * g.dilationH + 1, effW = (g.kW - 1) * g.dilationW + 1;
  g.padTop = std::max<int64_t>((g.inH - 1) * g.strideH + effH - g.outH, 0) / 2;
  g.padLeft = std::max<int64_t>((g.inW - 1) * g.strideW + effW - g.outW, 0) / 2;
}

void depthwise_conv2d_transpose_f32_reference(const float* x, const Conv2DGeometry& g, const float* kernel,
                                              int64_t groupSize, float* y) {
  const int64_t channels = g.inC;
  const int64_t groups = channels / groupSize;
  forEachOutputPixel(g, x, y, channels, 0.0f, [&](const float* xn, int64_t oy, int64_t ox, float* out) {
    forEachTransposedConvTap(g, oy, ox, [&](int64_t tapIndex, int64_t pixelIndex) {
      const float* pixel = xn + pixelIndex * channels;
      const float* tap = kernel + tapIndex * channels * groupSize;  // (inC, groupSize)
      for (int64_t group = 0; group < groups; ++group) {
        const int64_t first = group * groupSize;
        for (int64_t j = 0; j < groupSize; ++j) {
          const float xv = pixel[first + j];
          for (int64_t o = 0; o < groupSize; ++o) out[first + o] += xv * tap[(first + o) * groupSize + j];
        }
      }
    });
  });
}

}  // namespace qkw
