// Dense float32 tensors in Keras layout (row-major, channels_last, batch first
// for activations; Keras kernel layouts for weights).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qkw {

using Shape = std::vector<int64_t>;

std::string shapeToString(const Shape& shape);

// The product of the dimensions. Throws qkw::Error (naming the shape) on a negative dimension
// or when the product overflows 64 bits, so a hostile shape can never wrap to a small count.
int64_t numElements(const Shape& shape);

struct Tensor {
  Shape shape;
  std::vector<float> data;

  Tensor() = default;
  // Throws qkw::Error when the shape's element count does not fit in size_t (32-bit WASM).
  explicit Tensor(Shape s);
  Tensor(Shape s, std::vector<float> d) : shape(std::move(s)), data(std::move(d)) {}

  int64_t size() const { return static_cast<int64_t>(data.size()); }
  int rank() const { return static_cast<int>(shape.size()); }
};

}  // namespace qkw
