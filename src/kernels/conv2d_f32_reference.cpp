#include "kernels/conv2d_f32_reference.h"

#include <algorithm>

#include "kernels/conv_window_taps.h"

namespace qkw {

int64_t samePadding(int64_t in, int64_t k, int64_t stride, int64_t dilation, int64_t* padBefore) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t effective = (k - 1) * dilation + 1;
  const int64_t total = std::max<int64_t>((out - 1) * stride + effective - in, 0);
  if (padBefore) *padBefore = total / 2;
  return out;
}

int64_t validOutputLength(int64_t in, int64_t k, int64_t stride, int64_t dilation) {
  const int64_t effective = (k - 1) * dilation + 1;
  if (in < effective) return 0;
  return (in - effective) / stride + 1;
}

void conv2d_f32_reference(const float* x, const Conv2DGeometry& g, const float* kernel, int64_t filters,
                          int64_t groups, const float* bias, float* y) {
  const int64_t inPerGroup = g.inC / groups;
  const int64_t outPerGroup = filters / groups;
  forEachOutputPixel(g, x, y, filters, 0.0f, [&](const float* xn, int64_t oy, int64_t ox, float* out) {
    forEachForwardConvTap(g, oy, ox, [&](int64_t tapIndex, int64_t pixelIndex) {
      const float* pixel = xn + pixelIndex * g.inC;
      const float* tap = kernel + tapIndex * inPerGroup * filters;
      for (int64_t grp = 0; grp < groups; ++grp) {
        const float* xg = pixel + grp * inPerGroup;
        float* og = out + grp * outPerGroup;
        for (int64_t ci = 0; ci < inPerGroup; ++ci) {
          const float xv = xg[ci];
          const float* w = tap + ci * filters + grp * outPerGroup;
          for (int64_t f = 0; f < outPerGroup; ++f) og[f] += xv * w[f];
        }
      }
    });
    addBiasToPixel(out, bias, filters);
  });
}

void depthwise_conv2d_f32_reference(const float* x, const Conv2DGeometry& g, const float* kernel,
                                    int64_t depthMultiplier, const float* bias, float* y) {
  const int64_t outC = g.inC * depthMultiplier;
  forEachOutputPixel(g, x, y, outC, 0.0f, [&](const float* xn, int64_t oy, int64_t ox, float* out) {
    forEachForwardConvTap(g, oy, ox, [&](int64_t tapIndex, int64_t pixelIndex) {
      const float* pixel = xn + pixelIndex * g.inC;
      const float* tap = kernel + tapIndex * outC;  // (inC, dm) flattened = c*dm + j
      for (int64_t c = 0; c < outC; ++c) out[c] += pixel[c / depthMultiplier] * tap[c];
    });
    addBiasToPixel(out, bias, outC);
  });
}

void conv2d_transpose_f32_reference(const float* x, const Conv2DGeometry& g, const float* kernel, int64_t filters,
                                    const float* bias, float* y) {
  forEachOutputPixel(g, x, y, filters, 0.0f, [&](const float* xn, int64_t oy, int64_t ox, float* out) {
    forEachTransposedConvTap(g, oy, ox, [&](int64_t tapIndex, int64_t pixelIndex) {
      const float* pixel = xn + pixelIndex * g.inC;
      const float* tap = kernel + tapIndex * filters * g.inC;  // (filters, inC)
      for (int64_t c = 0; c < g.inC; ++c) {
        const float xv = pixel[c];
        for (int64_t f = 0; f < filters; ++f) out[f] += xv * tap[f * g.inC + c];
      }
    });
    addBiasToPixel(out, bias, filters);
  });
}

}  // namespace qkw
