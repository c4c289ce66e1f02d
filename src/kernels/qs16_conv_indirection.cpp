// qs16_conv_indirection (qs16_igemm_dot16x2.h): the offsets the integer conv kernels read, built
// once per layer at prepare time (not an inner loop: the WASM build compiles it for size).
#include <cstddef>

#include "kernels/qs16_igemm_dot16x2.h"

namespace qkw {

std::vector<int32_t> qs16_conv_indirection(const Conv2DGeometry& g, int64_t channelStride) {
  const int64_t ks = g.kH * g.kW;
  const int64_t zero = g.inH * g.inW * channelStride;
  std::vector<int32_t> offsets(static_cast<size_t>(g.outH * g.outW * ks));
  int32_t* o = offsets.data();
  for (int64_t oy = 0; oy < g.outH; ++oy)
    for (int64_t ox = 0; ox < g.outW; ++ox)
      for (int64_t ky = 0; ky < g.kH; ++ky)
        for (int64_t kx = 0; kx < g.kW; ++kx) {
          const int64_t iy = oy * g.strideH - g.padTop + ky * g.dilationH;
          const int64_t ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
          const bool inside = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW;
          *o++ = static_cast<int32_t>(inside ? (iy * g.inW + ix) * channelStride : zero);
        }
  return offsets;
}

}  // namespace qkw
