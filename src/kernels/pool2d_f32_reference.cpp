#include "kernels/pool2d_f32_reference.h"

#include <algorithm>
#include <limits>

#include "kernels/conv_window_taps.h"

namespace qkw {

namespace {

// Calls visit(pixel) for the valid input cells of output (oy, ox)'s window, ky then kx
// ascending; returns how many there were. Pooling windows have no dilation, whatever the
// geometry says.
template <typename Visit>
int64_t forEachPoolWindowCell(const float* image, const Conv2DGeometry& g, int64_t oy, int64_t ox, Visit visit) {
  Conv2DGeometry window = g;
  window.dilationH = window.dilationW = 1;
  int64_t count = 0;
  forEachForwardConvTap(window, oy, ox, [&](int64_t, int64_t pixelIndex) {
    visit(image + pixelIndex * g.inC);
    ++count;
  });
  return count;
}

}  // namespace

void avg_pool2d_f32_reference(const float* x, const Conv2DGeometry& g, float inputScale, float* y) {
  const int64_t C = g.inC;
  forEachOutputPixel(g, x, y, C, 0.0f, [&](const float* xn, int64_t oy, int64_t ox, float* out) {
    const int64_t count = forEachPoolWindowCell(xn, g, oy, ox, [&](const float* pixel) {
      for (int64_t c = 0; c < C; ++c) out[c] += pixel[c] * inputScale;
    });
    const float divisor = static_cast<float>(count);
    for (int64_t c = 0; c < C; ++c) out[c] = out[c] / divisor;
  });
}

void max_pool2d_f32_reference(const float* x, const Conv2DGeometry& g, float* y) {
  const float lowest = std::numeric_limits<float>::lowest();
  const int64_t C = g.inC;
  forEachOutputPixel(g, x, y, C, lowest, [&](const float* xn, int64_t oy, int64_t ox, float* out) {
    forEachPoolWindowCell(xn, g, oy, ox, [&](const float* pixel) {
      for (int64_t c = 0; c < C; ++c) out[c] = (out[c] < pixel[c]) ? pixel[c] : out[c];
    });
  });
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

void global_max_pool_f32_reference(const float* x, int64_t batch, int64_t positions, int64_t channels, float* y) {
  for (int64_t n = 0; n < batch; ++n) {
    float* out = y + n * channels;
    std::fill(out, out + channels, -std::numeric_limits<float>::infinity());
    for (int64_t p = 0; p < positions; ++p) {
      const float* in = x + (n * positions + p) * channels;
      for (int64_t c = 0; c < channels; ++c) out[c] = (out[c] < in[c]) ? in[c] : out[c];
    }
  }
}

void global_avg_pool_f32_reference(const float* x, int64_t batch, int64_t positions, int64_t channels, float* y) {
  global_sum_pool2d_f32_reference(x, batch, positions, 1, channels, y);
  const float count = static_cast<float>(positions);
  for (int64_t i = 0; i < batch * channels; ++i) y[i] = y[i] / count;
}

}  // namespace qkw
