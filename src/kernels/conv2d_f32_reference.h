// Plain reference kernels for TF's conv2d (with groups), depthwise_conv2d and
// conv2d_transpose, NHWC activations and Keras kernel layouts. Conv1D runs as a conv2d of
// height 1.
//
// Summation order (documented because float sums depend on it): every output value starts
// from 0 and adds products over the kernel window in row-major order (ky, then kx), and within
// one window position over the input channels in ascending order, i.e. the order of the Keras
// kernel layout (kh, kw, in, ...). Padded positions contribute nothing. The bias is added to
// the finished sum (bias_add is a separate op in TF).
#pragma once
#include <cstdint>

namespace qkw {

struct Conv2DGeometry {
  int64_t batch = 1;
  int64_t inH = 1, inW = 1, inC = 1;
  int64_t outH = 1, outW = 1;
  int64_t kH = 1, kW = 1;
  int64_t strideH = 1, strideW = 1;
  int64_t dilationH = 1, dilationW = 1;
  int64_t padTop = 0, padLeft = 0;  // padding before the first row / column
};

// TF "SAME" padding for one spatial axis: total = max((ceil(in/s)-1)*s + (k-1)*d + 1 - in, 0),
// before = total / 2 (the extra row/column goes after). Returns the output length.
int64_t samePadding(int64_t in, int64_t k, int64_t stride, int64_t dilation, int64_t* padBefore);
// "VALID": floor((in - (k-1)*d - 1) / s) + 1, or 0 when the window does not fit.
int64_t validOutputLength(int64_t in, int64_t k, int64_t stride, int64_t dilation);

// kernel: (kH, kW, inC/groups, filters). Filter f reads input channels
// [g*inC/groups, (g+1)*inC/groups) with g = f / (filters/groups).
void conv2d_f32_reference(const float* x, const Conv2DGeometry& g, const float* kernel, int64_t filters,
                          int64_t groups, const float* bias, float* y);

// kernel: (kH, kW, inC, depthMultiplier). Output channel c*dm + j reads input channel c with
// multiplier j (TF's depthwise layout).
void depthwise_conv2d_f32_reference(const float* x, const Conv2DGeometry& g, const float* kernel,
                                    int64_t depthMultiplier, const float* bias, float* y);

// Transposed conv (TF conv2d_backprop_input). kernel: (kH, kW, filters, inC). The geometry's
// outH/outW are the transposed output size and padTop/padLeft the padding of the matching
// forward conv (output (oy, ox) receives input (iy, ix) through tap (ky, kx) when
// oy = iy*strideH - padTop + ky*dilationH). Each output sums over ky, kx, then input
// channels, in ascending order.
void conv2d_transpose_f32_reference(const float* x, const Conv2DGeometry& g, const float* kernel, int64_t filters,
                                    const float* bias, float* y);

}  // namespace qkw
