#include "kernels/keras_pool2d_f32_reference.h"

#include <algorithm>
#include <limits>

namespace qkw::kernels {

namespace {

struct WindowRange {
  int64_t begin;
  int64_t end;
};

WindowRange clippedWindow(int64_t outIndex, int64_t stride, int64_t padBefore, int64_t pool, int64_t inSize) {
  const int64_t start = outIndex * stride - padBefore;
  return {std::max<int64_t>(start, 0), std::min<int64_t>(start + pool, inSize)};
}

}  // namespace

void maxPool2dF32Reference(const Pool2dGeometry& g, const float* input, float* output) {
  // TF's CPU kernel (and oneDNN's) starts from the lowest finite float, not -inf: a window of
  // only -inf values yields -FLT_MAX there, and so here.
  const float lowest = std::numeric_limits<float>::lowest();
  const int64_t c = g.channels;
  for (int64_t n = 0; n < g.batch; ++n) {
    const float* image = input + n * g.inHeight * g.inWidth * c;
    for (int64_t oh = 0; oh < g.outHeight; ++oh) {
      const WindowRange rows = clippedWindow(oh, g.strideHeight, g.padTop, g.poolHeight, g.inHeight);
      for (int64_t ow = 0; ow < g.outWidth; ++ow) {
        const WindowRange cols = clippedWindow(ow, g.strideWidth, g.padLeft, g.poolWidth, g.inWidth);
        float* out = output + ((n * g.outHeight + oh) * g.outWidth + ow) * c;
        std::fill(out, out + c, lowest);
        for (int64_t h = rows.begin; h < rows.end; ++h) {
          for (int64_t w = cols.begin; w < cols.end; ++w) {
            const float* in = image + (h * g.inWidth + w) * c;
            for (int64_t k = 0; k < c; ++k) out[k] = (out[k] < in[k]) ? in[k] : out[k];
          }
        }
      }
    }
  }
}

void avgPool2dF32Reference(const Pool2dGeometry& g, const float* input, float* output) {
  const int64_t c = g.channels;
  for (int64_t n = 0; n < g.batch; ++n) {
    const float* image = input + n * g.inHeight * g.inWidth * c;
    for (int64_t oh = 0; oh < g.outHeight; ++oh) {
      const WindowRange rows = clippedWindow(oh, g.strideHeight, g.padTop, g.poolHeight, g.inHeight);
      for (int64_t ow = 0; ow < g.outWidth; ++ow) {
        const WindowRange cols = clippedWindow(ow, g.strideWidth, g.padLeft, g.poolWidth, g.inWidth);
        float* out = output + ((n * g.outHeight + oh) * g.outWidth + ow) * c;
        std::fill(out, out + c, 0.0f);
        for (int64_t h = rows.begin; h < rows.end; ++h) {
          for (int64_t w = cols.begin; w < cols.end; ++w) {
            const float* in = image + (h * g.inWidth + w) * c;
            for (int64_t k = 0; k < c; ++k) out[k] += in[k];
          }
        }
        const float count = static_cast<float>((rows.end - rows.begin) * (cols.end - cols.begin));
        for (int64_t k = 0; k < c; ++k) out[k] = out[k] / count;
      }
    }
  }
}

}  // namespace qkw::kernels
