#include "layers/keras_pad_crop_layer.h"

#include <algorithm>
#include <cmath>

#include "kernels/pad_crop2d_f32_reference.h"
#include "layers/analysis_rules.h"

namespace qkw {

PadCropLayer::PadCropLayer(const LayerContext& ctx, Mode mode, std::vector<std::array<int64_t, 2>> pairs)
    : KerasLayer(ctx), mode_(mode), pairs_(std::move(pairs)) {}

Shape PadCropLayer::spatialOutput(const Shape& in) const {
  Shape out = in;
  for (size_t i = 0; i < pairs_.size(); ++i) {
    const int64_t change = pairs_[i][0] + pairs_[i][1];
    if (mode_ == Mode::ZeroPad) {
      out[i] = in[i] + change;
    } else {
      out[i] = in[i] - change;
      if (out[i] <= 0)
        fail("cropping (" + std::to_string(pairs_[i][0]) + ", " + std::to_string(pairs_[i][1]) +
             ") removes all of axis " + std::to_string(i + 1) + " of input shape " + shapeToString(in));
    }
  }
  return out;
}

Shape PadCropLayer::outputShape(const std::vector<Shape>& inputShapes) const {
  requireInputCount(inputShapes.size(), 1);
  requireRank(inputShapes[0], pairs_.size() + 1, pairs_.size() == 1 ? "(steps, channels)" : "(height, width, channels)");
  return spatialOutput(inputShapes[0]);
}

void PadCropLayer::forward(const std::vector<const Tensor*>& inputs, Tensor& output) const {
  const Tensor& x = *inputs[0];
  const Shape in(x.shape.begin() + 1, x.shape.end());
  const Shape out = spatialOutput(in);
  const int64_t sign = mode_ == Mode::ZeroPad ? 1 : -1;
  kernels::PadCrop2dGeometry g;
  g.batch = x.shape[0];
  g.channels = in.back();
  if (pairs_.size() == 1) {
    g.inHeight = 1;
    g.outHeight = 1;
    g.inWidth = in[0];
    g.outWidth = out[0];
    g.offsetLeft = sign * pairs_[0][0];
  } else {
    g.inHeight = in[0];
    g.inWidth = in[1];
    g.outHeight = out[0];
    g.outWidth = out[1];
    g.offsetTop = sign * pairs_[0][0];
    g.offsetLeft = sign * pairs_[1][0];
  }
  kernels::padCrop2dF32Reference(g, x.data.data(), output.data.data());
}

// ---- Static analysis (analysis_rules.h) ----

// Cropping keeps a subset of the values; padding adds zeros, which stay on the input's grid when
// 0 lies on its lattice.
TensorAnalysis PadCropLayer::analyzeOutput(const AnalysisContext& ctx) const {
  if (mode_ == Mode::Crop) return ctx.carry("cropping keeps a subset of the values", true);
  const TensorAnalysis& in = ctx.input(0);
  if (in.status == TensorAnalysis::Status::Float)
    return ctx.floatBecauseInput(in, "ZeroPadding keeps the values of its input");
  if (!in.grid) return ctx.carry("ZeroPadding adds zeros", true);
  const GridSummary& g = *in.grid;
  if (g.min <= 0 && g.max >= 0 && (g.kind != Grid::Kind::Uniform || std::fabs(std::remainder(g.min, g.step)) == 0))
    return ctx.carry("ZeroPadding adds zeros, and 0 is on the grid", true);
  if (g.kind == Grid::Kind::Uniform && std::fabs(std::remainder(g.min, g.step)) == 0) {
    GridSummary out = uniformGrid(g.step, std::min(0.0, g.min), std::max(0.0, g.max));
    out.steps = g.steps;
    return ctx.exactResult(out, "ZeroPadding adds zeros to the grid of " + quote(in.name) + " (0 is on its lattice)",
                           sourceOf(in));
  }
  return ctx.floatResult("ZeroPadding inserts 0, which is not on the grid of its input " + quote(in.name));
}

}  // namespace qkw
