#include "core/tensor.h"

#include "core/limits.h"

namespace qkw {

std::string shapeToString(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

int64_t numElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error("shape " + shapeToString(shape) + " has a negative dimension");
    if (__builtin_mul_overflow(n, d, &n))
      throw Error("shape " + shapeToString(shape) + ": element count overflows 64 bits");
  }
  return n;
}

Tensor::Tensor(Shape s) : shape(std::move(s)) {
  data.assign(toSizeT(numElements(shape), sizeof(float), "tensor of shape " + shapeToString(shape)), 0.0f);
}

}  // namespace qkw
