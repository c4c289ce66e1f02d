// Shapes shared by the kernel benchmarks.
#pragma once
#include <cstdint>

#include "kernels/conv2d_f32_reference.h"

namespace qkw {

// A stride-1 'same' conv of a hw x hw x c image with a k x k kernel.
inline Conv2DGeometry sameConvGeometry(int64_t hw, int64_t c, int64_t k) {
  Conv2DGeometry g;
  g.inH = g.inW = hw;
  g.inC = c;
  g.kH = g.kW = k;
  g.outH = samePadding(hw, k, 1, 1, &g.padTop);
  g.outW = samePadding(hw, k, 1, 1, &g.padLeft);
  return g;
}

}  // namespace qkw
