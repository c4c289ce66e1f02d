#include "layers/keras_merge.h"

#include "kernels/broadcast_merge_f32_reference.h"
#include "kernels/concat_f32_reference.h"
#include "layers/keras_common.h"

namespace qkw {

namespace {

using kernels::MergeOp;

enum class MergeKind { Add, Subtract, Multiply, Average, Maximum, Minimum };

std::string inputShapesToString(const std::vector<Shape>& shapes) {
  std::string s;
  for (size_t i = 0; i < shapes.size(); ++i) s += (i ? ", " : "") + shapeToString(shapes[i]);
  return s;
}

// Keras _Merge: inputs of lower rank get size-1 axes right after the batch axis, then numpy
// broadcasting applies (size 1 stretches, other sizes must be equal).
class ElementwiseMerge : public KerasLayer {
 public:
  ElementwiseMerge(const LayerContext& ctx, MergeKind kind) : KerasLayer(ctx), kind_(kind) {}

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (kind_ == MergeKind::Subtract) {
      if (inputShapes.size() != 2) fail("expects exactly 2 inputs, got " + std::to_string(inputShapes.size()));
    } else if (inputShapes.empty()) {
      fail("expects at least 1 input, got none");
    }
    Shape out = inputShapes[0];
    for (size_t i = 1; i < inputShapes.size(); ++i) {
      const Shape& next = inputShapes[i];
      const Shape& longer = out.size() >= next.size() ? out : next;
      const Shape& shorter = out.size() >= next.size() ? next : out;
      Shape merged = longer;
      const size_t lead = longer.size() - shorter.size();
      for (size_t k = 0; k < shorter.size(); ++k) {
        const int64_t a = longer[lead + k];
        const int64_t b = shorter[k];
        if (a == 1) merged[lead + k] = b;
        else if (b != 1 && a != b)
          fail("inputs have incompatible shapes " + inputShapesToString(inputShapes) + " (without the batch axis)");
      }
      out = merged;
    }
    if (out.size() + 1 > kernels::kMaxMergeRank)
      throw Unsupported(prefix() + "inputs of rank " + std::to_string(out.size() + 1) + " (at most " +
                        std::to_string(kernels::kMaxMergeRank) + " with the batch axis)");
    return out;
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Shape& outShape = output.shape;
    kernels::broadcastCopyF32Reference(outShape, output.data.data(), inputs[0]->shape, inputs[0]->data.data());
    for (size_t i = 1; i < inputs.size(); ++i)
      kernels::broadcastMergeF32Reference(mergeOp(), outShape, output.data.data(), inputs[i]->shape,
                                          inputs[i]->data.data());
    if (kind_ == MergeKind::Average) {
      const float count = static_cast<float>(inputs.size());
      for (float& v : output.data) v = v / count;
    }
  }

 private:
  MergeOp mergeOp() const {
    switch (kind_) {
      case MergeKind::Add:
      case MergeKind::Average: return MergeOp::Add;
      case MergeKind::Subtract: return MergeOp::Subtract;
      case MergeKind::Multiply: return MergeOp::Multiply;
      case MergeKind::Maximum: return MergeOp::Maximum;
      case MergeKind::Minimum: return MergeOp::Minimum;
    }
    return MergeOp::Add;
  }

  MergeKind kind_;
};

class Concatenate : public KerasLayer {
 public:
  explicit Concatenate(const LayerContext& ctx) : KerasLayer(ctx), axis_(configAxis(ctx, "axis", -1)) {}

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (inputShapes.empty()) fail("expects at least 1 input, got none");
    const size_t rank = inputShapes[0].size();
    const int axis = resolveFeatureAxis(prefix(), axis_, static_cast<int>(rank) + 1) - 1;
    Shape out = inputShapes[0];
    for (size_t i = 1; i < inputShapes.size(); ++i) {
      const Shape& s = inputShapes[i];
      bool matches = s.size() == rank;
      for (size_t k = 0; matches && k < rank; ++k)
        if (static_cast<int>(k) != axis && s[k] != out[k]) matches = false;
      if (!matches)
        fail("inputs must match except on the concatenation axis " + std::to_string(axis_) + ", got shapes " +
             inputShapesToString(inputShapes) + " (without the batch axis)");
      out[axis] += s[axis];
    }
    return out;
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    kernels::concatF32Reference(inputs, resolveFeatureAxis(prefix(), axis_, inputs[0]->rank()), output.data.data());
  }

 private:
  int axis_;
};

}  // namespace

void registerKerasMergeLayers(LayerRegistry& registry) {
  const std::pair<const char*, MergeKind> kinds[] = {
      {"Add", MergeKind::Add},         {"Subtract", MergeKind::Subtract}, {"Multiply", MergeKind::Multiply},
      {"Average", MergeKind::Average}, {"Maximum", MergeKind::Maximum},   {"Minimum", MergeKind::Minimum},
  };
  for (const auto& [name, kind] : kinds) {
    const MergeKind k = kind;
    registry.add(name, [k](const LayerContext& ctx) -> LayerPtr { return std::make_unique<ElementwiseMerge>(ctx, k); });
  }
  registry.add("Concatenate", [](const LayerContext& ctx) -> LayerPtr { return std::make_unique<Concatenate>(ctx); });
}

}  // namespace qkw
