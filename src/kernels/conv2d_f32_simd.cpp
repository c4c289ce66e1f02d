#include "kernels/conv2d_f32_simd.h"

#include <vector>

#include "kernels/channel_block_f32_simd.h"

namespace qkw {

using namespace simd_detail;

namespace {

// The taps of the window whose top-left corner is input (iy0, ix0), padded ones left out.
// Returns how many were written.
int64_t collectTaps(const Conv2DGeometry& g, int64_t iy0, int64_t ix0, const float* kernel, int64_t tapWeights,
                    int64_t* xOffset, const float** weights) {
  int64_t count = 0;
  for (int64_t ky = 0; ky < g.kH; ++ky) {
    const int64_t iy = iy0 + ky * g.dilationH;
    if (iy < 0 || iy >= g.inH) continue;
    for (int64_t kx = 0; kx < g.kW; ++kx) {
      const int64_t ix = ix0 + kx * g.dilationW;
      if (ix < 0 || ix >= g.inW) continue;
      xOffset[count] = (iy * g.inW + ix) * g.inC;
      weights[count] = kernel + (ky * g.kW + kx) * tapWeights;
      ++count;
    }
  }
  return count;
}

// Whether every kx tap of a window starting at column ix0 lies inside the input.
bool columnsInside(const Conv2DGeometry& g, int64_t ix0) { return ix0 >= 0 && ix0 + (g.kW - 1) * g.dilationW < g.inW; }

}  // namespace

void conv2d_f32_simd(const float* x, const Conv2DGeometry& g, const float* kernel, int64_t filters, int64_t groups,
                     const float* bias, float* y) {
  if (groups != 1) {
    conv2d_f32_reference(x, g, kernel, filters, groups, bias, y);
    return;
  }
  const int64_t tapWeights = g.inC * filters;
  std::vector<int64_t> xOffset(static_cast<size_t>(g.kH * g.kW));
  std::vector<const float*> weights(static_cast<size_t>(g.kH * g.kW));
  const int64_t pixelStride = g.strideW * g.inC;
  for (int64_t n = 0; n < g.batch; ++n) {
    const float* xn = x + n * g.inH * g.inW * g.inC;
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      const int64_t iy0 = oy * g.strideH - g.padTop;
      float* outRow = y + (n * g.outH + oy) * g.outW * filters;
      int64_t ox = 0;
      while (ox < g.outW) {
        const int64_t ix0 = ox * g.strideW - g.padLeft;
        const bool block = ox + kPixelsPerBlock <= g.outW && columnsInside(g, ix0) &&
                           columnsInside(g, ix0 + (kPixelsPerBlock - 1) * g.strideW);
        const Taps taps{xOffset.data(), weights.data(),
                        collectTaps(g, iy0, ix0, kernel, tapWeights, xOffset.data(), weights.data())};
        float* out = outRow + ox * filters;
        if (block) {
          // The same rows are valid for the whole output row and every column is inside for these
          // pixels, so their tap lists differ only by the input shift strideW * inC.
          accumulateAllChannels<kPixelsPerBlock, kVectorsMultiPixel>(xn, taps, g.inC, pixelStride, filters, bias, out,
                                                                     filters);
          ox += kPixelsPerBlock;
        } else {
          accumulateAllChannels<1, kVectorsSinglePixel>(xn, taps, g.inC, pixelStride, filters, bias, out, filters);
          ox += 1;
        }
      }
    }
  }
}

namespace {

// Depthwise with multiplier 1: lane c multiplies input channel c by its own weight.
template <int V>
inline void depthwiseChannelBlock(const float* xn, const Taps& taps, int64_t c0, const float* bias, float* out) {
  FloatBatch acc[V];
  for (int v = 0; v < V; ++v) acc[v] = FloatBatch(0.0f);
  for (int64_t t = 0; t < taps.count; ++t) {
    const float* xp = xn + taps.xOffset[t] + c0;
    const float* wp = taps.weights[t] + c0;
    for (int v = 0; v < V; ++v) {
      const FloatBatch product = FloatBatch::load_unaligned(xp + v * kLanes) * FloatBatch::load_unaligned(wp + v * kLanes);
      acc[v] = acc[v] + product;
    }
  }
  for (int v = 0; v < V; ++v) {
    FloatBatch result = acc[v];
    if (bias) result = result + FloatBatch::load_unaligned(bias + c0 + v * kLanes);
    result.store_unaligned(out + c0 + v * kLanes);
  }
}

}  // namespace

void depthwise_conv2d_f32_simd(const float* x, const Conv2DGeometry& g, const float* kernel, int64_t depthMultiplier,
                               const float* bias, float* y) {
  if (depthMultiplier != 1) {
    depthwise_conv2d_f32_reference(x, g, kernel, depthMultiplier, bias, y);
    return;
  }
  const int64_t channels = g.inC;
  std::vector<int64_t> xOffset(static_cast<size_t>(g.kH * g.kW));
  std::vector<const float*> weights(static_cast<size_t>(g.kH * g.kW));
  for (int64_t n = 0; n < g.batch; ++n) {
    const float* xn = x + n * g.inH * g.inW * channels;
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      for (int64_t ox = 0; ox < g.outW; ++ox) {
        const Taps taps{xOffset.data(), weights.data(),
                        collectTaps(g, oy * g.strideH - g.padTop, ox * g.strideW - g.padLeft, kernel, channels,
                                    xOffset.data(), weights.data())};
        float* out = y + ((n * g.outH + oy) * g.outW + ox) * channels;
        int64_t c = 0;
        for (; c + kVectorsSinglePixel * kLanes <= channels; c += kVectorsSinglePixel * kLanes)
          depthwiseChannelBlock<kVectorsSinglePixel>(xn, taps, c, bias, out);
        for (; c + kLanes <= channels; c += kLanes) depthwiseChannelBlock<1>(xn, taps, c, bias, out);
        for (; c < channels; ++c) {
          float acc = 0.0f;
          for (int64_t t = 0; t < taps.count; ++t) {
            const float product = xn[taps.xOffset[t] + c] * taps.weights[t][c];
            acc = acc + product;
          }
          if (bias) acc = acc + bias[c];
          out[c] = acc;
        }
      }
    }
  }
}

}  // namespace qkw
