#include "kernels/concat_f32_reference.h"

#include <algorithm>

namespace qkw::kernels {

namespace {

int64_t trailingBlock(const Tensor& t, int axis) {
  int64_t block = 1;
  for (int k = axis; k < t.rank(); ++k) block *= t.shape[k];
  return block;
}

}  // namespace

void concatF32Reference(const std::vector<const Tensor*>& inputs, int axis, float* output) {
  int64_t outer = 1;
  for (int k = 0; k < axis; ++k) outer *= inputs[0]->shape[k];
  float* out = output;
  for (int64_t o = 0; o < outer; ++o) {
    for (const Tensor* t : inputs) {
      const int64_t block = trailingBlock(*t, axis);
      const float* in = t->data.data() + o * block;
      out = std::copy(in, in + block, out);
    }
  }
}

}  // namespace qkw::kernels
