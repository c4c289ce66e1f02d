#include "kernels/dense_f32_reference.h"

namespace qkw {

void dense_f32_reference(const float* x, int64_t rows, int64_t in, const float* kernel, int64_t units,
                         const float* bias, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * in;
    float* yr = y + r * units;
    for (int64_t u = 0; u < units; ++u) yr[u] = 0.0f;
    // Row-major over the kernel keeps each unit's sum in ascending i while reading memory in order.
    for (int64_t i = 0; i < in; ++i) {
      const float xi = xr[i];
      const float* w = kernel + i * units;
      for (int64_t u = 0; u < units; ++u) yr[u] += xi * w[u];
    }
    if (bias)
      for (int64_t u = 0; u < units; ++u) yr[u] = yr[u] + bias[u];
  }
}

}  // namespace qkw
