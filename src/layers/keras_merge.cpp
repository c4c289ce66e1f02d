#include "layers/keras_merge.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "kernels/broadcast_merge_f32_reference.h"
#include "kernels/concat_f32_reference.h"
#include "layers/analysis_rules.h"
#include "layers/keras_common.h"

namespace qkw {

namespace {

using kernels::MergeOp;

enum class MergeKind { Add, Subtract, Multiply, Average, Maximum, Minimum };

// The analysis rule of every merge (below); `kind` is empty for Concatenate.
TensorAnalysis analyzeMerge(const AnalysisContext& ctx, std::optional<MergeKind> kind);

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

  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override { return analyzeMerge(ctx, kind_); }

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

  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override { return analyzeMerge(ctx, std::nullopt); }

 private:
  int axis_;
};

// ---- Static analysis (analysis_rules.h) ----

// Selecting merges of inputs on one grid keep it; sums, differences, products and averages of
// dyadic grids stay on a dyadic grid while float32 computes them exactly.
TensorAnalysis analyzeMerge(const AnalysisContext& ctx, std::optional<MergeKind> kind) {
  const std::string& cls = ctx.className();
  const bool concat = !kind, add = kind == MergeKind::Add, subtract = kind == MergeKind::Subtract,
             multiply = kind == MergeKind::Multiply, average = kind == MergeKind::Average,
             maximum = kind == MergeKind::Maximum, minimum = kind == MergeKind::Minimum;
  if (ctx.inputCount() == 0) return ctx.floatResult(cls + " has no inputs");
  if (const TensorAnalysis* f = ctx.firstFloatInput()) return ctx.floatBecauseInput(*f, cls + " of float values");
  const TensorAnalysis& first = ctx.input(0);
  bool allSame = true;
  for (size_t k = 0; k < ctx.inputCount(); ++k) {
    const TensorAnalysis& in = ctx.input(k);
    const auto& a = in.grid;
    const auto& b = first.grid;
    if (!a || !b || in.status != first.status || a->kind != b->kind || a->step != b->step || a->min != b->min ||
        a->max != b->max || a->steps != b->steps || in.quantizer != first.quantizer)
      allSame = false;
  }
  const bool selecting = concat || maximum || minimum;
  if (allSame && selecting) return ctx.carry(cls + " of inputs that share one grid", !concat);
  for (size_t k = 0; k < ctx.inputCount(); ++k)
    if (!isUniformDyadic(ctx.input(k)))
      return ctx.floatResult(cls + ": input " + quote(ctx.input(k).name) +
                             " is not on a fixed uniform power-of-two grid, so the result is not tracked. Add a "
                             "QActivation after it to quantize.");
  const double count = static_cast<double>(ctx.inputCount());
  double step = std::numeric_limits<double>::infinity(), lo = 0, hi = 0;
  for (size_t k = 0; k < ctx.inputCount(); ++k) {
    const GridSummary& g = *ctx.input(k).grid;
    if (multiply) {
      if (k == 0) {
        step = sumStep(g), lo = g.min, hi = g.max;
        continue;
      }
      const double p[] = {lo * g.min, lo * g.max, hi * g.min, hi * g.max};
      lo = *std::min_element(p, p + 4);
      hi = *std::max_element(p, p + 4);
      step *= sumStep(g);
      continue;
    }
    step = std::min(step, sumStep(g));
    if (k == 0) {
      lo = g.min, hi = g.max;
    } else if (add || average) {
      lo += g.min, hi += g.max;
    } else if (subtract) {
      lo -= g.max, hi -= g.min;
    } else if (maximum) {
      lo = std::max(lo, g.min), hi = std::max(hi, g.max);
    } else if (minimum) {
      lo = std::min(lo, g.min), hi = std::min(hi, g.max);
    } else {  // Concatenate
      lo = std::min(lo, g.min), hi = std::max(hi, g.max);
    }
  }
  std::string how = "the finest common step of its inputs";
  if (average) {
    if (!isPowerOfTwo(count))
      return ctx.floatResult("Average of " + formatNumber(count) + " inputs divides by a non-power of two: float");
    lo /= count, hi /= count, step /= count;
    how = "the sum of its inputs divided by " + formatNumber(count);
  } else if (multiply) {
    how = "the product of its inputs' grids";
  } else if (add || subtract) {
    how = "the finest step of its inputs, ranges " + std::string(add ? "added" : "subtracted");
  }
  double partial = 0;  // bound of partial sums for Add/Average, of the result otherwise
  if (add || average)
    for (size_t k = 0; k < ctx.inputCount(); ++k)
      partial += std::max(std::fabs(ctx.input(k).grid->min), std::fabs(ctx.input(k).grid->max));
  partial = std::max({partial, std::fabs(lo), std::fabs(hi)}) * (average ? count : 1.0);
  if (bitsForMagnitude(partial / (average ? step * count : step)) > kFloat32Mantissa)
    return ctx.floatResult(cls + ": the exact result needs more than float32's 24-bit mantissa, so float32 rounding "
                                 "may move values off the grid. Add a QActivation after it to quantize.");
  return ctx.exactResult(uniformGrid(step, lo, hi), cls + " of dyadic grids stays on " + how, sourceOf(first));
}

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
