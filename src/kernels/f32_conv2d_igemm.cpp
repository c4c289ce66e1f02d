#include "kernels/f32_conv2d_igemm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <xsimd/xsimd.hpp>

namespace qkw {

#ifdef __wasm_simd128__
const char* const kF32ConvIsa = "wasmsimd";
#else
const char* const kF32ConvIsa = "sse41";
#endif

namespace {

using FloatBatch = xsimd::batch<float>;
constexpr int kLanes = static_cast<int>(FloatBatch::size);
// Indices inside the hot loops are pointer-sized: 32-bit in wasm32, where int64_t would cost
// i64 arithmetic and a wrap per address.
using Index = std::ptrdiff_t;

// A run of k that is contiguous both in the padded input (from a pixel's window origin) and in
// the packed weights: one tap's inC channels, or a whole kernel row's kW*inC when dilationW is 1.
struct Segment {
  Index offset;  // floats from the window origin
  Index length;
};

// Padding of the copy: every window of every output pixel lies inside it.
struct PaddedImage {
  int64_t top = 0, left = 0, height = 0, width = 0;
  bool needed = false;
};

PaddedImage paddedImage(const Conv2DGeometry& g) {
  PaddedImage p;
  p.top = g.padTop;
  p.left = g.padLeft;
  const int64_t bottom = std::max<int64_t>(0, (g.outH - 1) * g.strideH + (g.kH - 1) * g.dilationH + 1 - g.inH - g.padTop);
  const int64_t right = std::max<int64_t>(0, (g.outW - 1) * g.strideW + (g.kW - 1) * g.dilationW + 1 - g.inW - g.padLeft);
  p.height = g.inH + p.top + bottom;
  p.width = g.inW + p.left + right;
  p.needed = p.top > 0 || p.left > 0 || bottom > 0 || right > 0;
  return p;
}

// MR pixels (window origins xr[0..MR)) x V vectors of output channels (V = 1 for a last block of
// at most 4 channels). w: the channel block's packed rows, kF32ConvNR floats per k. Each lane's
// sum runs over k in ascending order.
template <int MR, int V>
inline void tile(const float* const* xr, const Segment* segments, Index segmentCount, const float* w,
                 const float* bias, float* out, Index ldy, Index valid) {
  constexpr Index NR = V * kLanes;
  FloatBatch acc[MR][V];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < V; ++v) acc[r][v] = FloatBatch(0.0f);
  for (Index s = 0; s < segmentCount; ++s) {
    const Index length = segments[s].length;
    const float* p[MR];
    for (int r = 0; r < MR; ++r) p[r] = xr[r] + segments[s].offset;
    // Not unrolled: V8 then keeps the 8 accumulators, 2 weight vectors and the broadcast in
    // registers (unrolling by 2 or 4 measured 30% slower in Node 20).
    for (Index k = 0; k < length; ++k, w += kF32ConvNR) {
      FloatBatch wv[V];
      for (int v = 0; v < V; ++v) wv[v] = FloatBatch::load_unaligned(w + v * kLanes);
      for (int r = 0; r < MR; ++r) {
        const FloatBatch xv(p[r][k]);
        for (int v = 0; v < V; ++v) {
          const FloatBatch product = xv * wv[v];
          acc[r][v] = acc[r][v] + product;
        }
      }
    }
  }
  for (int r = 0; r < MR; ++r) {
    float* o = out + r * ldy;
    if (valid == NR) {
      for (int v = 0; v < V; ++v) (acc[r][v] + FloatBatch::load_unaligned(bias + v * kLanes)).store_unaligned(o + v * kLanes);
    } else {
      alignas(16) float buffer[NR];
      for (int v = 0; v < V; ++v) (acc[r][v] + FloatBatch::load_unaligned(bias + v * kLanes)).store_aligned(buffer + v * kLanes);
      std::memcpy(o, buffer, static_cast<size_t>(valid) * sizeof(float));
    }
  }
}

// `count` pixels of one channel block, MR at a time. The last partial tile (only at the end of an
// image) repeats its last pixel to fill MR rows and goes through a small buffer, so one tile
// shape serves every pixel count.
template <int MR, int V>
inline void tiles(Index count, const float* const* origins, const Segment* segments, Index segmentCount,
                  const float* w, const float* bias, float* out, Index ldy, Index valid) {
  Index i = 0;
  for (; i + MR <= count; i += MR) tile<MR, V>(origins + i, segments, segmentCount, w, bias, out + i * ldy, ldy, valid);
  if (i == count) return;
  const float* rest[MR];
  for (Index r = 0; r < MR; ++r) rest[r] = origins[std::min(i + r, count - 1)];
  constexpr Index NR = V * kLanes;
  float buffer[MR * NR];
  tile<MR, V>(rest, segments, segmentCount, w, bias, buffer, NR, NR);
  for (Index r = 0; i + r < count; ++r) std::memcpy(out + (i + r) * ldy, buffer + r * NR, static_cast<size_t>(valid) * sizeof(float));
}

// Output pixels per chunk: the epilogue runs on a chunk while it is in cache, and the origins of
// a chunk's pixels are computed once for all channel blocks.
constexpr Index kChunkPixels = 64;

}  // namespace

