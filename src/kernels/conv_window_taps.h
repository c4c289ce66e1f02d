// The kernel taps that reach one output pixel of a conv2d / transposed conv2d, visited in the
// order the reference kernels sum them (ky, then kx, ascending; taps that fall on padding or
// between strided input positions are skipped). Shared by the reference kernels so every one of
// them walks the window identically; the summation order is what makes results bit-exact.
#pragma once
#include <cstdint>

#include "kernels/conv2d_f32_reference.h"

namespace qkw {

// Visits every output pixel in NHWC order: visit(image, oy, ox, out) with `image` the batch
// item's (inH, inW, inC) input and `out` the pixel's outChannels outputs, already set to
// `initial` (the start of the sum, or of the max).
template <typename Visit>
inline void forEachOutputPixel(const Conv2DGeometry& g, const float* x, float* y, int64_t outChannels, float initial,
                               Visit visit) {
  for (int64_t n = 0; n < g.batch; ++n) {
    const float* image = x + n * g.inH * g.inW * g.inC;
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      for (int64_t ox = 0; ox < g.outW; ++ox) {
        float* out = y + ((n * g.outH + oy) * g.outW + ox) * outChannels;
        for (int64_t c = 0; c < outChannels; ++c) out[c] = initial;
        visit(image, oy, ox, out);
      }
    }
  }
}

// Forward conv: output (oy, ox) reads input (oy*strideH - padTop + ky*dilationH, ...).
// visit(tapIndex = ky*kW + kx, pixelIndex = iy*inW + ix).
template <typename Visit>
inline void forEachForwardConvTap(const Conv2DGeometry& g, int64_t oy, int64_t ox, Visit visit) {
  for (int64_t ky = 0; ky < g.kH; ++ky) {
    const int64_t iy = oy * g.strideH - g.padTop + ky * g.dilationH;
    if (iy < 0 || iy >= g.inH) continue;
    for (int64_t kx = 0; kx < g.kW; ++kx) {
      const int64_t ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
      if (ix < 0 || ix >= g.inW) continue;
      visit(ky * g.kW + kx, iy * g.inW + ix);
    }
  }
}

// Transposed conv: output (oy, ox) receives input (iy, ix) through tap (ky, kx) when
// oy = iy*strideH - padTop + ky*dilationH (and likewise for x). Same visit arguments.
template <typename Visit>
inline void forEachTransposedConvTap(const Conv2DGeometry& g, int64_t oy, int64_t ox, Visit visit) {
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
      visit(ky * g.kW + kx, iy * g.inW + ix);
    }
  }
}

// bias_add is a separate op in TF: added to the finished sum.
inline void addBiasToPixel(float* out, const float* bias, int64_t channels) {
  if (bias)
    for (int64_t c = 0; c < channels; ++c) out[c] = out[c] + bias[c];
}

}  // namespace qkw
