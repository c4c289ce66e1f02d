// Windowed max / average pooling over NHWC float32 tensors for Keras's MaxPooling and
// AveragePooling layers (1D pooling runs with height 1), matching TF's CPU MaxPool / AvgPool
// kernels. Padding is implicit: windows are clipped to the input.
#pragma once
#include <cstdint>

namespace qkw::kernels {

struct Pool2dGeometry {
  int64_t batch = 0;
  int64_t inHeight = 0;
  int64_t inWidth = 0;
  int64_t channels = 0;
  int64_t poolHeight = 1;
  int64_t poolWidth = 1;
  int64_t strideHeight = 1;
  int64_t strideWidth = 1;
  int64_t padTop = 0;   // rows of padding before the first input row ('same' only)
  int64_t padLeft = 0;
  int64_t outHeight = 0;
  int64_t outWidth = 0;
};

// Max over the valid cells of each window. Padded cells never win, as with TF's -inf padding.
void maxPool2dF32Reference(const Pool2dGeometry& g, const float* input, float* output);

// Sum of the valid cells in row-major window order (from 0.0f), then divided by their count:
// TF's AvgPool excludes padded cells from the divisor and divides rather than multiplying by 1/n.
void avgPool2dF32Reference(const Pool2dGeometry& g, const float* input, float* output);

}  // namespace qkw::kernels
