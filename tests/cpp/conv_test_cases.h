// The conv2d test case shape shared by the reference and SIMD kernel tests, and the geometry
// the kernels get for it (TF's "SAME" / "VALID" rules).
#pragma once
#include <cstdint>

#include "kernels/conv2d_f32_reference.h"

namespace qkw::conv_test {

struct ConvCase {
  int64_t batch, h, w, c, kh, kw, f, sh, sw, dh, dw, groups;
  bool same;
};

inline Conv2DGeometry geometryOf(const ConvCase& k) {
  Conv2DGeometry g;
  g.batch = k.batch;
  g.inH = k.h;
  g.inW = k.w;
  g.inC = k.c;
  g.kH = k.kh;
  g.kW = k.kw;
  g.strideH = k.sh;
  g.strideW = k.sw;
  g.dilationH = k.dh;
  g.dilationW = k.dw;
  if (k.same) {
    g.outH = samePadding(k.h, k.kh, k.sh, k.dh, &g.padTop);
    g.outW = samePadding(k.w, k.kw, k.sw, k.dw, &g.padLeft);
  } else {
    g.outH = validOutputLength(k.h, k.kh, k.sh, k.dh);
    g.outW = validOutputLength(k.w, k.kw, k.sw, k.dw);
  }
  return g;
}

}  // namespace qkw::conv_test
