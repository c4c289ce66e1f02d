// Integer GEMM through an indirection buffer (conv2d, 1x1 conv and dense share it), int16 codes,
// int32 accumulation with the dot16x2 instruction (i32x4.dot_i16x8_s in wasm, pmaddwd natively),
// and a float32 epilogue:
//
//   y[m][n] = float(acc[m][n]) * scale[n]   (+ bias[n] when bias is given, as a second rounded op)
//   acc[m][n] = sum over taps t < ks and k < kc of a(m, t)[k] * w[t][k][n]     (exact int32)
//   a(m, t) = base + offsets[m * ks + t]: kc int16 codes (one input pixel's channels, or a zero row)
//
// The epilogue is written for callers that proved |partial sums| < 2^24 and scale[n] a power of
// two: then float(acc) is exact and so is the product, which is what makes it equal to a float32
// sum computed in any order (see src/layers/integer_path.h).
//
// Microkernel qs16_igemm_MRx8c2__dot16x2: MR output rows x 8 output channels, kc consumed two
// channels at a time: a row's two codes are broadcast as one 32-bit lane and multiplied with
// the packed weights [n0 k0, n0 k1, n1 k0, n1 k1, ...] so each dot lane adds two products for
// one output channel. Weights are packed once (qs16_pack_igemm_weights) in that order.
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/conv2d_f32_reference.h"

namespace qkw {

constexpr int kQs16GemmNR = 8;  // output channels per microkernel tile

// Weights packed for the microkernel: for each block of 8 output channels, for each tap, for each
// pair of input channels: 8 x 2 int16. Channels past n and the odd kc tail are zero.
struct Qs16PackedWeights {
  int64_t n = 0;   // output channels
  int64_t ks = 0;  // taps
  int64_t kc = 0;  // codes per tap row, even (the caller pads rows to it)
  std::vector<int16_t> data;
};

// codes: (ks, kcIn, n) row-major (Keras's (kh, kw, in, out) kernel layout); kc = kcIn rounded up
// to even.
Qs16PackedWeights qs16_pack_igemm_weights(const int16_t* codes, int64_t ks, int64_t kcIn, int64_t n);

// Rows [0, m) of y (row stride ldy floats). scale: n values; bias: n values or nullptr.
void qs16_igemm_4x8c2__dot16x2(int64_t m, const int16_t* base, const int32_t* offsets, const Qs16PackedWeights& w,
                               const float* scale, const float* bias, float* y, int64_t ldy);

// The reference twin: plain loops over the unpacked codes (ks, kcIn, n), same contract
// (rows a(m, t) hold at least kcIn codes).
void qs16_igemm_reference(int64_t m, const int16_t* base, const int32_t* offsets, int64_t ks, int64_t kcIn,
                          const int16_t* codes, int64_t n, const float* scale, const float* bias, float* y,
                          int64_t ldy);

// The indirection offsets the kernels read for a conv window walk over one image: for output
// pixel p and tap t (ky, kx), the offset (in codes) of input pixel (iy, ix) with `channelStride`
// codes per pixel, or of the zero pixel at index inH*inW for taps on padding.
std::vector<int32_t> qs16_conv_indirection(const Conv2DGeometry& g, int64_t channelStride);

// The ISA the optimized kernels were compiled for: "wasmsimd" or "sse41".
const char* qs16KernelIsa();

// Input codes: for `pixels` rows of `channels` floats, writes rows of `paddedChannels` int16
// codes x / step (zeros in the padding). Returns false as soon as a value is not exactly
// code * step with lo <= code <= hi (off the grid, NaN, infinite): the caller then runs its
// float path. step is a power of two and invStep = 1 / step.
bool f32_to_qs16_codes__simd(const float* x, int64_t pixels, int64_t channels, int64_t paddedChannels, float step,
                             float invStep, int32_t lo, int32_t hi, int16_t* codes);
bool f32_to_qs16_codes_reference(const float* x, int64_t pixels, int64_t channels, int64_t paddedChannels, float step,
                                 int32_t lo, int32_t hi, int16_t* codes);

// Depthwise conv2d (multiplier 1) on int16 codes: y[p][c] = float(sum_t a(p, t)[c] * w[t][c]) *
// scale[c] (+ bias[c]); w: (ks, channels) codes; rows a(p, t) = base + offsets[p * ks + t] hold
// `channels` codes. extmul (i32x4.extmul_*_i16x8_s) products, int32 sums.
void qs16_dwconv2d_8c__extmul(int64_t pixels, const int16_t* base, const int32_t* offsets, int64_t ks,
                              const int16_t* w, int64_t channels, const float* scale, const float* bias, float* y);
void qs16_dwconv2d_reference(int64_t pixels, const int16_t* base, const int32_t* offsets, int64_t ks,
                             const int16_t* w, int64_t channels, const float* scale, const float* bias, float* y);

}  // namespace qkw
