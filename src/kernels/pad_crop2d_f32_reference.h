// Places an NHWC image into a differently sized one at an offset: positive offsets pad with
// zeros (ZeroPadding), negative ones cut rows/columns away (Cropping).
#pragma once
#include <cstdint>

namespace qkw::kernels {

struct PadCrop2dGeometry {
  int64_t batch = 0;
  int64_t inHeight = 0;
  int64_t inWidth = 0;
  int64_t channels = 0;
  int64_t outHeight = 0;
  int64_t outWidth = 0;
  int64_t offsetTop = 0;   // output row of input row 0 (negative when cropping)
  int64_t offsetLeft = 0;
};

// output[n, h, w, c] = input[n, h - offsetTop, w - offsetLeft, c] inside the input, else 0.
void padCrop2dF32Reference(const PadCrop2dGeometry& g, const float* input, float* output);

}  // namespace qkw::kernels
