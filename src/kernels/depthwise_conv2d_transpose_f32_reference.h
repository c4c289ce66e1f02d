// Plain reference kernel for QKeras's depthwise transposed convolution
// (QDepthwiseConv2DTranspose, and the depthwise stage of QSeparableConv2DTranspose), plus the
// output-size and padding arithmetic every transposed conv shares.
//
// QKeras runs these as one tf.keras.backend.conv2d_transpose per channel group and concatenates
// the results, so each group is an independent conv2d_transpose_f32_reference: the same
// summation order (ky, then kx, then the group's input channels ascending), padded positions
// contributing nothing.
#pragma once
#include <cstdint>

#include "kernels/conv2d_f32_reference.h"

namespace qkw {

// QKeras's deconv_output_length (qconvolutional.py) for padding "valid" / "same".
// outputPadding < 0 stands for None (the length is inferred):
//   None:  valid -> in*s + max(k_eff - s, 0), same -> in*s
//   given: (in-1)*s + k_eff - 2*pad + outputPadding, pad = k_eff//2 for same, 0 for valid
// with k_eff = k + (k-1)*(d-1).
int64_t deconvOutputLength(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same, int64_t outputPadding);

// Fills g.padTop / g.padLeft for a transposed conv whose in/out sizes, kernel, strides and
// dilation are already set: TF's conv2d_backprop_input pads as the forward conv from the
// output back to the input would (SAME: total = max((in-1)*s + k_eff - out, 0), before =
// total/2; VALID: nothing).
void setConv2DTransposePadding(Conv2DGeometry& g, bool same);

// kernel: (kH, kW, inC, groupSize), inC a multiple of groupSize. Group i (input channels
// [i*gs, (i+1)*gs)) is transposed-convolved with kernel[:, :, i*gs:(i+1)*gs, :] read in the
// conv2d_transpose layout (kh, kw, out, in): output channel i*gs + o sums
// x[i*gs + j] * kernel[ky, kx, i*gs + o, j]. The output has inC channels. No bias (QKeras's
// QDepthwiseConv2DTranspose never adds one).
void depthwise_conv2d_transpose_f32_reference(const float* x, const Conv2DGeometry& g, const float* kernel,
                                              int64_t groupSize, float* y);

}  // namespace qkw
