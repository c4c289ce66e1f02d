// Internal building block of dense_f32_simd and conv2d_f32_simd: output channels accumulated in
// float32 SIMD lanes, one lane per output channel, in the reference kernels' exact order (see
// dense_f32_simd.h for why that is bit-identical). Not a public kernel.
#pragma once
#include <cstdint>
#include <xsimd/xsimd.hpp>

namespace qkw::simd_detail {

using FloatBatch = xsimd::batch<float>;
constexpr int64_t kLanes = static_cast<int64_t>(FloatBatch::size);

// The taps of one output pixel's window that fall inside the input, in (ky, kx) order: where
// its input channels start (offset from the image's first element) and where its (inC, F)
// weight slice starts. Dense is a single tap.
struct Taps {
  const int64_t* xOffset;
  const float* const* weights;
  int64_t count;
};

// How a call continues a sum: Start from 0 and Finish with the bias (the whole sum in one call),
// or split the sum over consecutive calls; a partial sum parked in `out` is an exact float32,
// so splitting does not change any result.
enum class SumPart { Whole, First, Middle, Last };

// R output pixels (inputs pixelStride apart, outputs outStride apart) x V vectors of channels
// starting at f0. Each weight vector is loaded once and used for all R pixels.
template <int R, int V>
inline void accumulateChannelBlock(const float* x, const Taps& taps, int64_t inC, int64_t pixelStride, int64_t wStride,
                                   int64_t f0, const float* bias, float* out, int64_t outStride,
                                   SumPart part = SumPart::Whole) {
  const bool starts = part == SumPart::Whole || part == SumPart::First;
  const bool finishes = part == SumPart::Whole || part == SumPart::Last;
  FloatBatch acc[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v)
      acc[r][v] = starts ? FloatBatch(0.0f) : FloatBatch::load_unaligned(out + r * outStride + f0 + v * kLanes);
  for (int64_t t = 0; t < taps.count; ++t) {
    const float* xp = x + taps.xOffset[t];
    const float* wp = taps.weights[t] + f0;
    for (int64_t ci = 0; ci < inC; ++ci, wp += wStride) {
      FloatBatch w[V];
      for (int v = 0; v < V; ++v) w[v] = FloatBatch::load_unaligned(wp + v * kLanes);
      for (int r = 0; r < R; ++r) {
        const FloatBatch xv(xp[r * pixelStride + ci]);
        for (int v = 0; v < V; ++v) {
          const FloatBatch product = xv * w[v];
          acc[r][v] = acc[r][v] + product;
        }
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < V; ++v) {
      FloatBatch result = acc[r][v];
      if (bias && finishes) result = result + FloatBatch::load_unaligned(bias + f0 + v * kLanes);
      result.store_unaligned(out + r * outStride + f0 + v * kLanes);
    }
  }
}

// The channels [f0, f1) left over after the vector blocks (fewer than kLanes), in scalar code
// with the same operation sequence.
template <int R>
inline void accumulateChannelTail(const float* x, const Taps& taps, int64_t inC, int64_t pixelStride, int64_t wStride,
                                  int64_t f0, int64_t f1, const float* bias, float* out, int64_t outStride,
                                  SumPart part = SumPart::Whole) {
  const bool starts = part == SumPart::Whole || part == SumPart::First;
  const bool finishes = part == SumPart::Whole || part == SumPart::Last;
  for (int r = 0; r < R; ++r) {
    for (int64_t f = f0; f < f1; ++f) {
      float acc = starts ? 0.0f : out[r * outStride + f];
      for (int64_t t = 0; t < taps.count; ++t) {
        const float* xp = x + taps.xOffset[t] + r * pixelStride;
        const float* wp = taps.weights[t] + f;
        for (int64_t ci = 0; ci < inC; ++ci) {
          const float product = xp[ci] * wp[ci * wStride];
          acc = acc + product;
        }
      }
      if (bias && finishes) acc = acc + bias[f];
      out[r * outStride + f] = acc;
    }
  }
}

// All `channels` outputs of R pixels. VMain vectors per block while they fit, then single
// vectors, then the scalar tail.
template <int R, int VMain>
inline void accumulateAllChannels(const float* x, const Taps& taps, int64_t inC, int64_t pixelStride, int64_t channels,
                                  const float* bias, float* out, int64_t outStride, SumPart part = SumPart::Whole) {
  int64_t f = 0;
  for (; f + VMain * kLanes <= channels; f += VMain * kLanes)
    accumulateChannelBlock<R, VMain>(x, taps, inC, pixelStride, channels, f, bias, out, outStride, part);
  for (; f + kLanes <= channels; f += kLanes)
    accumulateChannelBlock<R, 1>(x, taps, inC, pixelStride, channels, f, bias, out, outStride, part);
  if (f < channels)
    accumulateChannelTail<R>(x, taps, inC, pixelStride, channels, f, channels, bias, out, outStride, part);
}

// Register budget (16 xmm registers on x86-64, which wasm engines also map v128 locals to):
// one pixel takes 4 vectors of accumulators; four pixels take 2 vectors each (8 accumulators,
// 2 weights, 1 broadcast input).
constexpr int kPixelsPerBlock = 4;
constexpr int kVectorsSinglePixel = 4;
constexpr int kVectorsMultiPixel = 2;

}  // namespace qkw::simd_detail
