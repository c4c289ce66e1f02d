#include "kernels/broadcast_merge_f32_reference.h"

#include <array>
#include <cmath>

namespace qkw::kernels {

namespace {

// Calls f(outIndex, inIndex) over the output in row-major order; stretched input axes have
// stride 0.
template <typename F>
void forEachBroadcast(const Shape& outShape, const Shape& inShape, F f) {
  const int64_t total = numElements(outShape);
  if (inShape == outShape) {
    for (int64_t o = 0; o < total; ++o) f(o, o);
    return;
  }
  const size_t rank = outShape.size();
  const size_t inserted = rank - inShape.size();
  std::array<int64_t, kMaxMergeRank> inStrides{};
  int64_t stride = 1;
  for (size_t i = rank; i-- > 0;) {
    if (i >= 1 && i < 1 + inserted) continue;  // inserted size-1 axis
    const int64_t inSize = inShape[i == 0 ? 0 : i - inserted];
    inStrides[i] = (inSize == 1) ? 0 : stride;
    stride *= inSize;
  }
  std::array<int64_t, kMaxMergeRank> index{};
  int64_t inOffset = 0;
  for (int64_t o = 0; o < total; ++o) {
    f(o, inOffset);
    for (size_t axis = rank; axis-- > 0;) {
      if (++index[axis] < outShape[axis]) {
        inOffset += inStrides[axis];
        break;
      }
      inOffset -= inStrides[axis] * (outShape[axis] - 1);
      index[axis] = 0;
    }
  }
}

float maximumPropagatingNan(float a, float b) {
  if (std::isnan(a)) return a;
  if (std::isnan(b)) return b;
  return (a < b) ? b : a;
}

float minimumPropagatingNan(float a, float b) {
  if (std::isnan(a)) return a;
  if (std::isnan(b)) return b;
  return (b < a) ? b : a;
}

}  // namespace

void broadcastCopyF32Reference(const Shape& outShape, float* output, const Shape& inShape, const float* input) {
  forEachBroadcast(outShape, inShape, [&](int64_t o, int64_t i) { output[o] = input[i]; });
}

void broadcastMergeF32Reference(MergeOp op, const Shape& outShape, float* output, const Shape& inShape,
                                const float* input) {
  switch (op) {
    case MergeOp::Add:
      forEachBroadcast(outShape, inShape, [&](int64_t o, int64_t i) { output[o] = output[o] + input[i]; });
      break;
    case MergeOp::Subtract:
      forEachBroadcast(outShape, inShape, [&](int64_t o, int64_t i) { output[o] = output[o] - input[i]; });
      break;
    case MergeOp::Multiply:
      forEachBroadcast(outShape, inShape, [&](int64_t o, int64_t i) { output[o] = output[o] * input[i]; });
      break;
    case MergeOp::Maximum:
      forEachBroadcast(outShape, inShape,
                       [&](int64_t o, int64_t i) { output[o] = maximumPropagatingNan(output[o], input[i]); });
      break;
    case MergeOp::Minimum:
      forEachBroadcast(outShape, inShape,
                       [&](int64_t o, int64_t i) { output[o] = minimumPropagatingNan(output[o], input[i]); });
      break;
  }
}

}  // namespace qkw::kernels
