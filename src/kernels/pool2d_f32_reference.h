// Plain reference kernels for pooling over NHWC float32 tensors, as TF's AvgPool / MaxPool and
// the reduce ops behind global pooling. One implementation serves both QKeras's pooling layers
// and Keras's (1D pooling runs with height 1). Padding is implicit: windows are clipped to the
// input, and padded cells take part in neither the max nor the divisor.
#pragma once
#include <cstdint>

#include "kernels/conv2d_f32_reference.h"

namespace qkw {

// y = (sum over the window's valid cells of x*inputScale) / count, count = number of valid
// (non-padded) cells: TF's "SAME" average pool leaves padding out of the divisor, and divides
// rather than multiplying by 1/n. The window sum runs from 0.0f over ky then kx ascending.
// inputScale multiplies each input first (QAveragePooling2D computes AvgPool(x * pool_area));
// pass 1 for plain pooling (x*1 is exact). The geometry's dilation is ignored (pools have none).
void avg_pool2d_f32_reference(const float* x, const Conv2DGeometry& g, float inputScale, float* y);

// Max over the valid cells of each window. TF's CPU kernel (and oneDNN's) starts from the lowest
// finite float, not -inf: a window of only -inf values yields -FLT_MAX there, and so here.
void max_pool2d_f32_reference(const float* x, const Conv2DGeometry& g, float* y);

// y[n][c] = sum over (h, w) in row-major order of x[n][h][w][c], from 0.0f.
void global_sum_pool2d_f32_reference(const float* x, int64_t batch, int64_t h, int64_t w, int64_t c, float* y);

// y[n][c] = max over positions of x[n][p][c], starting from -inf (TF's reduce_max identity).
void global_max_pool_f32_reference(const float* x, int64_t batch, int64_t positions, int64_t channels, float* y);

// y[n][c] = (the global sum above) / float(positions): TF's reduce_mean is a sum followed by a
// division by the element count.
void global_avg_pool_f32_reference(const float* x, int64_t batch, int64_t positions, int64_t channels, float* y);

}  // namespace qkw
