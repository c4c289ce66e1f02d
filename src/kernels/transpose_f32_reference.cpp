#include "kernels/transpose_f32_reference.h"

#include <array>

namespace qkw::kernels {

void transposeF32Reference(const Shape& inShape, const std::vector<int>& permutation, const float* input,
                           float* output) {
  const size_t rank = inShape.size();
  std::array<int64_t, kMaxTransposeRank> inStrides{};
  int64_t stride = 1;
  for (size_t i = rank; i-- > 0;) {
    inStrides[i] = stride;
    stride *= inShape[i];
  }
  // Walk the output in row-major order, stepping through the input with permuted strides.
  std::array<int64_t, kMaxTransposeRank> outShape{};
  std::array<int64_t, kMaxTransposeRank> strideForOutAxis{};
  for (size_t i = 0; i < rank; ++i) {
    outShape[i] = inShape[permutation[i]];
    strideForOutAxis[i] = inStrides[permutation[i]];
  }
  const int64_t total = numElements(inShape);
  std::array<int64_t, kMaxTransposeRank> index{};
  int64_t inOffset = 0;
  for (int64_t o = 0; o < total; ++o) {
    output[o] = input[inOffset];
    for (size_t axis = rank; axis-- > 0;) {
      if (++index[axis] < outShape[axis]) {
        inOffset += strideForOutAxis[axis];
        break;
      }
      inOffset -= strideForOutAxis[axis] * (outShape[axis] - 1);
      index[axis] = 0;
    }
  }
}

}  // namespace qkw::kernels
