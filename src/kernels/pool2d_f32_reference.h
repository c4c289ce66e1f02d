// Plain reference kernels for average pooling (NHWC), as TF's AvgPool and reduce ops.
#pragma once
#include <cstdint>

#include "kernels/conv2d_f32_reference.h"

namespace qkw {

// y = (sum over the window's valid cells of x*inputScale) / count, count = number of valid
// (non-padded) cells: TF's "SAME" average pool leaves padding out of the divisor. The window
// sum runs over ky then kx ascending. inputScale multiplies each input first (QAveragePooling2D
// computes AvgPool(x * pool_area)); pass 1 for plain pooling (x*1 is exact).
void avg_pool2d_f32_reference(const float* x, const Conv2DGeometry& g, float inputScale, float* y);

// y[n][c] = sum over (h, w) in row-major order of x[n][h][w][c].
void global_sum_pool2d_f32_reference(const float* x, int64_t batch, int64_t h, int64_t w, int64_t c, float* y);

// y[i][c] = x[i][c] * scale[c] + offset[c] (one multiply, then one add), c the last axis.
void channel_affine_f32_reference(const float* x, int64_t rows, int64_t channels, const float* scale,
                                  const float* offset, float* y);

}  // namespace qkw
