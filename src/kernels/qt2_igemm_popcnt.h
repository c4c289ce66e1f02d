// Integer GEMM on ternary codes {-1, 0, +1} (binary ±1 is the zero-free case) held as bit-planes,
// through an indirection buffer like qs16_igemm_4x8c2__dot16x2 (conv2d, 1x1 and dense share it),
// with the same float32 epilogue:
//
//   y[m][n] = float(acc[m][n]) * scale[n]   (+ bias[n] when bias is given, as a second rounded op)
//   acc[m][n] = sum over taps t < ks and k < kcIn of a(m, t)[k] * w[t][k][n]     (exact int32)
//
// A code v is two bits: nz = (v != 0), neg = (v < 0). With m = nzA & nzW and x = negA ^ negW the
// product a * w is 0 where m is 0, else +1 or -1 as x is 0 or 1, so
//   sum a*w = popcount(m) - 2 * popcount(m & x)                           (qt2: and + popcount)
// and where every a and w is ±1 m is all ones:
//   sum a*w = kcIn * ks - 2 * popcount(negA ^ negW)                         (qb1: xor + popcount)
// Bits past kcIn are 0 in both planes of both operands, so they count in neither sum (for qb1,
// x is 0 there and kcIn counts only real channels). The zero pixel 'same' padding taps read has
// nz = 0 and neg = 0: it adds exactly 0 in qt2; qb1 reads it as +1 codes, so a padding tap t adds
// sum_k w[t][k][n], which the epilogue subtracts again (tapSums, exact integers).
//
// Layouts. Input rows: per pixel 2 * kcb bytes, kcb = ceil(kcIn / 8): the nz plane, then the neg
// plane; bit b of byte k is channel 8k + b. Weights are packed once (qt2_pack_igemm_weights): per
// block of 16 output channels, per tap, per byte k: 16 nz bytes then 16 neg bytes, byte j holding
// channel j's bits for input channels 8k..8k+7. The microkernel broadcasts one input byte to all
// 16 lanes, so one and/xor + i8x16.popcnt does 8 input channels x 16 output channels; the per-byte
// counts (<= 8) add up in u8 lanes for up to 31 bytes before they are widened into int32.
//
// The epilogue is exact for callers that proved |partial sums| < 2^24 and scale[n] a power of two
// (src/layers/integer_path.h).
#pragma once
#include <cstdint>
#include <vector>

namespace qkw {

constexpr int kQt2GemmNR = 16;  // output channels per microkernel tile

struct Qt2PackedWeights {
  int64_t n = 0;     // output channels
  int64_t ks = 0;    // taps
  int64_t kcIn = 0;  // input channels per tap
  int64_t kcb = 0;   // bytes per plane per tap row: ceil(kcIn / 8)
  bool binary = false;  // every weight code is ±1 (the qb1 inner loop may run)
  std::vector<uint8_t> data;
  std::vector<int32_t> tapSums;  // per block of 16 channels, per tap: sum_k codes[t][k][n] (qb1 padding)
};

// codes: (ks, kcIn, n) row-major, every value in {-1, 0, 1} (the caller checked).
Qt2PackedWeights qt2_pack_igemm_weights(const int16_t* codes, int64_t ks, int64_t kcIn, int64_t n);

// Rows [0, m) of y (row stride ldy floats). base + offsets[r * ks + t] is row r's tap-t input
// (2 * kcb bytes). zeroOffset: the offset of the zero pixel padding taps read (-1: none).
// inputBinary: the input rows hold no zero code (f32_to_qt2_planes said so); then, when the weights
// are binary too, the qb1 xor loop runs, else the qt2 and loop.
void qt2_igemm_4x16c8__popcnt(int64_t m, const uint8_t* base, const int32_t* offsets, int32_t zeroOffset,
                              bool inputBinary, const Qt2PackedWeights& w, const float* scale, const float* bias,
                              float* y, int64_t ldy);

// The two inner loops on their own (benchmarks and tests): qt2 reads any rows (padding included:
// its nz plane is 0); qb1 needs binary weights and zero-free rows apart from the zero pixel.
void qt2_igemm_4x16c8__and_popcnt(int64_t m, const uint8_t* base, const int32_t* offsets, const Qt2PackedWeights& w,
                                  const float* scale, const float* bias, float* y, int64_t ldy);
void qb1_igemm_4x16c8__xor_popcnt(int64_t m, const uint8_t* base, const int32_t* offsets, int32_t zeroOffset,
                                  const Qt2PackedWeights& w, const float* scale, const float* bias, float* y,
                                  int64_t ldy);

// Input planes: for `pixels` rows of `channels` floats, writes rows of 2 * ceil(channels / 8)
// bytes (nz plane, neg plane; bits past `channels` zero). Returns false as soon as a value is not
// exactly -step, 0 or +step with lo <= code <= hi (off the grid, NaN, infinite): the caller then
// runs another path. *anyZero tells whether some code was 0 (-0.0 is code 0).
bool f32_to_qt2_planes(const float* x, int64_t pixels, int64_t channels, float step, int32_t lo, int32_t hi,
                       uint8_t* planes, bool* anyZero);

// The int16 codes of plane rows (tests: the reference twin of the kernels is qs16_igemm_reference
// on these codes).
void qt2_planes_to_codes(const uint8_t* planes, int64_t pixels, int64_t channels, int16_t* codes,
                         int64_t codeStride);

}  // namespace qkw
