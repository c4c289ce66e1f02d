#include "kernels/pool2d_f32_reference.h"

namespace qkw {

void avg_pool2d_f32_reference(const float* x, const Conv2DGeometry& g, float inputScale, float* y) {
  const int64_t C = g.inC;
  for (int64_t n = 0; n < g.batch; ++n) {
    const float* xn = x + n * g.inH * g.inW * C;
    for (int64_t oy = 0; oy < g.outH; ++oy) {
      for (int64_t ox = 0; ox < g.outW; ++ox) {
        float* out = y + ((n * g.outH + oy) * g.outW + ox) * C;
        for (int64_t c = 0; c < C; ++c) out[c] = 0.0f;
        int64_t count = 0;
        for (int64_t ky = 0; ky < g.kH; ++ky) {
          const int64_t iy = oy * g.strideH - g.padTop + ky;
          if (iy < 0 || iy >= g.inH) continue;
          for (int64_t kx = 0; kx < g.kW; ++kx) {
            const int64_t ix = ox * g.strideW - g.padLeft + kx;
            if (ix < 0 || ix >= g.inW) continue;
            const float* pixel = xn + (iy * g.inW + ix) * C;
            for (int64_t c = 0; c < C; ++c) out[c] += pixel[c] * inputScale;
            ++count;
          }
        }
        const float divisor = static_cast<float>(count);
        for (int64_t c = 0; c < C; ++c) out[c] = out[c] / divisor;
      }
    }
  }
}

void global_sum_pool2d_f32_reference(const float* x, int64_t batch, int64_t h, int64_t w, int64_t c, float* y) {
  for (int64_t n = 0; n < batch; ++n) {
    float* out = y + n * c;
    for (int64_t k = 0; k < c; ++k) out[k] = 0.0f;
    const float* xn = x + n * h * w * c;
    for (int64_t p = 0; p < h * w; ++p)
      for (int64_t k = 0; k < c; ++k) out[k] += xn[p * c + k];
  }
}

void channel_affine_f32_reference(const float* x, int64_t rows, int64_t channels, const float* scale,
                                  const float* offset, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * channels;
    float* yr = y + r * channels;
    for (int64_t c = 0; c < channels; ++c) {
      const float scaled = xr[c] * scale[c];
      yr[c] = scaled + offset[c];
    }
  }
}

}  // namespace qkw
