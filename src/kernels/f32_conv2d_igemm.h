// Float32 conv2d (NHWC input, HWIO kernel, groups 1) as an implicit GEMM over a zero-padded
// copy of the input: f32_conv2d_igemm_4x8__simd computes tiles of MR output pixels x NR output
// channels in SIMD registers, NR/4 vectors of 4 lanes, one lane per output channel.
//
//   y[p][n] = (sum over k of a(p)[k] * w[k][n]) + bias[n]
//   k runs over the window in the reference order: ky, then kx, then input channel, ascending.
//
// Exactness (bit-identical to conv2d_f32_reference): each lane computes one output element with
// the reference's sequence: start at +0, add x*w (product rounded, then sum rounded; never fused)
// for k ascending, then add the bias. The tile only chooses which elements share registers, never
// the order of one element's adds. The reference skips taps on padding; here they read 0 from
// the padded copy and add 0*w. That changes nothing when w is finite: 0*w is +-0, and a sum that
// starts at +0 is never -0 (x + y rounds to -0 only when both are -0), so s + (+-0) == s
// bit for bit, NaN and infinities included. Callers therefore use this kernel only when every
// weight is finite (f32_conv2d_weights_finite); otherwise conv2d_f32_simd runs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/conv2d_f32_reference.h"

namespace qkw {

// Output channels per tile and output pixels per tile of the shipped microkernel.
// 4x8 measured fastest in Node 20 on the (A) CNN's shapes (21.5-22 GMAC/s against a 23.5 GMAC/s
// f32x4 mul+add peak; 2x16 ties, 3x8 is 7% slower, 5x8, 6x8 and 3x12 spill registers in V8).
constexpr int kF32ConvNR = 8;
constexpr int kF32ConvMR = 4;
// The ISA the kernel was compiled for: "wasmsimd" or "sse41".
extern const char* const kF32ConvIsa;

// The kernel repacked for the microkernel: for each block of NR output channels, the (kH*kW*inC)
// rows of NR weights in k order; channels past `filters` are 0 (their lanes are never stored).
struct F32ConvPackedWeights {
  int64_t filters = 0;
  int64_t k = 0;  // kH * kW * inC
  std::vector<float> data;
};

F32ConvPackedWeights f32_conv2d_pack_weights(const float* kernel, int64_t kH, int64_t kW, int64_t inC,
                                             int64_t filters);

// Whether every weight is finite: the condition under which padded taps may be read as zeros.
bool f32_conv2d_weights_finite(const float* kernel, int64_t count);

// Floats of scratch one call needs (the padded image; 0 when the conv has no padding).
int64_t f32_conv2d_igemm_scratch(const Conv2DGeometry& g);

// Called after each chunk of output pixels is complete (rows [first, first + count) of the batch's
// outputs, `filters` floats each), while they are in cache: the fused epilogue.
struct F32ConvEpilogue {
  void (*fn)(void* context, float* rows, int64_t count) = nullptr;
  void* context = nullptr;
};

// Same contract as conv2d_f32_reference with groups 1 (kernel given packed), for finite weights.
// scratch: f32_conv2d_igemm_scratch(g) floats (may be nullptr when that is 0).
void f32_conv2d_igemm_4x8__simd(const float* x, const Conv2DGeometry& g, const F32ConvPackedWeights& w,
                                const float* bias, float* y, float* scratch, F32ConvEpilogue epilogue = {});


}  // namespace qkw
