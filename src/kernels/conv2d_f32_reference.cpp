#include "kernels/conv2d_f32_reference.h"

#include <algorithm>

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
  for (int64_t n = 0; n < g.batch; ++n) {
    const float* xn = x + n * g.inH * g.inW * g.inC;
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      for (int64_t ox = 0; ox < g.outW; ++ox) {
        float* out = y + ((n * g.outH + oy) * g.outW + ox) * filters;
        for (int64_t f = 0; f < filters; ++f) out[f] = 0.0f;
        for (int64_t ky = 0; ky < g.kH; ++ky) {
          const int64_t iy = oy * g.strideH - g.padTop + ky * g.dilationH;
          if (iy < 0 || iy >= g.inH) continue;
          for (int64_t kx = 0; kx < g.kW; ++kx) {
            const int64_t ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
            if (ix < 0 || ix >= g.inW) continue;
            const float* pixel = xn + (iy * g.inW + ix) * g.inC;
            const float* tap = kernel + (ky * g.kW + kx) * inPerGroup * filters;
            for (int64_t grp = 0; grp < groups; ++grp) {
              const float* xg = pixel + grp * inPerGroup;
              float* og = out + grp * outPerGroup;
              for (int64_t ci = 0; ci < inPerGroup; ++ci) {
                const float xv = xg[ci];
                const float* w = tap + ci * filters + grp * outPerGroup;
                for (int64_t f = 0; f < outPerGroup; ++f) og[f] += xv * w[f];
              }
            }
          }
        }
        if (bias)
          for (int64_t f = 0; f < filters; ++f) out[f] = out[f] + bias[f];
      }
    }
  }
}

void depthwise_conv2d_f32_reference(const float* x, const Conv2DGeometry& g, const float* kernel,
                                    int64_t depthMultiplier, const float* bias, float* y) {
  const int64_t outC = g.inC * depthMultiplier;
  for (int64_t n = 0; n < g.batch; ++n) {
    const float* xn = x + n * g.inH * g.inW * g.inC;
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      for (int64_t ox = 0; ox < g.outW; ++ox) {
        float* out = y + ((n * g.outH + oy) * g.outW + ox) * outC;
        for (int64_t c = 0; c < outC; ++c) out[c] = 0.0f;
        for (int64_t ky = 0; ky < g.kH; ++ky) {
          const int64_t iy = oy * g.strideH - g.padTop + ky * g.dilationH;
          if (iy < 0 || iy >= g.inH) continue;
          for (int64_t kx = 0; kx < g.kW; ++kx) {
            const int64_t ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
            if (ix < 0 || ix >= g.inW) continue;
            const float* pixel = xn + (iy * g.inW + ix) * g.inC;
            const float* tap = kernel + (ky * g.kW + kx) * outC;  // (inC, dm) flattened = c*dm + j
            for (int64_t c = 0; c < outC; ++c) out[c] += pixel[c / depthMultiplier] * tap[c];
          }
        }
        if (bias)
          for (int64_t c = 0; c < outC; ++c) out[c] = out[c] + bias[c];
      }
    }
  }
}

void conv2d_transpose_f32_reference(const float* x, const Conv2DGeometry& g, const float* kernel, int64_t filters,
                                    const float* bias, float* y) {
  for (int64_t n = 0; n < g.batch; ++n) {
    const float* xn = x + n * g.inH * g.inW * g.inC;
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      for (int64_t ox = 0; ox < g.outW; ++ox) {
        float* out = y + ((n * g.outH + oy) * g.outW + ox) * filters;
        for (int64_t f = 0; f < filters; ++f) out[f] = 0.0f;
        for (int64_t ky = 0; ky < g.kH; ++ky) {
          const int64_t ny = oy + g.padTop - ky * g.dilationH;  // = iy * strideH
          if (ny < 0 || ny % g.strideH != 0) continue;
          const int64_t iy = ny / g.strideH;
          if (iy >= g.inH) continue;
          for (int64_t kx = 0; kx < g.kW; ++kx) {
            const int64_t nx = ox + g.padLeft - kx * g.dilationW;
            if (nx < 0 || nx % g.strideW != 0) continue;
            const int64_t ix = nx / g.strideW;
            if (ix >= g.inW) continue;
            const float* pixel = xn + (iy * g.inW + ix) * g.inC;
            const float* tap = kernel + (ky * g.kW + kx) * filters * g.inC;  // (filters, inC)
            for (int64_t c = 0; c < g.inC; ++c) {
              const float xv = pixel[c];
              for (int64_t f = 0; f < filters; ++f) out[f] += xv * tap[f * g.inC + c];
            }
          }
        }
        if (bias)
          for (int64_t f = 0; f < filters; ++f) out[f] = out[f] + bias[f];
      }
    }
  }
}

}  // namespace qkw
