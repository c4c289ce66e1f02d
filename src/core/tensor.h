// Dense float32 tensors in Keras layout (row-major, channels_last, batch first
// for activations; Keras kernel layouts for weights).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qkw {

using Shape = std::vector<int64_t>;

inline int64_t numElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shapeToString(const Shape& shape);

struct Tensor {
  Shape shape;
  std::vector<float> data;

  Tensor() = default;
  explicit Tensor(Shape s) : shape(std::move(s)), data(static_cast<size_t>(numElements(shape)), 0.0f) {}
  Tensor(Shape s, std::vector<float> d) : shape(std::move(s)), data(std::move(d)) {}

  int64_t size() const { return static_cast<int64_t>(data.size()); }
  int rank() const { return static_cast<int>(shape.size()); }
};

}  // namespace qkw
