// conv2d (NHWC input, HWIO kernel) and depthwise_conv2d vectorized across output channels.
//
// Exactness: for a fixed window position and input channel, consecutive output channels'
// weights are contiguous (HWIO; depthwise (kh, kw, in, dm) flattened to c*dm + j), so each of
// the 4 lanes accumulates one output channel with the reference's exact sequence: start at 0,
// add x*w (multiply rounded, then add rounded, never fused) over ky, kx, input channel in
// ascending order, skipping padded taps, then add the bias. No lane mixes with another, so the
// results are bit-identical to conv2d_f32_reference / depthwise_conv2d_f32_reference.
// Several output pixels of a row share each weight load when their windows lie fully inside
// the input; that changes only which registers hold the sums, not any sum's order.
#pragma once
#include <cstdint>

#include "kernels/conv2d_f32_reference.h"

namespace qkw {

// Same contract as conv2d_f32_reference. groups > 1 runs the reference kernel.
void conv2d_f32_simd(const float* x, const Conv2DGeometry& g, const float* kernel, int64_t filters, int64_t groups,
                     const float* bias, float* y);

// Same contract as depthwise_conv2d_f32_reference. depthMultiplier > 1 runs the reference kernel
// (the input value then differs between neighbouring lanes' channels).
void depthwise_conv2d_f32_simd(const float* x, const Conv2DGeometry& g, const float* kernel, int64_t depthMultiplier,
                               const float* bias, float* y);

}  // namespace qkw
