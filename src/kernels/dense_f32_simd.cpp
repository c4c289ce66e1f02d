#include "kernels/dense_f32_simd.h"

#include <algorithm>

#include "kernels/channel_block_f32_simd.h"

namespace qkw {

using namespace simd_detail;

namespace {

// The kernel is read in slabs of this many input rows: each slab is a few KB of contiguous
// memory that all channel blocks walk through while it is in L1, so large kernels stream
// through memory in order instead of once per channel block with a large stride.
constexpr int64_t kInputsPerSlab = 16;

template <int R, int VMain>
void denseRows(const float* x, int64_t in, const float* kernel, int64_t units, const float* bias, float* y) {
  for (int64_t i0 = 0; i0 < in; i0 += kInputsPerSlab) {
    const int64_t count = std::min(kInputsPerSlab, in - i0);
    const bool first = i0 == 0, last = i0 + count == in;
    const SumPart part = first && last ? SumPart::Whole : first ? SumPart::First : last ? SumPart::Last : SumPart::Middle;
    const float* slab = kernel + i0 * units;
    const Taps taps{&i0, &slab, 1};
    accumulateAllChannels<R, VMain>(x, taps, count, in, units, bias, y, units, part);
  }
}

}  // namespace

void dense_f32_simd(const float* x, int64_t rows, int64_t in, const float* kernel, int64_t units, const float* bias,
                    float* y) {
  if (in == 0) {  // no slab: the sums are empty
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t u = 0; u < units; ++u) y[r * units + u] = bias ? 0.0f + bias[u] : 0.0f;
    return;
  }
  int64_t r = 0;
  for (; r + kPixelsPerBlock <= rows; r += kPixelsPerBlock)
    denseRows<kPixelsPerBlock, kVectorsMultiPixel>(x + r * in, in, kernel, units, bias, y + r * units);
  for (; r < rows; ++r) denseRows<1, kVectorsSinglePixel>(x + r * in, in, kernel, units, bias, y + r * units);
}

}  // namespace qkw