F32ConvPackedWeights f32_conv2d_pack_weights(const float* kernel, int64_t kH, int64_t kW, int64_t inC,
                                             int64_t filters) {
  F32ConvPackedWeights p;
  p.filters = filters;
  p.k = kH * kW * inC;
  const int64_t blocks = (filters + kF32ConvNR - 1) / kF32ConvNR;
  p.data.assign(static_cast<size_t>(blocks * p.k * kF32ConvNR), 0.0f);
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t k = 0; k < p.k; ++k)
      for (int64_t j = 0; j < kF32ConvNR && b * kF32ConvNR + j < filters; ++j)
        p.data[static_cast<size_t>((b * p.k + k) * kF32ConvNR + j)] = kernel[k * filters + b * kF32ConvNR + j];
  return p;
}

bool f32_conv2d_weights_finite(const float* kernel, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    if (!std::isfinite(kernel[i])) return false;
  return true;
}

int64_t f32_conv2d_igemm_scratch(const Conv2DGeometry& g) {
  const PaddedImage p = paddedImage(g);
  return p.needed ? p.height * p.width * g.inC : 0;
}

template <int MR, int V>
static void f32_conv2d_igemm_tiles(const float* x, const Conv2DGeometry& g, const F32ConvPackedWeights& w, const float* bias,
                      float* y, float* scratch, F32ConvEpilogue epilogue) {
  constexpr Index NR = V * kLanes;
  static_assert(NR == kF32ConvNR, "packing and microkernel disagree");
  const PaddedImage pad = paddedImage(g);
  const Index inC = static_cast<Index>(g.inC), filters = static_cast<Index>(w.filters);
  // Segments of k, in k order.
  std::vector<Segment> segments;
  for (int64_t ky = 0; ky < g.kH; ++ky) {
    if (g.dilationW == 1) {
      segments.push_back({static_cast<Index>(ky * g.dilationH * pad.width * g.inC), static_cast<Index>(g.kW * g.inC)});
      continue;
    }
    for (int64_t kx = 0; kx < g.kW; ++kx)
      segments.push_back({static_cast<Index>((ky * g.dilationH * pad.width + kx * g.dilationW) * g.inC), inC});
  }
  const Index segmentCount = static_cast<Index>(segments.size());
  const Index blocks = (filters + NR - 1) / NR;
  std::vector<float> paddedBias(static_cast<size_t>(blocks * NR), 0.0f);
  if (bias) std::copy(bias, bias + filters, paddedBias.begin());
  // Without a bias the reference adds nothing; +0 added to a sum that is never -0 is the identity.
  const Index pixels = static_cast<Index>(g.outH * g.outW);
  const float* origins[kChunkPixels];
  for (int64_t n = 0; n < g.batch; ++n) {
    const float* image = x + n * g.inH * g.inW * g.inC;
    if (pad.needed) {
      std::fill(scratch, scratch + pad.height * pad.width * g.inC, 0.0f);
      for (int64_t iy = 0; iy < g.inH; ++iy)
        std::memcpy(scratch + ((iy + pad.top) * pad.width + pad.left) * g.inC, image + iy * g.inW * g.inC,
                    static_cast<size_t>(g.inW * g.inC) * sizeof(float));
      image = scratch;
    }
    float* yn = y + n * pixels * filters;
    for (Index p0 = 0; p0 < pixels; p0 += kChunkPixels) {
      const Index count = std::min<Index>(kChunkPixels, pixels - p0);
      for (Index i = 0; i < count; ++i) {
        const Index oy = (p0 + i) / static_cast<Index>(g.outW), ox = (p0 + i) % static_cast<Index>(g.outW);
        origins[i] = image + (oy * g.strideH * pad.width + ox * g.strideW) * g.inC;
      }
      for (Index b = 0; b < blocks; ++b) {
        const float* wb = w.data.data() + b * w.k * NR;
        const float* bb = paddedBias.data() + b * NR;
        const Index valid = std::min<Index>(NR, filters - b * NR);
        float* out = yn + p0 * filters + b * NR;
        if (valid > kLanes)
          tiles<MR, V>(count, origins, segments.data(), segmentCount, wb, bb, out, filters, valid);
        else  // a last block of at most 4 channels: one vector (the packed rows keep their stride)
          tiles<MR, 1>(count, origins, segments.data(), segmentCount, wb, bb, out, filters, valid);
      }
      if (epilogue.fn) epilogue.fn(epilogue.context, yn + p0 * filters, count);
    }
  }
}

void f32_conv2d_igemm_4x8__simd(const float* x, const Conv2DGeometry& g, const F32ConvPackedWeights& w,
                                const float* bias, float* y, float* scratch, F32ConvEpilogue epilogue) {
  f32_conv2d_igemm_tiles<kF32ConvMR, kF32ConvNR / kLanes>(x, g, w, bias, y, scratch, epilogue);
}

}  // namespace qkw
